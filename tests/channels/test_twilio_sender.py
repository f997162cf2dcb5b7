"""The Twilio REST sender, driven through the official `twilio` client against a local fake
of the Messages API: the request it makes, retries on 5xx and timeouts without sending
twice, a 21610 refusal that records the opt-out, and sending from a messaging service."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.channels.twilio.sender import TwilioSender
from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.kit.jobs import Job, JobStatus, Worker
from switchboard.kit.resources import Resources
from switchboard.messaging.models import Message, MessageKind, MessageStatus, OptOut, Sender
from switchboard.messaging.senders import build_sender
from switchboard.messaging.service import SEND_ATTEMPTS, queue_outbound
from tests.channels.fake_twilio import Fail, FakeTwilio, Hang
from tests.factories import Factory
from tests.kit.helpers import AsUser
from tests.messaging.support import CUSTOMER, OUR_NUMBER, Inbox, jobs_of, post_webhook

ACCOUNT = f"AC{uuid.uuid4().hex}"
TOKEN = "twilio-test-auth-token"


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio(ACCOUNT, TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
def twilio_settings(settings: Settings, fake_twilio: FakeTwilio) -> Settings:
    """The test's own settings (the app under test reads the same object), now for Twilio."""
    settings.twilio_account_sid = ACCOUNT
    settings.twilio_auth_token = TOKEN
    settings.twilio_api_base_url = fake_twilio.base_url
    settings.twilio_timeout_seconds = 0.5
    settings.sms_sender = "twilio"
    return settings


@pytest.fixture
async def twilio(
    twilio_settings: Settings, use_sender_for_test: Any
) -> AsyncIterator[TwilioSender]:
    sender = build_sender(twilio_settings)  # "twilio", as a served app would pick it
    assert isinstance(sender, TwilioSender)
    use_sender_for_test(sender)
    yield sender
    await sender.aclose()


async def _queue(
    session: AsyncSession, inbox: Inbox, factory: Factory, body: str = "Hi!"
) -> Message:
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER)
    message = await queue_outbound(
        session,
        tenant=inbox.tenant,
        contact_id=contact.id,
        body=body,
        sender=Sender.csr,
        kind=MessageKind.manual,
    )
    await session.flush()
    return message


async def _send_job(session: AsyncSession) -> Job:
    [job] = await jobs_of(session, "messaging.send")
    await session.refresh(job)
    return job


async def test_a_staff_text_goes_out_through_the_twilio_client(
    client: httpx.AsyncClient,
    twilio_settings: Settings,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    db: Database,
    as_user: AsUser,
    fake_twilio: FakeTwilio,
    twilio: TwilioSender,
    resources: Resources,
) -> None:
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER)
    response = await client.post(
        f"/api/contacts/{contact.id}/messages",
        json={"body": "Your crew arrives at 8am"},
        headers=as_user(inbox.csr),
    )
    message_id = response.json()["id"]
    assert fake_twilio.received == []  # nothing is sent inside the request
    await Worker(db, concurrency=1, resources=resources).drain()

    [request] = fake_twilio.received
    assert request.one("To") == CUSTOMER and request.one("From") == OUR_NUMBER
    assert request.one("Body") == "Your crew arrives at 8am"
    callback = f"https://switchboard.test/webhooks/twilio/status?message_id={message_id}"
    assert request.one("StatusCallback") == callback
    credentials = base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    assert request.authorization == f"Basic {credentials}"

    message = await session.get(Message, uuid.UUID(message_id), populate_existing=True)
    assert message is not None
    assert message.provider_message_id == fake_twilio.created[0]["sid"]
    assert message.status == MessageStatus.sending
    assert (await _send_job(session)).status == JobStatus.done

    # Twilio then calls the StatusCallback URL it was given, signed with the auth token.
    status = {"MessageSid": message.provider_message_id, "MessageStatus": "delivered"}
    delivered = await post_webhook(
        client, twilio_settings, "/webhooks/twilio/status", status, query=f"message_id={message_id}"
    )
    assert delivered.status_code == 200
    await session.refresh(message)
    assert message.status == MessageStatus.delivered


async def test_a_5xx_is_retried_with_backoff_and_sent_once(
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    db: Database,
    fake_twilio: FakeTwilio,
    twilio: TwilioSender,
    frozen_clock: Any,
    resources: Resources,
) -> None:
    fake_twilio.then(Fail(503, 20503, "Service Unavailable"))
    message = await _queue(session, inbox, factory)
    worker = Worker(db, concurrency=1, resources=resources)
    await worker.drain()
    await session.refresh(message)
    assert message.status == MessageStatus.queued
    assert message.error_message and message.error_message.startswith("will retry")
    job = await _send_job(session)
    assert (job.status, job.attempts) == (JobStatus.queued, 1)
    assert job.run_after > frozen_clock.now  # backoff

    assert await worker.drain() == 0  # not yet
    frozen_clock.advance(2)
    await worker.drain()
    await session.refresh(message)
    assert message.status == MessageStatus.sending and message.error_message is None
    assert message.provider_message_id == fake_twilio.created[0]["sid"]
    assert (len(fake_twilio.received), len(fake_twilio.created)) == (2, 1)


