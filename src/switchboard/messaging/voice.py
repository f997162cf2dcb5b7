"""Inbound calls: a CRM call per provider call, business-hours routing (ring the office or
take a voicemail), the voicemail transcript into the contact's thread with a call-back task,
and the missed-call text. Provider-neutral: channels/twilio turns the answers into TwiML."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.callintel.schemas import SourceKind
from switchboard.callintel.service import queue_transcription, store_call_transcript
from switchboard.config import Settings
from switchboard.crm.models import (
    Call,
    CallDirection,
    CallOutcome,
    CallProvider,
    HandledByRole,
)
from switchboard.kit.clock import utcnow
from switchboard.kit.errors import Conflict
from switchboard.kit.phone import try_normalize_phone
from switchboard.messaging.inbound import DuplicateDelivery, UnknownDestination
from switchboard.messaging.models import (
    Channel,
    DeliveryEvent,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    Sender,
)
from switchboard.messaging.outbound import queue_outbound
from switchboard.messaging.repository import (
    MessageRepository,
    call_back_task_exists,
    call_by_provider_id,
    lock_counterpart,
    route_voice,
)
from switchboard.messaging.schemas import MessageRead
from switchboard.messaging.sessions import (
    announce_message,
    announce_session,
    contact_label,
    find_or_create_contact,
    session_for_inbound,
    touch_session,
)
from switchboard.messaging.text import clean_text, person_number
from switchboard.tasks.models import AssignedRole, TaskPriority, TaskSource
from switchboard.tasks.schemas import TaskCreate
from switchboard.tasks.service import create_system_task
from switchboard.tenancy.models import WEEKDAYS, Tenant
from switchboard.tenancy.service import get_tenant

log = logging.getLogger(__name__)

FINAL_CALL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
ANSWERED_DIAL_STATUSES = frozenset({"completed", "answered"})


@dataclass(frozen=True)
class InboundCall:
    call_sid: str
    from_number: str
    to_number: str
    status: str | None = None


@dataclass(frozen=True)
class CallAnswer:
    """What to do with a caller: ring `dial`, or (None) take a voicemail after `greeting`.
    `record` records the conversation, after telling the caller so (`consent`)."""

    dial: str | None
    greeting: str
    record: bool = False
    consent: str | None = None


def consent_announcement(tenant: Tenant) -> str:
    """Said before a recorded call is put through: callers must hear it (two-party consent
    states require it) before anything is recorded."""
    return f"Thanks for calling {tenant.name}. This call may be recorded for quality and training."


# --- business hours ------------------------------------------------------------------------------


def _window(tenant: Tenant, weekday: int) -> tuple[time, time] | None:
    hours = (tenant.business_hours or {}).get(WEEKDAYS[weekday])
    if not hours or len(hours) != 2:
        return None
    try:
        return time.fromisoformat(hours[0]), time.fromisoformat(hours[1])
    except (TypeError, ValueError):
        return None


def within_business_hours(tenant: Tenant, at: datetime) -> bool:
    """`tenant.business_hours` ({"mon": ["08:00", "18:00"], "sun": null, ...}) in the
    tenant's own time zone; a window that closes before it opens runs past midnight."""
    local = at.astimezone(tenant.zone)
    window = _window(tenant, local.weekday())
    if window is None:
        return False
    opens, closes = window
    now = local.time()
    return opens <= now < closes if opens < closes else (now >= opens or now < closes)


def call_back_due(tenant: Tenant, now: datetime) -> datetime:
    """An hour from now in business hours; otherwise an hour after the next opening."""
    if within_business_hours(tenant, now):
        return now + timedelta(hours=1)
    zone = tenant.zone
    local = now.astimezone(zone)
    for days_ahead in range(8):
        day = local.date() + timedelta(days=days_ahead)
        window = _window(tenant, day.weekday())
        if window is None:
            continue
        opening = datetime.combine(day, window[0], tzinfo=zone)
        if opening > local:
            return (opening + timedelta(hours=1)).astimezone(now.tzinfo)
    return now + timedelta(hours=12)


def _greeting(tenant: Tenant, *, open_now: bool) -> str:
    if open_now:
        return (
            f"Thanks for calling {tenant.name}. Sorry we missed you. Please leave a message "
            "after the tone and we will call you back shortly."
        )
    return (
        f"Thanks for calling {tenant.name}. We are closed right now. Please leave your name, "
        "number and how we can help after the tone, and we will call you back."
    )


def missed_call_text(tenant: Tenant) -> str:
    return tenant.missed_call_text or (
        f"Hi, this is {tenant.name}. Sorry we missed your call! "
        "Reply to this text and we'll help you right away."
    )


# --- the call flow -------------------------------------------------------------------------------


