"""Twilio webhooks: SMS and WhatsApp messages, delivery status, and the voice call flow.

Each answers fast with TwiML only. Its writes commit before the answer goes out (so a 200
means stored), and anything slow (AI replies, sends) runs afterwards as jobs."""

from __future__ import annotations

import logging
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from switchboard.channels.twilio import twiml
from switchboard.channels.twilio.webhooks import (
    TwilioForm,
    call_sid,
    call_status,
    delivery_report,
    field,
    inbound_call,
    inbound_message,
    number,
    payload_of,
    verified_form,
)
from switchboard.kit import limits
from switchboard.kit.db import Database
from switchboard.kit.deps import AppSettings, get_db
from switchboard.messaging import service, voice
from switchboard.messaging.inbound import Delivery, InboundIntake

log = logging.getLogger(__name__)
PREFIX = "/webhooks/twilio"


router = APIRouter(tags=["twilio"])
DB = Annotated[Database, Depends(get_db)]


def inbound_intake(request: Request) -> InboundIntake:
    """The app's group commit of inbound messages, with its cache of webhook destinations
    (made on first use: tests drive the app without its lifespan)."""
    state = request.app.state
    intake: InboundIntake | None = getattr(state, "inbound_intake", None)
    if intake is None:
        intake = state.inbound_intake = InboundIntake(state.db, state.settings)
    return intake


def _unknown_destination(exc: service.UnknownDestination) -> Response:
    # Twilio's debugger shows this body next to the failed request.
    log.warning("Twilio webhook for an unknown destination: %s", exc.message)
    return Response(exc.message, status_code=404, media_type="text/plain")


@router.post(PREFIX + "/sms", summary="Inbound SMS, MMS or WhatsApp message")
@router.post(PREFIX + "/whatsapp", summary="Inbound WhatsApp message")
async def inbound_message_webhook(request: Request) -> Response:
    # The busiest route reads its request itself: FastAPI's dependency resolution would
    # cost it more than the signature check does.
    form = await verified_form(request)
    service_sid = field(form, "MessagingServiceSid", limits.PROVIDER_ID)
    delivery = Delivery(inbound_message(form), service_sid)
    try:
        outcome = await inbound_intake(request).receive(delivery)
    except service.UnknownDestination as exc:
        return _unknown_destination(exc)
    except service.DuplicateDelivery:  # still racing another process after the retry
        return twiml.empty()
    return twiml.message_reply(outcome.reply)


@router.post(PREFIX + "/status", summary="Delivery status callback of an outbound message")
async def delivery_status_webhook(
    form: TwilioForm,
    db: DB,
    message_id: Annotated[uuid.UUID | None, Query(description="Our id, set when sending")] = None,
) -> Response:
    async with db.transaction() as session:
        await service.record_delivery(session, delivery_report(form, message_id))
    return twiml.empty()


def _voice_base(settings: AppSettings) -> str:
    return settings.public_url.rstrip("/") + PREFIX


@router.post(PREFIX + "/voice", summary="Inbound call")
async def inbound_call_webhook(form: TwilioForm, db: DB, settings: AppSettings) -> Response:
    try:
        async with db.transaction() as session:
            answer = await voice.receive_call(session, settings, inbound_call(form))
    except service.UnknownDestination as exc:
        return _unknown_destination(exc)
    return twiml.voice_answer(answer, _voice_base(settings))


@router.post(PREFIX + "/voice/dial", summary="The office line's answer (Dial action)")
async def dial_result_webhook(form: TwilioForm, db: DB, settings: AppSettings) -> Response:
    async with db.transaction() as session:
        answer = await voice.record_dial_result(
            session, call_sid(form), field(form, "DialCallStatus", None) or ""
        )
    if answer is None:
        return twiml.hang_up()
    return twiml.voicemail(answer.greeting, _voice_base(settings))


@router.post(
    PREFIX + "/voice/recording",
    summary="Voicemail recorded (Record action), or a recorded call's recording status",
)
async def recording_webhook(
    form: TwilioForm,
    db: DB,
    settings: AppSettings,
    source: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    if source == "call" or field(form, "RecordingSource", limits.STATUS_WORD) == "DialVerb":
        async with db.transaction() as session:
            await voice.record_call_recording(
                session,
                settings,
                call_sid(form),
                field(form, "RecordingUrl", limits.URL),
                field(form, "RecordingStatus", limits.STATUS_WORD),
            )
        return twiml.empty()  # a status callback: Twilio reads no answer
    async with db.transaction() as session:
        await voice.record_recording(
            session,
            call_sid(form),
            field(form, "RecordingUrl", limits.URL),
            number(form, "RecordingDuration") or 0,
        )
    return twiml.goodbye()


@router.post(
    PREFIX + "/voice/transcription",
    summary="Transcript of a voicemail or of a recorded call (transcribeCallback)",
)
async def transcription_webhook(form: TwilioForm, db: DB, settings: AppSettings) -> Response:
    completed = (field(form, "TranscriptionStatus", None) or "completed") == "completed"
    text = field(form, "TranscriptionText", None) if completed else None
    try:
        async with db.transaction() as session:
            if await voice.record_call_transcript(
                session, call_sid(form), text, field(form, "RecordingUrl", limits.URL)
            ):
                return twiml.empty()
            await voice.record_voicemail(
                session,
                settings,
                call_sid=call_sid(form),
                transcript=text,
                recording_url=field(form, "RecordingUrl", limits.URL),
            )
    except service.DuplicateDelivery:
        pass
    return twiml.empty()


@router.post(PREFIX + "/voice/status", summary="Call status callback")
async def call_status_webhook(form: TwilioForm, db: DB) -> Response:
    async with db.transaction() as session:
        await voice.record_call_status(
            session,
            call_sid(form),
            call_status(form) or "unknown",
            number(form, "CallDuration"),
            payload_of(form),
        )
    return twiml.empty()


@router.post("/bench/noop", include_in_schema=False)
async def bench_noop(request: Request) -> Response:
    """The benchmarks' baseline: the same app and middleware, no work. 404 unless
    SWITCHBOARD_BENCH_ROUTES=true."""
    if not request.app.state.settings.bench_routes:
        return Response(status_code=404)
    return twiml.empty()
