"""Delivery status: every callback kept, the message moved forward only; the ordering as a
property test over any sequence of reports."""

from __future__ import annotations

import logging
import uuid
from itertools import pairwise

import httpx
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.config import Settings
from switchboard.messaging.models import (
    Channel,
    DeliveryEvent,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    OptOut,
    Sender,
)
from switchboard.messaging.outbound import queue_outbound
from tests.factories import Factory
from tests.messaging.support import CUSTOMER, EventRecorder, Inbox, count, post_webhook

STATUS = "/webhooks/twilio/status"
HAPPY = [
    MessageStatus.queued,
    MessageStatus.sending,
    MessageStatus.sent,
    MessageStatus.delivered,
    MessageStatus.read,
]
FINAL = [MessageStatus.undelivered, MessageStatus.failed]
REPORTABLE = HAPPY + FINAL


def apply_all(start: MessageStatus, reports: list[MessageStatus]) -> list[MessageStatus]:
    trail = [start]
    for reported in reports:
        trail.append(trail[-1].advanced_by(reported))
    return trail


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.sampled_from(HAPPY[:3]), st.lists(st.sampled_from(REPORTABLE), max_size=12))
def test_status_only_moves_forward(start: MessageStatus, reports: list[MessageStatus]) -> None:
    trail = apply_all(start, reports)
    rank = {status: index for index, status in enumerate(HAPPY)}
    for before, after in pairwise(trail):
        if before.is_final:
            assert after == before, "undelivered and failed are final"
        elif after.is_final:
            assert rank[before] < rank[MessageStatus.delivered], "no failure after delivery"
        else:
            assert rank[after] >= rank[before], "never backwards"
    # A report can only ever lead to a status that was reported (or the start).
    assert trail[-1] in [start, *reports]


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(HAPPY), min_size=1, max_size=12))
def test_happy_reports_in_any_order_end_at_the_furthest(reports: list[MessageStatus]) -> None:
    furthest = max(reports, key=HAPPY.index)
    assert apply_all(MessageStatus.queued, reports)[-1] == max(
        [MessageStatus.queued, furthest], key=HAPPY.index
    )


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(REPORTABLE), max_size=8))
def test_a_repeated_report_changes_nothing(reports: list[MessageStatus]) -> None:
    for status in REPORTABLE:
        once = apply_all(MessageStatus.queued, [*reports, status])[-1]
        twice = apply_all(MessageStatus.queued, [*reports, status, status])[-1]
        assert once == twice


def test_a_late_sent_never_undoes_delivered() -> None:
    assert MessageStatus.delivered.advanced_by(MessageStatus.sent) == MessageStatus.delivered
    assert MessageStatus.delivered.advanced_by(MessageStatus.failed) == MessageStatus.delivered
    assert MessageStatus.sent.advanced_by(MessageStatus.undelivered) == MessageStatus.undelivered
    assert MessageStatus.failed.advanced_by(MessageStatus.delivered) == MessageStatus.failed
    assert MessageStatus.received.advanced_by(MessageStatus.delivered) == MessageStatus.received


async def _sent_message(session: AsyncSession, inbox: Inbox, factory: Factory) -> Message:
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER)
    message = await queue_outbound(
        session,
        tenant=inbox.tenant,
        contact_id=contact.id,
        body="Your estimate is ready",
        sender=Sender.csr,
        kind=MessageKind.manual,
    )
    message.provider_message_id = f"SM{uuid.uuid4().hex}"
    message.status = MessageStatus.sending
    await session.flush()
    return message


def _callback(message: Message, status: str, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": message.provider_message_id or "",
        "SmsSid": message.provider_message_id or "",
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": f"AC{'1' * 32}",
        "From": message.from_address or "",
        "To": message.to_address or "",
        "ApiVersion": "2010-04-01",
        **extra,
    }


async def test_callbacks_are_all_kept_and_only_move_forward(
    client: httpx.AsyncClient,
    settings: Settings,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    events: EventRecorder,
) -> None:
    message = await _sent_message(session, inbox, factory)
    for status in ("sent", "delivered", "sent", "queued", "failed"):
        response = await post_webhook(client, settings, STATUS, _callback(message, status))
        assert response.status_code == 200, response.text
    await session.refresh(message)
    assert message.status == MessageStatus.delivered
    assert message.sent_at is not None and message.delivered_at is not None
    kept = (
        await session.execute(
            select(DeliveryEvent.status)
            .where(DeliveryEvent.message_id == message.id)
            .order_by(DeliveryEvent.created_at)
        )
    ).scalars()
    assert sorted(kept) == sorted(["sent", "delivered", "sent", "queued", "failed"])
    updates = [data["message"]["status"] for data in events.of("message.updated")]
    assert updates == ["sent", "delivered"]


async def test_undelivered_is_final_and_keeps_the_error(
    client: httpx.AsyncClient,
    settings: Settings,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
) -> None:
    message = await _sent_message(session, inbox, factory)
    await post_webhook(
        client, settings, STATUS, _callback(message, "undelivered", ErrorCode="30003")
    )
    await post_webhook(client, settings, STATUS, _callback(message, "delivered"))
    await session.refresh(message)
    assert (message.status, message.error_code) == (MessageStatus.undelivered, "30003")


async def test_a_21610_callback_records_the_opt_out(
    client: httpx.AsyncClient,
    settings: Settings,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
) -> None:
    message = await _sent_message(session, inbox, factory)
    await post_webhook(client, settings, STATUS, _callback(message, "failed", ErrorCode="21610"))
    [opt_out] = (await session.execute(select(OptOut))).scalars().all()
    assert (opt_out.address, opt_out.source) == (CUSTOMER, "provider_error")


async def test_an_unknown_sid_is_acknowledged_and_logged(
    client: httpx.AsyncClient,
    settings: Settings,
    inbox: Inbox,
    session: AsyncSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="switchboard.messaging.outbound")
    params = {"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered", "To": CUSTOMER}
    response = await post_webhook(client, settings, STATUS, params)
    assert response.status_code == 200
    assert "unknown message SM000" in caplog.text
    assert await count(session, DeliveryEvent) == 0


async def test_a_callback_links_a_message_whose_send_timed_out(
    client: httpx.AsyncClient,
    settings: Settings,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
) -> None:
    """Our id rides on the StatusCallback URL: a callback for a message we never got the
    sid of (the create call timed out) links it, so the retry will not send again."""
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER)
    message = await queue_outbound(
        session,
        tenant=inbox.tenant,
        contact_id=contact.id,
        body="hello",
        sender=Sender.system,
        kind=MessageKind.automated,
        channel=Channel.sms,
    )
    message.status = MessageStatus.sending
    await session.flush()
    sid = f"SM{uuid.uuid4().hex}"
    params = {"MessageSid": sid, "MessageStatus": "sent", "To": CUSTOMER}
    response = await post_webhook(
        client, settings, STATUS, params, query=f"message_id={message.id}"
    )
    assert response.status_code == 200
    await session.refresh(message)
    assert (message.provider_message_id, message.status) == (sid, MessageStatus.sent)
    assert message.direction == Direction.outbound
    assert message.sent_at is not None