async def receive_call(session: AsyncSession, settings: Settings, call: InboundCall) -> CallAnswer:
    """Record the call (once, even if the webhook is retried) and decide how to answer."""
    tenant = await route_voice(session, call.to_number)
    if tenant is None:
        raise UnknownDestination(f"no channel account for {call.to_number}")
    now = utcnow()
    number = person_number(call.from_number)
    await lock_counterpart(session, tenant.id, number)
    if await call_by_provider_id(session, call.call_sid) is None:
        # A withheld number ("Anonymous", "+266696687") gets a call but no contact card.
        known = try_normalize_phone(number) is not None
        contact_id = (
            await find_or_create_contact(session, tenant.id, number, None, "Phone call")
            if known
            else None
        )
        session.add(
            Call(
                tenant_id=tenant.id,
                contact_id=contact_id,
                direction=CallDirection.inbound,
                from_number=call.from_number,
                to_number=call.to_number,
                started_at=now,
                provider=CallProvider.twilio,
                provider_call_id=call.call_sid,
                provider_status=call.status,
            )
        )
        await session.flush()
    open_now = within_business_hours(tenant, now)
    if open_now and tenant.office_phone:
        return CallAnswer(
            dial=tenant.office_phone,
            greeting=_greeting(tenant, open_now=True),
            record=tenant.record_calls,
            consent=consent_announcement(tenant) if tenant.record_calls else None,
        )
    return CallAnswer(dial=None, greeting=_greeting(tenant, open_now=False))


async def record_dial_result(
    session: AsyncSession, call_sid: str, dial_status: str
) -> CallAnswer | None:
    """The office line's answer: None when staff picked up, else take a voicemail."""
    call = await call_by_provider_id(session, call_sid)
    if dial_status in ANSWERED_DIAL_STATUSES:
        if call is not None:
            call.handled_by_role = HandledByRole.csr
            await session.flush()
        return None
    if call is None:
        log.info("dial result %s for unknown call %s", dial_status, call_sid)
        return CallAnswer(dial=None, greeting="Please leave a message after the tone.")
    tenant = await get_tenant(session, call.tenant_id)
    return CallAnswer(dial=None, greeting=_greeting(tenant, open_now=True))


async def record_recording(
    session: AsyncSession, call_sid: str, recording_url: str | None, duration_seconds: int
) -> None:
    call = await call_by_provider_id(session, call_sid)
    if call is None:
        log.info("recording for unknown call %s", call_sid)
        return
    if recording_url:
        call.recording_url = recording_url
    if duration_seconds > 0:
        call.outcome = CallOutcome.voicemail
    await session.flush()


async def record_voicemail(
    session: AsyncSession,
    settings: Settings,
    *,
    call_sid: str,
    transcript: str | None,
    recording_url: str | None,
) -> MessageRead | None:
    """The voicemail enters the caller's thread (a voice-channel message from the system) and
    becomes a high-priority call-back task for the CSRs. Once per call."""
    call = await call_by_provider_id(session, call_sid)
    if call is None:
        log.info("voicemail transcript for unknown call %s", call_sid)
        return None
    tenant = await get_tenant(session, call.tenant_id)
    await lock_counterpart(session, tenant.id, person_number(call.from_number or call_sid))
    if await call_back_task_exists(session, tenant.id, call.id):
        return None  # Twilio retried the callback: the thread and the task already have it
    now = utcnow()
    text = clean_text(transcript or "").strip()
    body = text or "Voicemail (no transcript available)"
    call.outcome = CallOutcome.voicemail
    if recording_url:
        call.recording_url = call.recording_url or recording_url

    message: MessageRead | None = None
    if call.contact_id is not None and call.from_number:
        conversation, created = await session_for_inbound(
            session,
            tenant=tenant,
            settings=settings,
            channel=Channel.voice,
            counterpart=person_number(call.from_number),
            our_address=call.to_number,
            contact_id=call.contact_id,
            title="Voicemail",
            now=now,
        )
        await session.flush()
        row = await MessageRepository(session, tenant.id).insert_once(
            {
                "session_id": conversation.id,
                "contact_id": call.contact_id,
                "direction": Direction.inbound,
                "sender": Sender.system,
                "kind": MessageKind.automated,
                "channel": Channel.voice,
                "from_address": call.from_number,
                "to_address": call.to_number,
                "body": body,
                "media": [{"url": recording_url, "content_type": "audio/x-wav"}]
                if recording_url
                else [],
                "provider_message_id": f"voicemail:{call_sid}",
                "status": MessageStatus.received,
                "call_id": call.id,
                "created_at": now,
                "updated_at": now,
            }
        )
        if row is None:
            raise DuplicateDelivery(f"voicemail:{call_sid}")
        message = MessageRead.model_validate(row)
        await touch_session(session, conversation, message, now)
        announce_message(session, message, "message.created", tenant.id)
        kind = "session.created" if created else "session.updated"
        announce_session(session, conversation, kind, tenant.id)
    if text:
        # Analysed like any call: its summary shows on the call; the call-back task below
        # is the voicemail's own, so the analysis adds none.
        await store_call_transcript(session, call, text, [], None)
    name = (
        await contact_label(session, tenant.id, call.contact_id)
        if call.contact_id
        else (call.from_number or "an unknown caller")
    )
    await create_system_task(
        session,
        tenant.id,
        TaskCreate(
            title=f"Call back {name}"[:200],
            description=f"Voicemail: {body}"[:10_000],
            priority=TaskPriority.high,
            due_at=call_back_due(tenant, now),
            assigned_role=AssignedRole.csr,
            contact_id=call.contact_id,
            call_id=call.id,
        ),
        TaskSource.system,
    )
    return message


