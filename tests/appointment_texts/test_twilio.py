"""Appointment texts go out like any outbound text: through the real `twilio` client against
the local fake of Twilio's Messages API, from the company's number, with the status callback."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.channels.twilio.sender import TwilioSender
from switchboard.kit.db import Database
from switchboard.kit.resources import Resources
from switchboard.messaging.models import MessageStatus
from tests.appointment_texts.support import book, drain, local, otto_texts
from tests.channels.fake_twilio import FakeTwilio
from tests.channels.test_twilio_sender import fake_twilio, twilio, twilio_settings
from tests.factories import Factory
from tests.kit.helpers import AsUser
from tests.messaging.support import CUSTOMER, OUR_NUMBER, Inbox

__all__ = ["fake_twilio", "twilio", "twilio_settings"]  # the Twilio tests' own fixtures


async def test_the_confirmation_and_a_reminder_go_through_twilio(
    client: httpx.AsyncClient,
    as_user: AsUser,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    db: Database,
    fake_twilio: FakeTwilio,
    twilio: TwilioSender,
    frozen_clock: Any,
    resources: Resources,
) -> None:
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER)
    starts = local(23, "14:00")
    await book(client, as_user, inbox.csr, contact, starts)
    await drain(db, resources)
    frozen_clock.now = starts - timedelta(hours=1)
    await drain(db, resources)

    first, second = fake_twilio.received
    assert (first.one("From"), first.one("To")) == (OUR_NUMBER, CUSTOMER)
    assert (first.one("Body") or "").startswith("Hi Pat, your appointment with Summit Roofing")
    assert (second.one("Body") or "").startswith(
        "Reminder: your appointment with Summit Roofing is in 1 hour"
    )
    messages = await otto_texts(session, contact)
    assert [m.provider_message_id for m in messages] == [c["sid"] for c in fake_twilio.created]
    assert {m.status for m in messages} == {MessageStatus.sending}
    callback = f"https://switchboard.test/webhooks/twilio/status?message_id={messages[1].id}"
    assert second.one("StatusCallback") == callback