async def test_a_timeout_is_retried_and_sent_once(
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    db: Database,
    fake_twilio: FakeTwilio,
    twilio: TwilioSender,
    frozen_clock: Any,
    resources: Resources,
) -> None:
    fake_twilio.then(Hang(1.5))
    message = await _queue(session, inbox, factory)
    worker = Worker(db, concurrency=1, resources=resources)
    await worker.drain()
    await session.refresh(message)
    # It may have reached Twilio: stays `sending`, without an id, until the retry.
    assert (message.status, message.provider_message_id) == (MessageStatus.sending, None)
    assert "did not answer in time" in (message.error_message or "")
    frozen_clock.advance(2)
    await worker.drain()
    await session.refresh(message)
    assert message.provider_message_id == fake_twilio.created[0]["sid"]
    assert len(fake_twilio.created) == 1


async def test_a_retry_after_a_callback_linked_the_message_does_not_resend(
    client: httpx.AsyncClient,
    twilio_settings: Settings,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    db: Database,
    fake_twilio: FakeTwilio,
    twilio: TwilioSender,
    frozen_clock: Any,
    resources: Resources,
) -> None:
    """The create call timed out after Twilio took the message; its status callback (our id
    on the URL) arrives before the retry, which then has nothing to send."""
    fake_twilio.then(Hang(1.5))
    message = await _queue(session, inbox, factory)
    worker = Worker(db, concurrency=1, resources=resources)
    await worker.drain()
    sid = f"SM{uuid.uuid4().hex}"
    await post_webhook(
        client,
        twilio_settings,
        "/webhooks/twilio/status",
        {"MessageSid": sid, "MessageStatus": "sent"},
        query=f"message_id={message.id}",
    )
    frozen_clock.advance(2)
    await worker.drain()
    await session.refresh(message)
    assert (message.provider_message_id, message.status) == (sid, MessageStatus.sent)
    assert len(fake_twilio.received) == 1  # only the attempt that hung
    assert (await _send_job(session)).status == JobStatus.done


async def test_21610_fails_the_message_and_records_the_opt_out(
    client: httpx.AsyncClient,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    db: Database,
    as_user: AsUser,
    fake_twilio: FakeTwilio,
    twilio: TwilioSender,
    resources: Resources,
) -> None:
    fake_twilio.then(Fail(400, 21610, "Attempt to send to unsubscribed recipient"))
    message = await _queue(session, inbox, factory)
    await Worker(db, concurrency=1, resources=resources).drain()
    await session.refresh(message)
    assert (message.status, message.error_code) == (MessageStatus.failed, "21610")
    assert "unsubscribed recipient" in (message.error_message or "")
    assert (await _send_job(session)).status == JobStatus.done  # no retry of a refusal
    [opt_out] = (await session.execute(select(OptOut))).scalars().all()
    assert (opt_out.address, opt_out.keyword, opt_out.source) == (
        CUSTOMER,
        "21610",
        "provider_error",
    )
    again = await client.post(
        f"/api/contacts/{message.contact_id}/messages",
        json={"body": "Hello?"},
        headers=as_user(inbox.csr),
    )
    assert again.status_code == 409
    assert len(fake_twilio.received) == 1


async def test_other_4xx_refusals_fail_at_once(
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    db: Database,
    fake_twilio: FakeTwilio,
    twilio: TwilioSender,
    resources: Resources,
) -> None:
    fake_twilio.then(Fail(400, 21211, "The 'To' number is not a valid phone number."))
    message = await _queue(session, inbox, factory)
    await Worker(db, concurrency=1, resources=resources).drain()
    await session.refresh(message)
    assert (message.status, message.error_code) == (MessageStatus.failed, "21211")
    assert await session.scalar(select(OptOut.id)) is None


async def test_the_last_failed_attempt_ends_the_message_failed(
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    db: Database,
    fake_twilio: FakeTwilio,
    twilio: TwilioSender,
    frozen_clock: Any,
    resources: Resources,
) -> None:
    fake_twilio.then(*[Fail(500, 20500, "Internal Server Error")] * SEND_ATTEMPTS)
    message = await _queue(session, inbox, factory)
    worker = Worker(db, concurrency=1, resources=resources)
    for _ in range(SEND_ATTEMPTS):
        await worker.drain()
        frozen_clock.advance(600)
    await session.refresh(message)
    assert (message.status, message.error_code) == (MessageStatus.failed, "20500")
    assert len(fake_twilio.received) == SEND_ATTEMPTS
    assert (await _send_job(session)).status == JobStatus.done


async def test_a_messaging_service_sends_for_its_number(
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    db: Database,
    fake_twilio: FakeTwilio,
    twilio: TwilioSender,
    resources: Resources,
) -> None:
    inbox.sms.messaging_service_sid = "MG" + "b" * 32
    await session.flush()
    message = await _queue(session, inbox, factory)
    await Worker(db, concurrency=1, resources=resources).drain()
    [request] = fake_twilio.received
    assert request.one("MessagingServiceSid") == "MG" + "b" * 32
    assert request.one("From") is None
    await session.refresh(message)
    assert message.provider_message_id == fake_twilio.created[0]["sid"]
