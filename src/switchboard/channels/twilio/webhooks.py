"""Twilio webhook plumbing: the signature check and the form -> domain shapes."""

from __future__ import annotations

import logging
import re
import uuid
from typing import Annotated, cast
from urllib.parse import parse_qsl

from fastapi import Depends, Request
from starlette.datastructures import FormData, UploadFile
from twilio.request_validator import RequestValidator, compare

from switchboard.channels.twilio.sender import OUTBOUND_STATUS
from switchboard.config import Settings
from switchboard.kit import limits
from switchboard.kit.errors import Forbidden, SwitchboardError
from switchboard.messaging.models import Channel
from switchboard.messaging.schemas import DeliveryReport, InboundMessage
from switchboard.messaging.text import clean_text
from switchboard.messaging.voice import InboundCall
from switchboard.tenancy.models import WHATSAPP_PREFIX

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Twilio-Signature"
_MEDIA_URL = re.compile(r"^MediaUrl(\d+)$")
_URLENCODED = "application/x-www-form-urlencoded"
_MAX_FIELDS = 1000  # Starlette's limit


def signed_url(settings: Settings, request: Request) -> str:
    """The URL Twilio signed: our public URL (never the Host header, which a proxy rewrites)
    plus the path and query the request arrived with (read from the ASGI scope, as
    `request.url` has them: building that URL costs a webhook more than its HMAC)."""
    query = request.scope.get("query_string", b"").decode("latin-1")
    path: str = request.scope["path"]
    return settings.public_url.rstrip("/") + path + (f"?{query}" if query else "")


async def posted_form(request: Request) -> FormData:
    """The form as Starlette would parse it. Twilio posts url-encoded forms, read here with
    the standard library's parser at a third of python-multipart's cost; anything else
    (multipart) goes to Starlette."""
    content_type = request.headers.get("content-type", "")
    if content_type.partition(";")[0].strip().lower() != _URLENCODED:
        return await request.form()
    body = (await request.body()).decode("latin-1")
    try:
        # Like Starlette: latin-1 for the raw bytes, UTF-8 for the %-escapes, blanks kept.
        fields = parse_qsl(body, keep_blank_values=True, max_num_fields=_MAX_FIELDS)
    except ValueError as exc:
        raise MalformedWebhook("too many form fields") from exc
    return FormData(cast(list[tuple[str, str | UploadFile]], fields))


async def verified_form(request: Request) -> FormData:
    """The posted form, once X-Twilio-Signature matches it: the auth token's HMAC over the
    URL and every posted parameter, known or not. Anything else is a 403, before any write.
    (The app's settings are read directly: a sub-dependency costs every webhook more than
    the HMAC does.)"""
    settings: Settings = request.app.state.settings
    form = await posted_form(request)
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature or any(not isinstance(value, str) for _key, value in form.multi_items()):
        raise Forbidden("missing or malformed Twilio signature")
    if not _signed_by_twilio(settings, signed_url(settings, request), form, signature):
        log.warning("rejected a Twilio webhook with a bad signature on %s", request.url.path)
        raise Forbidden("the Twilio signature does not match this request")
    return form


def _signed_by_twilio(settings: Settings, url: str, form: FormData, signature: str) -> bool:
    """twilio's RequestValidator: first its signature of the URL exactly as configured (what
    Twilio signs), then, only if that differs, its full `validate`, which also tries the URL
    with and without its port. A valid webhook costs one HMAC instead of two."""
    validator = RequestValidator(settings.twilio_auth_token)
    params = _SignedParams.of(form)
    if compare(validator.compute_signature(url, params), signature):
        return True
    return bool(validator.validate(url, params, signature))


class _SignedParams(dict[str, list[str]]):
    """Every posted value by name, as the validator reads a multi-dict (`getall`): given
    Starlette's FormData it would look each name up by catching two AttributeErrors and
    then scan every field for it."""

    @classmethod
    def of(cls, form: FormData) -> _SignedParams:
        params = cls()
        for key, value in form.multi_items():
            params.setdefault(key, []).append(cast(str, value))
        return params

    def getall(self, key: str) -> list[str]:
        return self[key]


