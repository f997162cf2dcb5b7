"""send_sms: a staff member's text through the inbox's one outbound path, honouring opt-outs."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.config import Settings
from switchboard.kit.clock import utcnow
from switchboard.kit.jobs import Job
from switchboard.messaging.models import Direction, Message, MessageStatus, OptOut, Sender
from switchboard.tenancy.models import Role
from tests.ai.test_staff_tools import failed, ok, run
from tests.factories import Factory


async def test_send_sms_queues_the_text(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    tenant = await factory.tenant()
    await factory.channel(tenant, "+15555550100")
    csr = await factory.user(tenant, Role.csr)
    maria = await factory.contact(
        tenant, phone="+13125550111", first_name="Maria", last_name="Garcia"
    )

    sent = ok(
        await run(session, settings, csr, "send_sms", contact="Maria Garcia", body="On my way!")
    )["sent"]
    assert sent["to"] == "+13125550111" and sent["status"] == "queued"
    assert sent["contact"] == {"id": str(maria.id), "name": "Maria Garcia"}
    message = await session.get(Message, uuid.UUID(sent["message_id"]))
    assert message is not None
    assert (message.direction, message.sender, message.body) == (
        Direction.outbound,
        Sender.csr,
        "On my way!",
    )
    assert message.status == MessageStatus.queued and message.sender_user_id == csr.id
    jobs = (await session.execute(select(Job).where(Job.tenant_id == tenant.id))).scalars().all()
    assert [job.payload["message_id"] for job in jobs] == [sent["message_id"]]


async def test_send_sms_to_an_opted_out_contact_fails_and_says_why(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    tenant = await factory.tenant()
    await factory.channel(tenant, "+15555550100")
    csr = await factory.user(tenant, Role.csr)
    maria = await factory.contact(
        tenant, phone="+13125550112", first_name="Maria", last_name="Garcia"
    )
    session.add(
        OptOut(
            tenant_id=tenant.id,
            address="+13125550112",
            channel_group="sms",
            keyword="STOP",
            opted_out_at=utcnow(),
            source="keyword",
        )
    )
    await session.flush()

    message = failed(
        await run(session, settings, csr, "send_sms", contact_id=str(maria.id), body="Hello?")
    )
    assert "opted out" in message and "Maria Garcia" in message and "not sent" in message
    stored = await session.execute(select(Message).where(Message.contact_id == maria.id))
    assert stored.scalars().all() == []
    jobs = await session.execute(select(Job).where(Job.tenant_id == tenant.id))
    assert jobs.scalars().all() == []


async def test_a_rep_can_only_text_their_own_customers(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    tenant = await factory.tenant()
    await factory.channel(tenant, "+15555550100")
    rep = await factory.user(tenant, Role.rep)
    theirs = await factory.contact(tenant, first_name="Ann", last_name="Own")
    others = await factory.contact(tenant, first_name="Zed", last_name="Other")
    await factory.lead(tenant, theirs, assigned_rep_id=rep.id)

    ok(await run(session, settings, rep, "send_sms", contact_id=str(theirs.id), body="Hi Ann"))
    assert "not found" in failed(
        await run(session, settings, rep, "send_sms", contact_id=str(others.id), body="Hi Zed")
    )
    assert "no contact matches" in failed(
        await run(session, settings, rep, "send_sms", contact="Zed Other", body="Hi Zed")
    )
