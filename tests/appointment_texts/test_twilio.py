"""Appointment texts go out like any outbound text: through the real `twilio` client against
the local fake of Twilio's Messages API, from the company's number, with the status callback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.channels.twilio.sender import TwilioSender
from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.messaging.models import MessageStatus
from switchboard.messaging.senders import build_sender
from tests.appointment_texts.support import book, drain, local, otto_texts
from tests.channels.fake_twilio import FakeTwilio
from tests.factories import Factory
from tests.kit.helpers import AsUser
from tests.messaging.support import CUSTOMER, OUR_NUMBER, Inbox

ACCOUNT = "AC" + "5" * 32
TOKEN = "twilio-test-auth-token"


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio(ACCOUNT, TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
async def twilio(
    settings: Settings, fake_twilio: FakeTwilio, use_sender_for_test: Any
) -> AsyncIterator[TwilioSender]:
    settings.twilio_account_sid = ACCOUNT
    settings.twilio_auth_token = TOKEN
    settings.twilio_api_base_url = fake_twilio.base_url
    settings.sms_sender = "twilio"
    sender = build_sender(settings)
    assert isinstance(sender, TwilioSender)
    use_sender_for_test(sender)
    yield sender
    await sender.aclose()


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
) -> None:
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER)
    starts = local(23, "14:00")
    await book(client, as_user, inbox.csr, contact, starts)
    await drain(db)
    frozen_clock.now = starts - timedelta(hours=1)
    await drain(db)

    first, second = fake_twilio.received
    assert (first.one("From"), first.one("To")) == (OUR_NUMBER, CUSTOMER)
    assert first.one(
        "Body",
    ).startswith("Hi Pat, your appointment with Summit Roofing")  # type: ignore[union-attr]
    assert (second.one("Body") or "").startswith(
        "Reminder: your appointment with Summit Roofing is in 1 hour"
    )
    messages = await otto_texts(session, contact)
    assert [m.provider_message_id for m in messages] == [c["sid"] for c in fake_twilio.created]
    assert {m.status for m in messages} == {MessageStatus.sending}
    callback = f"https://switchboard.test/webhooks/twilio/status?message_id={messages[1].id}"
    assert second.one("StatusCallback") == callback
