"""Customers waiting on a reply, in every listing that shows them (the digest, the follow-up
queue, the CSR dashboard, the assistant's tools): never one who opted out of the channel,
and each says whom they wait on: the AI, the staff, or the person who took them over."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.ai.agent import run_agent
from switchboard.ai.builtin import BuiltinModel
from switchboard.ai.model import Audience, ModelMessage
from switchboard.ai.staff_tools import staff_toolbox
from switchboard.ai.toolbox import ToolContext
from switchboard.config import Settings
from switchboard.messaging.inbound import receive_message
from switchboard.messaging.models import Channel, MessagingSession
from switchboard.messaging.optouts import record_opt_out
from switchboard.messaging.schemas import InboundMessage
from switchboard.messaging.service import take_over
from switchboard.tenancy.models import Role, Tenant, User
from tests.ai.test_staff_tools import ok, run
from tests.factories import Factory
from tests.kit.helpers import AsUser

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)  # frozen_clock's start
OUR_NUMBER = "+15555550100"
PHONES = {
    "Sam Stale": "+13125550101",
    "Stella Stopped": "+13125550102",
    "Wanda Whatsapp-Stopped": "+13125550103",
    "Tom Taken": "+13125550104",
    "Fred Fresh": "+13125550105",
}


@dataclass
class Inbox:
    tenant: Tenant
    csr: User
    ann: User  # the CSR who takes Tom's conversation over
    contact_ids: dict[str, str]


async def text(
    session: AsyncSession, settings: Settings, tenant: Tenant, name: str, body: str, n: int
) -> None:
    """`name` texts our number, through the same path as a Twilio webhook."""
    await receive_message(
        session,
        settings,
        tenant,
        InboundMessage(
            provider_message_id=f"SM-waiting-{n}",
            channel=Channel.sms,
            from_address=PHONES[name],
            to_address=OUR_NUMBER,
            body=body,
        ),
    )


@pytest.fixture
async def inbox(
    factory: Factory, session: AsyncSession, settings: Settings, frozen_clock: Any
) -> Inbox:
    tenant = await factory.tenant(timezone="America/Chicago")
    await factory.channel(tenant, OUR_NUMBER)
    csr = await factory.user(tenant, Role.csr, name="Cai Csr")
    ann = await factory.user(tenant, Role.csr, name="Ann Csr")
    contacts = {}
    for name, phone in PHONES.items():
        first, last = name.split(" ")
        contacts[name] = str(
            (await factory.contact(tenant, phone, first_name=first, last_name=last)).id
        )

    await text(session, settings, tenant, "Sam Stale", "Any news on the quote?", 1)
    await text(session, settings, tenant, "Stella Stopped", "Is 4pm ok?", 2)
    frozen_clock.advance(5 * 60)
    await text(session, settings, tenant, "Stella Stopped", "STOP", 3)
    frozen_clock.advance(5 * 60)
    # Wanda opted out of WhatsApp only: her SMS can still be answered.
    await record_opt_out(
        session, tenant.id, f"whatsapp:{PHONES['Wanda Whatsapp-Stopped']}", Channel.whatsapp,
        "STOP", source="keyword",
    )  # fmt: skip
    await text(session, settings, tenant, "Wanda Whatsapp-Stopped", "Still on for Monday?", 4)
    frozen_clock.advance(10 * 60)
    await text(session, settings, tenant, "Tom Taken", "Can someone call me?", 5)
    tom = (
        await session.execute(
            select(MessagingSession).where(
                MessagingSession.counterpart_address == PHONES["Tom Taken"]
            )
        )
    ).scalar_one()
    await take_over(session, ann, tom.id)
    frozen_clock.advance(39 * 60)
    await text(session, settings, tenant, "Fred Fresh", "Hi, do you do gutters?", 6)
    frozen_clock.advance(60)  # now NOW + 60 min
    return Inbox(tenant, csr, ann, contacts)


# Longest waiting first; Stella replied STOP and cannot be texted, so she is not waiting.
EXPECTED = [
    ("Sam Stale", 60, "staff"),
    ("Wanda Whatsapp-Stopped", 50, "staff"),  # the AI has not answered her in time
    ("Tom Taken", 40, "person"),  # Ann took it over: hers to answer, not the AI's
    ("Fred Fresh", 1, "ai"),  # the auto-reply is on its way
]


def waiting(items: list[dict[str, Any]]) -> list[tuple[str, int, str]]:
    return [(i["contact"]["name"], i["waiting_minutes"], i["waiting_on"]) for i in items]


def check_holder(items: list[dict[str, Any]], ann: User) -> None:
    by_name = {item["contact"]["name"]: item for item in items}
    assert by_name["Tom Taken"]["taken_over_by"] == {"id": str(ann.id), "name": "Ann Csr"}
    assert all("taken_over_by" not in by_name[n] for n in by_name if n != "Tom Taken")


async def test_the_digest(client: httpx.AsyncClient, inbox: Inbox, as_user: AsUser) -> None:
    response = await client.get("/api/dashboards/digest", headers=as_user(inbox.csr))
    assert response.status_code == 200, response.text
    unanswered = response.json()["unanswered_messages"]
    assert unanswered["count"] == 4
    assert waiting(unanswered["items"]) == EXPECTED
    check_holder(unanswered["items"], inbox.ann)


async def test_the_follow_up_queue(
    client: httpx.AsyncClient, inbox: Inbox, as_user: AsUser
) -> None:
    response = await client.get("/api/dashboards/follow-ups", headers=as_user(inbox.csr))
    assert response.status_code == 200, response.text
    reasons = [
        {**reason, "contact": item["contact"]}
        for item in response.json()["items"]
        for reason in item["reasons"]
        if reason["kind"] == "waiting_on_reply"
    ]
    assert sorted(waiting(reasons)) == sorted(EXPECTED)
    check_holder(reasons, inbox.ann)


async def test_the_csr_dashboard_count(
    client: httpx.AsyncClient, inbox: Inbox, as_user: AsUser
) -> None:
    response = await client.get("/api/dashboards/csr", headers=as_user(inbox.csr))
    assert response.status_code == 200, response.text
    queue = response.json()["queue"]["waiting_on_reply"]
    assert (queue["count"], queue["oldest_wait_minutes"]) == (4, 60)


async def test_the_assistants_tools(
    session: AsyncSession, settings: Settings, inbox: Inbox
) -> None:
    unanswered = ok(await run(session, settings, inbox.csr, "list_unanswered_messages"))
    assert unanswered["total"] == 4
    assert waiting(unanswered["items"]) == EXPECTED
    check_holder(unanswered["items"], inbox.ann)

    follow_ups = ok(await run(session, settings, inbox.csr, "who_to_follow_up"))
    names = [item["contact"]["name"] for item in follow_ups["items"] if item["contact"]]
    assert "Stella Stopped" not in names and set(PHONES) - {"Stella Stopped"} <= set(names)

    digest = ok(await run(session, settings, inbox.csr, "get_daily_digest"))
    assert waiting(digest["unanswered_messages"]["items"]) == EXPECTED

    for name, expected in (("Stella Stopped", False), ("Tom Taken", True)):
        summary = ok(
            await run(
                session, settings, inbox.csr, "get_contact_summary",
                contact_id=inbox.contact_ids[name],
            )
        )  # fmt: skip
        assert summary["waiting_on_our_reply"] is expected, name


async def test_with_auto_reply_off_nobody_waits_on_the_ai(
    session: AsyncSession, settings: Settings, inbox: Inbox
) -> None:
    inbox.tenant.auto_reply_enabled = False
    await session.flush()
    unanswered = ok(await run(session, settings, inbox.csr, "list_unanswered_messages"))
    assert [item["waiting_on"] for item in unanswered["items"]] == [
        "staff",
        "staff",
        "person",
        "staff",
    ]


async def test_a_customer_who_opts_back_in_is_waiting_again(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    inbox: Inbox,
    as_user: AsUser,
) -> None:
    await text(session, settings, inbox.tenant, "Stella Stopped", "START", 7)
    response = await client.get("/api/dashboards/digest", headers=as_user(inbox.csr))
    names = [i["contact"]["name"] for i in response.json()["unanswered_messages"]["items"]]
    assert "Stella Stopped" in names


async def test_who_do_i_need_to_follow_up_with(
    session: AsyncSession, settings: Settings, inbox: Inbox
) -> None:
    """The assistant's answer, through the built-in model and the staff tools."""
    ctx = ToolContext(session=session, tenant=inbox.tenant, settings=settings, user=inbox.csr)
    messages = [
        ModelMessage("system", "You help staff."),
        ModelMessage("user", "who do I need to follow up with?"),
    ]
    result = await run_agent(
        BuiltinModel(), messages, staff_toolbox(), ctx, audience=Audience.STAFF
    )
    assert [outcome.name for outcome in result.outcomes] == ["who_to_follow_up"]
    assert "Stella" not in result.text
    assert (
        "Tom Taken (+13125550104): reply to their message (waiting 40 min; Ann Csr has "
        "taken it over)" in result.text
    )
    assert (
        "Fred Fresh (+13125550105): reply to their message (waiting 1 min; the AI is "
        "replying)" in result.text
    )