TwilioForm = Annotated[FormData, Depends(verified_form)]


class MalformedWebhook(SwitchboardError):
    status_code = 400
    code = "malformed_webhook"


def field(form: FormData, name: str, limit: int | None) -> str | None:
    """The posted value, None when absent or empty. A value longer than `limit` (the column
    it is stored in, from kit/limits.py; None for one that is only compared or stored as
    text) is a 400 naming the field: never cut to fit, so two long SIDs sharing their
    first characters never pass for one."""
    value = form.get(name)
    if not isinstance(value, str) or value == "":
        return None
    if limit is not None and len(value) > limit:
        raise MalformedWebhook(f"{name} is longer than {limit} characters", field=name)
    return clean_text(value)


def required(form: FormData, name: str, limit: int | None) -> str:
    value = field(form, name, limit)
    if value is None:
        raise MalformedWebhook(f"the webhook has no {name}", field=name)
    return value


def number(form: FormData, name: str) -> int | None:
    value = field(form, name, None)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def inbound_message(form: FormData) -> InboundMessage:
    """An SMS/MMS or WhatsApp message: every MediaUrlN with its MediaContentTypeN, in order."""
    sender = required(form, "From", limits.PHONE)  # its number becomes a contact's phone
    media = []
    indexes = sorted(
        int(match.group(1)) for key in form if (match := _MEDIA_URL.match(key)) is not None
    )
    for index in indexes:
        url = field(form, f"MediaUrl{index}", None)  # kept in JSON
        if url:
            item = {"url": url}
            content_type = field(form, f"MediaContentType{index}", None)
            if content_type:
                item["content_type"] = content_type
            media.append(item)
    return InboundMessage(
        provider_message_id=field(form, "MessageSid", limits.PROVIDER_ID)
        or required(form, "SmsMessageSid", limits.PROVIDER_ID),
        channel=Channel.whatsapp if sender.startswith(WHATSAPP_PREFIX) else Channel.sms,
        from_address=sender,
        to_address=required(form, "To", limits.ADDRESS),
        body=field(form, "Body", limits.SMS_BODY) or "",
        media=media,
        profile_name=field(form, "ProfileName", limits.NAME),
    )


def delivery_report(form: FormData, message_id: uuid.UUID | None) -> DeliveryReport:
    raw = (
        field(form, "MessageStatus", limits.STATUS_WORD)
        or field(form, "SmsStatus", limits.STATUS_WORD)
        or ""
    ).lower()
    return DeliveryReport(
        provider_message_id=field(form, "MessageSid", limits.PROVIDER_ID)
        or required(form, "SmsSid", limits.PROVIDER_ID),
        status=OUTBOUND_STATUS.get(raw),
        raw_status=raw or "unknown",
        error_code=field(form, "ErrorCode", limits.ERROR_CODE),
        error_message=field(form, "ErrorMessage", limits.ERROR_MESSAGE),
        message_id=message_id,
        payload=payload_of(form),
    )


def payload_of(form: FormData) -> dict[str, str]:
    """A callback as it arrived, for its DeliveryEvent."""
    return {key: value for key, value in form.multi_items() if isinstance(value, str)}


def inbound_call(form: FormData) -> InboundCall:
    return InboundCall(
        call_sid=call_sid(form),
        from_number=field(form, "From", limits.PHONE) or "Anonymous",
        to_number=required(form, "To", limits.PHONE),
        status=call_status(form),
    )


def call_sid(form: FormData) -> str:
    return required(form, "CallSid", limits.PROVIDER_ID)


def call_status(form: FormData) -> str | None:
    status = field(form, "CallStatus", limits.STATUS_WORD)
    return status.lower() if status else None