async def record_call_recording(
    session: AsyncSession,
    settings: Settings,
    call_sid: str,
    recording_url: str | None,
    status: str | None,
) -> None:
    """A recorded conversation's recording (the `<Dial record>` status callback): its URL on
    the call, and a transcription queued when a transcriber is configured. Not a voicemail:
    the outcome stays as the call's."""
    call = await call_by_provider_id(session, call_sid)
    if call is None:
        log.info("call recording for unknown call %s", call_sid)
        return
    if (status or "completed") != "completed" or not recording_url:
        return
    first = call.recording_url != recording_url
    call.recording_url = recording_url
    if first and settings.transcriber != "none":
        queue_transcription(session, call.tenant_id, SourceKind.call, call.id)
    await session.flush()


async def record_call_transcript(
    session: AsyncSession, call_sid: str, transcript: str | None, recording_url: str | None
) -> bool:
    """The transcript of a recorded conversation: stored on the call, its analysis queued.
    False when it is not one (a voicemail's goes to `record_voicemail`)."""
    call = await call_by_provider_id(session, call_sid)
    if call is None or call.outcome == CallOutcome.voicemail or call.handled_by_role is None:
        return False
    text = clean_text(transcript or "").strip()
    if recording_url:
        call.recording_url = call.recording_url or recording_url
    if text:
        await store_call_transcript(session, call, text, [], None)
    await session.flush()
    return True


def call_status_after(current: str | None, reported: str) -> str | None:
    """A call's provider status after Twilio reports `reported`: forward only. queued <
    initiated < ringing < in-progress < a final status; the first final status stays, so a
    late `ringing` never reopens a finished call. A word we do not know moves nothing."""
    if current in FINAL_CALL_STATUSES:
        return current
    if reported in FINAL_CALL_STATUSES:
        return reported
    if _CALL_PROGRESS.get(reported, -1) > _CALL_PROGRESS.get(current or "", -1):
        return reported
    return current


_CALL_PROGRESS = {"queued": 0, "initiated": 1, "ringing": 2, "in-progress": 3}


async def record_call_status(
    session: AsyncSession,
    call_sid: str,
    status: str,
    duration_seconds: int | None,
    payload: dict[str, str] | None = None,
) -> None:
    """The call's progress, kept as a DeliveryEvent like a message's status callback (no
    message, the CallSid as the provider id), and moving the call forward only. When it
    ends without staff answering it is missed (a voicemail keeps its outcome) and, if the
    tenant wants it, the caller gets the missed-call text: once, as the call is read
    locked, so two callbacks at once take turns."""
    call = await call_by_provider_id(session, call_sid)
    if call is None:
        log.info("status %s for unknown call %s", status, call_sid)
        return
    session.add(
        DeliveryEvent(
            tenant_id=call.tenant_id,
            provider_message_id=call_sid,
            status=status,
            payload=payload or {},
        )
    )
    was_final = call.provider_status in FINAL_CALL_STATUSES
    call.provider_status = call_status_after(call.provider_status, status)
    if duration_seconds is not None:
        call.duration_seconds = max(0, duration_seconds)
    ended = not was_final and call.provider_status in FINAL_CALL_STATUSES
    if not ended or call.handled_by_role is not None:
        await session.flush()
        return
    if call.outcome is None:
        call.outcome = CallOutcome.missed
    await session.flush()
    await send_missed_call_text(session, call)


async def send_missed_call_text(session: AsyncSession, call: Call) -> Message | None:
    tenant = await get_tenant(session, call.tenant_id)
    if not tenant.missed_call_text_enabled or call.contact_id is None:
        return None
    try:
        async with session.begin_nested():
            return await queue_outbound(
                session,
                tenant=tenant,
                contact_id=call.contact_id,
                body=missed_call_text(tenant),
                sender=Sender.system,
                kind=MessageKind.automated,
                channel=Channel.sms,
            )
    except Conflict as exc:  # opted out, or no SMS number to send from
        log.info("no missed-call text for call %s: %s", call.provider_call_id, exc.message)
        return None
