"""Opt-out keywords: STOP and its synonyms record an opt-out, START clears it, HELP answers;
after an opt-out nothing goes out, and a staff send says why."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.config import Settings
from switchboard.kit.jobs import Job
from switchboard.messaging.models import Direction, Message, MessageStatus, OptOut, Sender
from switchboard.messaging.optouts import Keyword, is_opted_out, keyword_of, record_opt_out
from tests.factories import Factory
from tests.kit.helpers import AsUser
from tests.messaging.support import (
    CUSTOMER,
    OUR_NUMBER,
    Inbox,
    count,
    jobs_of,
    post_webhook,
    sms_params,
)

SMS = "/webhooks/twilio/sms"

KEYWORD_TABLE = [
    ("STOP", Keyword.opt_out),
    ("stop", Keyword.opt_out),
    ("  Stop \n", Keyword.opt_out),
    ("STOPALL", Keyword.opt_out),
    ("Unsubscribe", Keyword.opt_out),
    ("cancel", Keyword.opt_out),
    ("END", Keyword.opt_out),
    ("quit", Keyword.opt_out),
    ("REVOKE", Keyword.opt_out),
    ("OptOut", Keyword.opt_out),
    ("START", Keyword.opt_in),
    ("yes", Keyword.opt_in),
    ("Unstop", Keyword.opt_in),
    ("help", Keyword.help),
    ("STOP please", None),
    ("please stop", None),
    ("STOP.", None),
    ("OPT OUT", None),
    ("HELP me", None),
    ("", None),
]


@pytest.mark.parametrize(("body", "expected"), KEYWORD_TABLE)
def test_the_keyword_table(body: str, expected: Keyword | None) -> None:
    found = keyword_of(body)
    assert (found[0] if found else None) == expected


async def test_stop_records_an_opt_out_and_answers_nothing(
    client: httpx.AsyncClient,
    settings: Settings,
    inbox: Inbox,
    session: AsyncSession,
    frozen_clock: object,
) -> None:
    response = await post_webhook(client, settings, SMS, sms_params(" Unsubscribe "))
    assert response.status_code == 200
    assert "<Message>" not in response.text  # Twilio's own opt-out reply confirms it
    [opt_out] = (await session.execute(select(OptOut))).scalars().all()
    assert (opt_out.address, opt_out.channel_group, opt_out.keyword, opt_out.source) == (
        CUSTOMER,
        "sms",
        "UNSUBSCRIBE",
        "keyword",
    )
    assert opt_out.opted_out_at == frozen_clock.now  # type: ignore[attr-defined]
    assert await jobs_of(session, "ai.auto_reply") == []
    # The STOP itself stays in the thread for the staff to see.
    [message] = (await session.execute(select(Message))).scalars().all()
    assert message.body == " Unsubscribe "


async def test_after_stop_no_auto_reply_until_start(
    client: httpx.AsyncClient, settings: Settings, inbox: Inbox, session: AsyncSession
) -> None:
    await post_webhook(client, settings, SMS, sms_params("STOP"))
    await post_webhook(client, settings, SMS, sms_params("STOP please, why am I still here"))
    assert await jobs_of(session, "ai.auto_reply") == []
    assert await is_opted_out(session, inbox.tenant.id, CUSTOMER, "sms")

    await post_webhook(client, settings, SMS, sms_params("start"))
    assert not await is_opted_out(session, inbox.tenant.id, CUSTOMER, "sms")
    assert await jobs_of(session, "ai.auto_reply") == []  # a keyword is not a question
    await post_webhook(client, settings, SMS, sms_params("Ok, what time tomorrow?"))
    assert len(await jobs_of(session, "ai.auto_reply")) == 1


async def test_opt_outs_are_per_channel_group(
    client: httpx.AsyncClient, settings: Settings, inbox: Inbox, session: AsyncSession
) -> None:
    await post_webhook(
        client,
        settings,
        SMS,
        sms_params("STOP", sender=f"whatsapp:{CUSTOMER}", to=f"whatsapp:{OUR_NUMBER}"),
    )
    assert await is_opted_out(session, inbox.tenant.id, f"whatsapp:{CUSTOMER}", "whatsapp")
    assert not await is_opted_out(session, inbox.tenant.id, CUSTOMER, "sms")


async def test_help_answers_with_the_tenants_help_text(
    client: httpx.AsyncClient, settings: Settings, inbox: Inbox, session: AsyncSession
) -> None:
    inbox.tenant.help_text = "Summit Roofing: call 312-555-0100, 8-6 M-F. Reply STOP to opt out."
    await session.flush()
    response = await post_webhook(client, settings, SMS, sms_params("HELP"))
    assert response.status_code == 200
    assert "<Message>Summit Roofing: call 312-555-0100" in response.text
    inbound, answer = (
        (await session.execute(select(Message).order_by(Message.direction))).scalars().all()
    )
    assert (answer.direction, answer.sender, answer.in_reply_to_id) == (
        Direction.outbound,
        Sender.system,
        inbound.id,
    )
    assert answer.status == MessageStatus.sent
    assert await jobs_of(session, "ai.auto_reply") == []


async def test_a_staff_send_to_an_opted_out_contact_is_a_409_saying_why(
    client: httpx.AsyncClient,
    settings: Settings,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    as_user: AsUser,
) -> None:
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER)
    await post_webhook(client, settings, SMS, sms_params("STOP"))
    before = await count(session, Job, Job.kind == "messaging.send")
    response = await client.post(
        f"/api/contacts/{contact.id}/messages",
        json={"body": "Just checking in!"},
        headers=as_user(inbox.csr),
    )
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["error"] == "opted_out"
    assert "STOP" in problem["message"] and problem["keyword"] == "STOP"
    assert await count(session, Job, Job.kind == "messaging.send") == before
    assert await count(session, Message, Message.direction == Direction.outbound) == 0


async def test_a_contact_who_opted_out_before_any_session_is_refused_too(
    client: httpx.AsyncClient,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    as_user: AsUser,
) -> None:
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER)
    await record_opt_out(session, inbox.tenant.id, CUSTOMER, "sms", "STOP", source="keyword")
    response = await client.post(
        f"/api/contacts/{contact.id}/messages", json={"body": "hi"}, headers=as_user(inbox.csr)
    )
    assert response.status_code == 409
    assert await count(session, Message) == 0
