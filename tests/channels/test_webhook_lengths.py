"""Twilio webhook fields are held to the length of the column each is stored in
(kit/limits.py): one character more is a 400 naming the field, before anything is written;
a value at the limit is stored whole. Nothing is cut to fit: on PostgreSQL an 82-character
From and a 102-character CallSid answered 500, and a 102-character MessageSid was stored cut
to 64, so a second one sharing those 64 characters was taken for a redelivery and dropped."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.config import Settings
from switchboard.crm.models import Call, ContactCard, ContactPhone
from switchboard.kit import limits
from switchboard.kit.jobs import Job
from switchboard.messaging.models import DeliveryEvent, Message
from tests.factories import Factory
from tests.messaging.support import CUSTOMER, OUR_NUMBER, Inbox, count, post_webhook, sms_params

SMS = "/webhooks/twilio/sms"
STATUS = "/webhooks/twilio/status"
VOICE = "/webhooks/twilio/voice"


def _sid(prefix: str, length: int) -> str:
    return (prefix + uuid.uuid4().hex * 4)[:length]


def _call(**fields: str) -> dict[str, str]:
    return {"CallSid": _sid("CA", 34), "From": CUSTOMER, "To": OUR_NUMBER, **fields}


def _status(**fields: str) -> dict[str, str]:
    return {"MessageSid": _sid("SM", 34), "MessageStatus": "delivered", **fields}


TOO_LONG = [
    (SMS, "From", sms_params(sender="+1" + "3" * 80)),  # 82 characters
    (SMS, "From", sms_params(sender="+" + "1" * limits.PHONE)),
    (SMS, "MessageSid", sms_params(sid=_sid("SM", 102))),
    (SMS, "MessageSid", sms_params(sid=_sid("SM", limits.PROVIDER_ID + 1))),
    (SMS, "To", sms_params(to="+" + "5" * limits.ADDRESS)),
    (SMS, "Body", sms_params("x" * (limits.SMS_BODY + 1))),
    (SMS, "ProfileName", sms_params(ProfileName="A" * (limits.NAME + 1))),
    (SMS, "MessagingServiceSid", sms_params(MessagingServiceSid=_sid("MG", 65))),
    (STATUS, "MessageSid", _status(MessageSid=_sid("SM", limits.PROVIDER_ID + 1))),
    (STATUS, "MessageStatus", _status(MessageStatus="d" * (limits.STATUS_WORD + 1))),
    (STATUS, "ErrorCode", _status(ErrorCode="3" * (limits.ERROR_CODE + 1))),
    (STATUS, "ErrorMessage", _status(ErrorMessage="e" * (limits.ERROR_MESSAGE + 1))),
    (VOICE, "CallSid", _call(CallSid=_sid("CA", 102))),
    (VOICE, "CallSid", _call(CallSid=_sid("CA", limits.PROVIDER_ID + 1))),
    (VOICE, "From", _call(From="+" + "1" * limits.PHONE)),
    (VOICE, "To", _call(To="+" + "5" * limits.PHONE)),
    (f"{VOICE}/status", "CallStatus", _call(CallStatus="c" * (limits.STATUS_WORD + 1))),
    (f"{VOICE}/recording", "RecordingUrl", _call(RecordingUrl="https://" + "r" * limits.URL)),
    (f"{VOICE}/transcription", "RecordingUrl", _call(RecordingUrl="https://" + "r" * limits.URL)),
    (f"{VOICE}/dial", "CallSid", _call(CallSid=_sid("CA", 102), DialCallStatus="completed")),
]


@pytest.mark.parametrize(
    ("path", "field", "params"), TOO_LONG, ids=[f"{p} {f} {len(v[f])}" for p, f, v in TOO_LONG]
)
async def test_one_character_too_many_is_a_400_naming_the_field_and_writes_nothing(
    path: str,
    field: str,
    params: dict[str, str],
    client: httpx.AsyncClient,
    settings: Settings,
    inbox: Inbox,
    session: AsyncSession,
) -> None:
    response = await post_webhook(client, settings, path, params)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
    assert response.json()["message"].startswith(f"{field} is longer than ")
    for model in (Message, Call, ContactCard, DeliveryEvent, Job):
        assert await count(session, model) == 0, model


async def test_two_long_message_sids_sharing_their_first_64_characters_are_both_refused(
    client: httpx.AsyncClient, settings: Settings, inbox: Inbox, session: AsyncSession
) -> None:
    prefix = _sid("SM", limits.PROVIDER_ID)
    for ending in ("first", "second"):
        params = sms_params(f"message {ending}", sid=prefix + ending * 8)
        assert (await post_webhook(client, settings, SMS, params)).status_code == 400
    assert await count(session, Message) == 0


async def test_values_at_the_limit_are_stored_whole(
    client: httpx.AsyncClient,
    settings: Settings,
    inbox: Inbox,
    session: AsyncSession,
    factory: Factory,
) -> None:
    sender = "+" + "1" * (limits.PHONE - 1)  # no phone number, but kept as the sender gave it
    sid = _sid("SM", limits.PROVIDER_ID)
    name = "Ann " + "B" * (limits.NAME - 4)
    text = sms_params("x" * limits.SMS_BODY, sender=sender, sid=sid, ProfileName=name)
    assert (await post_webhook(client, settings, SMS, text)).status_code == 200
    message = (await session.execute(select(Message))).scalar_one()
    assert (message.provider_message_id, message.from_address) == (sid, sender)
    assert len(message.body) == limits.SMS_BODY
    phone = (await session.execute(select(ContactPhone))).scalar_one()
    card = await session.get(ContactCard, phone.contact_id)
    assert card is not None and (phone.number, card.last_name) == (sender, name[4:])

    report = {
        "MessageSid": sid,
        "MessageStatus": "undelivered",
        "ErrorCode": "3" * limits.ERROR_CODE,
        "ErrorMessage": "e" * limits.ERROR_MESSAGE,
    }
    assert (await post_webhook(client, settings, STATUS, report)).status_code == 200
    event = (await session.execute(select(DeliveryEvent))).scalar_one()
    assert event.error_code == report["ErrorCode"]

    call_sid = _sid("CA", limits.PROVIDER_ID)
    caller = "+" + "2" * (limits.PHONE - 1)
    assert (
        await post_webhook(client, settings, VOICE, _call(CallSid=call_sid, From=caller))
    ).status_code == 200
    call = (await session.execute(select(Call))).scalar_one()
    assert (call.provider_call_id, call.from_number) == (call_sid, caller)
