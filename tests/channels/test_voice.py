"""The voice flow: a CRM call per inbound call, TwiML in and out of business hours, the
office line's answer, voicemail into the thread with a call-back task, the missed-call text."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.config import Settings
from switchboard.crm.models import Call, CallOutcome, CallProvider, CallTranscript, HandledByRole
from switchboard.kit.jobs import Job
from switchboard.messaging.models import (
    Channel,
    DeliveryEvent,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    MessagingSession,
    Sender,
)
from switchboard.messaging.optouts import record_opt_out
from switchboard.messaging.voice import call_back_due, within_business_hours
from switchboard.tasks.models import AssignedRole, Task, TaskPriority, TaskSource
from tests.factories import Factory
from tests.messaging.support import CUSTOMER, OUR_NUMBER, Inbox, count, post_webhook

VOICE = "/webhooks/twilio/voice"
BASE = "https://switchboard.test/webhooks/twilio"
OFFICE = "+13125550900"
# Monday 2026-11-23 in Chicago (UTC-6): 10:00 local is open, 21:00 local is closed.
MONDAY_10AM = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
MONDAY_9PM = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def call_params(sid: str, **extra: str) -> dict[str, str]:
    return {
        "CallSid": sid,
        "AccountSid": f"AC{'1' * 32}",
        "From": CUSTOMER,
        "To": OUR_NUMBER,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def twiml(response: httpx.Response) -> ElementTree.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return ElementTree.fromstring(response.text)


async def _call(session: AsyncSession, sid: str) -> Call:
    found = (
        await session.execute(
            select(Call)
            .where(Call.provider_call_id == sid)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    return found


async def test_in_business_hours_the_office_line_rings(
    client: httpx.AsyncClient, settings: Settings, office: Inbox, session: AsyncSession, at: Any
) -> None:
    at(MONDAY_10AM)
    sid = f"CA{uuid.uuid4().hex}"
    answer = twiml(await post_webhook(client, settings, VOICE, call_params(sid)))
    [dial] = answer.findall("Dial")
    assert dial.text == OFFICE
    assert dial.get("action") == f"{BASE}/voice/dial"
    assert answer.find("Record") is None
    call = await _call(session, sid)
    assert (call.provider, call.direction, call.from_number, call.to_number) == (
        CallProvider.twilio,
        "inbound",
        CUSTOMER,
        OUR_NUMBER,
    )
    assert call.started_at == MONDAY_10AM and call.contact_id is not None


async def test_out_of_hours_the_caller_gets_voicemail_with_transcription(
    client: httpx.AsyncClient, settings: Settings, office: Inbox, session: AsyncSession, at: Any
) -> None:
    at(MONDAY_9PM)
    answer = twiml(
        await post_webhook(client, settings, VOICE, call_params(f"CA{uuid.uuid4().hex}"))
    )
    assert answer.find("Dial") is None
    assert "closed" in (answer.findtext("Say") or "")
    record = answer.find("Record")
    assert record is not None
    assert record.get("transcribe") == "true"
    assert record.get("transcribeCallback") == f"{BASE}/voice/transcription"
    assert record.get("action") == f"{BASE}/voice/recording"


async def test_a_retried_call_webhook_records_one_call(
    client: httpx.AsyncClient, settings: Settings, office: Inbox, session: AsyncSession, at: Any
) -> None:
    at(MONDAY_10AM)
    params = call_params(f"CA{uuid.uuid4().hex}")
    for _ in range(2):
        await post_webhook(client, settings, VOICE, params)
    assert await count(session, Call, Call.tenant_id == office.tenant.id) == 1


def test_business_hours_follow_the_tenants_zone_and_week(office: Inbox) -> None:
    tenant = office.tenant
    tenant.timezone = "America/Chicago"
    assert within_business_hours(tenant, MONDAY_10AM)
    assert not within_business_hours(tenant, MONDAY_9PM)
    assert not within_business_hours(tenant, datetime(2026, 11, 22, 17, 0, tzinfo=UTC))  # Sunday
    tenant.business_hours = {**tenant.business_hours, "mon": ["20:00", "02:00"]}
    assert within_business_hours(tenant, MONDAY_9PM)  # a window past midnight
    tenant.business_hours = {**tenant.business_hours, "mon": ["08:00", "18:00"]}
    # Monday 9pm: called back an hour after Tuesday's opening, 08:00 Chicago = 14:00 UTC.
    assert call_back_due(tenant, MONDAY_9PM) == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


async def test_an_unanswered_office_line_falls_back_to_voicemail(
    client: httpx.AsyncClient, settings: Settings, office: Inbox, session: AsyncSession, at: Any
) -> None:
    at(MONDAY_10AM)
    sid = f"CA{uuid.uuid4().hex}"
    await post_webhook(client, settings, VOICE, call_params(sid))
    dial = call_params(sid, DialCallStatus="no-answer", CallStatus="in-progress")
    answer = twiml(await post_webhook(client, settings, f"{VOICE}/dial", dial))
    assert answer.find("Record") is not None
    assert "missed you" in (answer.findtext("Say") or "")
    assert (await _call(session, sid)).handled_by_role is None


async def test_an_answered_call_is_handled_and_gets_no_missed_call_text(
    client: httpx.AsyncClient, settings: Settings, office: Inbox, session: AsyncSession, at: Any
) -> None:
    at(MONDAY_10AM)
    sid = f"CA{uuid.uuid4().hex}"
    await post_webhook(client, settings, VOICE, call_params(sid))
    dial = call_params(sid, DialCallStatus="completed", DialCallDuration="95")
    answer = twiml(await post_webhook(client, settings, f"{VOICE}/dial", dial))
    assert answer.find("Hangup") is not None
    status = call_params(sid, CallStatus="completed", CallDuration="101")
    await post_webhook(client, settings, f"{VOICE}/status", status)
    call = await _call(session, sid)
    assert (call.handled_by_role, call.duration_seconds, call.outcome) == (
        HandledByRole.csr,
        101,
        None,
    )
    assert await count(session, Message) == 0


async def test_a_missed_call_gets_the_missed_call_text_once(
    client: httpx.AsyncClient, settings: Settings, office: Inbox, session: AsyncSession, at: Any
) -> None:
    at(MONDAY_9PM)
    office.tenant.missed_call_text = "Sorry we missed you! Text us here and we'll help."
    await session.flush()
    sid = f"CA{uuid.uuid4().hex}"
    await post_webhook(client, settings, VOICE, call_params(sid))
    final = call_params(sid, CallStatus="completed", CallDuration="12")
    for _ in range(2):  # Twilio may repeat a callback
        assert (await post_webhook(client, settings, f"{VOICE}/status", final)).status_code == 200
    call = await _call(session, sid)
    assert (call.outcome, call.duration_seconds, call.provider_status) == (
        CallOutcome.missed,
        12,
        "completed",
    )
    [text] = (await session.execute(select(Message))).scalars().all()
    assert (text.direction, text.sender, text.kind, text.channel) == (
        Direction.outbound,
        Sender.system,
        MessageKind.automated,
        Channel.sms,
    )
    assert (text.body, text.to_address, text.status) == (
        "Sorry we missed you! Text us here and we'll help.",
        CUSTOMER,
        MessageStatus.queued,
    )
    assert text.contact_id == call.contact_id
    assert await count(session, Job, Job.kind == "messaging.send") == 1


async def test_a_late_status_never_reopens_a_finished_call(
    client: httpx.AsyncClient, settings: Settings, office: Inbox, session: AsyncSession, at: Any
) -> None:
    """Callbacks out of order: `in-progress` after `completed` moves nothing (so a repeated
    `completed` sends no second missed-call text), and each one is kept."""
    at(MONDAY_9PM)
    sid = f"CA{uuid.uuid4().hex}"
    await post_webhook(client, settings, VOICE, call_params(sid))
    for status in ("completed", "in-progress", "ringing", "completed"):
        response = await post_webhook(
            client, settings, f"{VOICE}/status", call_params(sid, CallStatus=status)
        )
        assert response.status_code == 200
    assert (await _call(session, sid)).provider_status == "completed"
    assert await count(session, Message) == 1
    kept = await session.execute(
        select(DeliveryEvent.status)
        .where(DeliveryEvent.provider_message_id == sid)
        .order_by(DeliveryEvent.created_at)
    )
    assert list(kept.scalars()) == ["completed", "in-progress", "ringing", "completed"]


async def test_no_missed_call_text_when_disabled_or_opted_out(
    client: httpx.AsyncClient, settings: Settings, office: Inbox, session: AsyncSession, at: Any
) -> None:
    at(MONDAY_9PM)
    office.tenant.missed_call_text_enabled = False
    await session.flush()
    first = f"CA{uuid.uuid4().hex}"
    await post_webhook(client, settings, VOICE, call_params(first))
    await post_webhook(
        client, settings, f"{VOICE}/status", call_params(first, CallStatus="no-answer")
    )
    assert (await _call(session, first)).outcome == CallOutcome.missed

    office.tenant.missed_call_text_enabled = True
    await record_opt_out(session, office.tenant.id, CUSTOMER, "sms", "STOP", source="keyword")
    second = f"CA{uuid.uuid4().hex}"
    await post_webhook(client, settings, VOICE, call_params(second))
    response = await post_webhook(
        client, settings, f"{VOICE}/status", call_params(second, CallStatus="busy")
    )
    assert response.status_code == 200
    assert await count(session, Message) == 0
    assert await count(session, MessagingSession) == 0


async def test_a_voicemail_enters_the_thread_and_becomes_a_call_back_task(
    client: httpx.AsyncClient,
    settings: Settings,
    office: Inbox,
    factory: Factory,
    session: AsyncSession,
    at: Any,
) -> None:
    at(MONDAY_9PM)
    contact = await factory.contact(
        office.tenant, phone=CUSTOMER, first_name="Ray", last_name="Moss"
    )
    sid = f"CA{uuid.uuid4().hex}"
    recording = f"https://api.twilio.com/2010-04-01/Accounts/AC{'1' * 32}/Recordings/RE{'2' * 32}"
    await post_webhook(client, settings, VOICE, call_params(sid))
    recorded = call_params(sid, RecordingUrl=recording, RecordingDuration="23", RecordingSid="RE1")
    goodbye = twiml(await post_webhook(client, settings, f"{VOICE}/recording", recorded))
    assert goodbye.find("Hangup") is not None
    transcript = call_params(
        sid,
        TranscriptionSid="TR" + "3" * 32,
        TranscriptionText="Hi, this is Ray, my gutter is leaking, please call me back.",
        TranscriptionStatus="completed",
        RecordingUrl=recording,
    )
    for _ in range(2):  # a repeated callback adds nothing
        response = await post_webhook(client, settings, f"{VOICE}/transcription", transcript)
        assert response.status_code == 200
    await post_webhook(
        client, settings, f"{VOICE}/status", call_params(sid, CallStatus="completed")
    )

    call = await _call(session, sid)
    assert (call.outcome, call.recording_url, call.contact_id) == (
        CallOutcome.voicemail,
        recording,
        contact.id,
    )
    voicemail = (
        await session.execute(select(Message).where(Message.channel == Channel.voice))
    ).scalar_one()
    assert (voicemail.direction, voicemail.sender, voicemail.call_id) == (
        Direction.inbound,
        Sender.system,
        call.id,
    )
    assert voicemail.body.startswith("Hi, this is Ray")
    assert voicemail.media == [{"url": recording, "content_type": "audio/x-wav"}]
    assert voicemail.contact_id == contact.id
    assert (
        await session.execute(select(CallTranscript.text).where(CallTranscript.call_id == call.id))
    ).scalar_one() == voicemail.body
    [task] = (await session.execute(select(Task).where(Task.call_id == call.id))).scalars().all()
    assert (task.title, task.priority, task.assigned_role, task.source, task.contact_id) == (
        "Call back Ray Moss",
        TaskPriority.high,
        AssignedRole.csr,
        TaskSource.system,
        contact.id,
    )
    assert task.due_at == call_back_due(office.tenant, MONDAY_9PM)
    # The voicemail caller also gets the missed-call text, in an SMS session.
    [text] = (
        (await session.execute(select(Message).where(Message.channel == Channel.sms)))
        .scalars()
        .all()
    )
    assert text.sender == Sender.system


async def test_unknown_numbers_and_bad_signatures(
    client: httpx.AsyncClient, settings: Settings, office: Inbox, session: AsyncSession
) -> None:
    unknown = await post_webhook(
        client, settings, VOICE, call_params("CA" + "9" * 32, To="+15555559999")
    )
    assert unknown.status_code == 404
    forged = await post_webhook(
        client, settings, VOICE, call_params("CA" + "8" * 32), signature="Zm9yZ2Vk"
    )
    assert forged.status_code == 403
    assert await count(session, Call) == 0
    late = await post_webhook(
        client, settings, f"{VOICE}/status", call_params("CA" + "7" * 32, CallStatus="completed")
    )
    assert late.status_code == 200
