"""The assistant reads analyses: "what objections came up this week?", through the same
toolbox the assistant and MCP serve, in the user's own scope."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.ai.analysis.jobs import analyse_now
from switchboard.ai.model import ToolCall
from switchboard.ai.staff_tools import staff_toolbox
from switchboard.ai.toolbox import ToolContext
from switchboard.callintel.schemas import SourceKind
from switchboard.callintel.service import store_call_transcript
from switchboard.config import Settings
from switchboard.kit.clock import utcnow
from switchboard.tenancy.models import Role, Tenant, User
from tests.callintel.transcripts import OBJECTIONS, SPANISH, SPOUSE, Case
from tests.factories import Factory


async def analysed(
    factory: Factory, session: AsyncSession, tenant: Tenant, handler: User, case: Case
) -> None:
    contact = await factory.contact(tenant)
    call = await factory.call(
        tenant, contact, handled_by_user_id=handler.id, started_at=utcnow() - timedelta(hours=2)
    )
    await store_call_transcript(session, call, "", case.segment_dicts(), None, analyse=False)
    await analyse_now(session, tenant.id, SourceKind.call, call.id)


async def ask(session: AsyncSession, settings: Settings, user: User, **arguments: Any) -> Any:
    tenant = await session.get(Tenant, user.tenant_id)
    assert tenant is not None
    ctx = ToolContext(session=session, tenant=tenant, settings=settings, user=user)
    call = ToolCall(id="call_1", name="list_call_analyses", arguments=arguments)
    outcome = await staff_toolbox().run(ctx, call)
    assert outcome.status == "ok", outcome.result
    return outcome.result


async def test_what_objections_came_up_this_week(
    factory: Factory, session: AsyncSession, settings: Settings, frozen_clock: Any
) -> None:
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    rep = await factory.user(tenant, Role.rep)
    for case in (OBJECTIONS, SPOUSE, SPANISH):
        await analysed(factory, session, tenant, csr, case)
    await analysed(factory, session, tenant, rep, SPOUSE)

    manager = await factory.user(tenant, Role.manager)
    week = await ask(session, settings, manager)
    assert week["analyses"] == 4
    assert week["objections"] == {
        "spouse": 3, "price": 2, "timing": 1, "competitor": 1,
    }  # fmt: skip
    price = await ask(session, settings, manager, objection="price")
    assert price["analyses"] == 2
    said = [
        o["said"] for item in price["items"] for o in item["objections"] if o["kind"] == "price"
    ]
    assert any("too expensive" in quote[0] for quote in said)
    assert any("muy caro" in quote[0] for quote in said)

    # A rep hears only the calls they handled.
    mine = await ask(session, settings, rep)
    assert mine["analyses"] == 1 and mine["objections"] == {"spouse": 1}
    # Last week had none.
    assert (await ask(session, settings, manager, when="last week"))["analyses"] == 0
