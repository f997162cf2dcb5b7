"""Inbox schemas: what the API reads and accepts, and the provider-neutral shapes a channel
adapter hands to the messaging service (an inbound message, a delivery report)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from switchboard.crm.schemas import ContactBrief
from switchboard.kit import limits
from switchboard.kit.schemas import RecordRead, Schema, Str
from switchboard.messaging.models import (
    Channel,
    Direction,
    MessageKind,
    MessageStatus,
    Sender,
    SessionStatus,
)

MAX_BODY = limits.SMS_BODY


class MediaItem(Schema):
    url: str
    content_type: str | None = None


class MessageRead(RecordRead):
    session_id: uuid.UUID
    contact_id: uuid.UUID
    direction: Direction
    sender: Sender
    sender_user_id: uuid.UUID | None
    kind: MessageKind
    channel: Channel
    from_address: str | None
    to_address: str | None
    body: str
    media: list[MediaItem]
    provider_message_id: str | None
    status: MessageStatus
    error_code: str | None
    error_message: str | None
    in_reply_to_id: uuid.UUID | None
    call_id: uuid.UUID | None
    sent_at: datetime | None
    delivered_at: datetime | None


class SessionRead(RecordRead):
    contact_id: uuid.UUID
    channel: Channel
    counterpart_address: str
    our_address: str | None
    status: SessionStatus
    ai_paused: bool
    taken_over_by_id: uuid.UUID | None
    message_count: int
    first_message_at: datetime
    last_message_at: datetime
    last_inbound_at: datetime | None
    last_message_preview: str | None
    title: str | None


class InboxSessionRead(SessionRead):
    """A row of the inbox: the session and who it is with."""

    contact: ContactBrief


class StaffMessageCreate(Schema):
    body: Str = Field(min_length=1, max_length=MAX_BODY)


@dataclass(frozen=True)
class InboundMessage:
    """A customer's message as a channel adapter parsed it; addresses as the provider gave
    them (`+15551234567` or `whatsapp:+15551234567`)."""

    provider_message_id: str
    channel: Channel
    from_address: str
    to_address: str
    body: str = ""
    media: list[dict[str, str]] = field(default_factory=list)
    profile_name: str | None = None


@dataclass(frozen=True)
class DeliveryReport:
    """A provider's word on an outbound message: a status callback or a simulated step."""

    provider_message_id: str
    status: MessageStatus | None  # None: a word that moves nothing (e.g. `receiving`)
    raw_status: str  # the provider's own word, kept on the DeliveryEvent
    error_code: str | None = None
    error_message: str | None = None
    message_id: uuid.UUID | None = None  # ours, when the callback URL carried it
    payload: dict[str, Any] = field(default_factory=dict)


class InboxView(StrEnum):
    """The inbox's tabs: who the conversation is waiting on."""

    waiting = "waiting"  # the customer wrote last and may still be answered
    ai = "ai"  # the AI handles it
    taken_over = "taken_over"  # a person took it over from the AI
    all = "all"


@dataclass
class SessionFilters:
    """The inbox list's filters (each one only when given) and its tab."""

    contact_id: uuid.UUID | None = None
    channel: Channel | None = None
    status: SessionStatus | None = None
    ai_paused: bool | None = None
    taken_over_by_id: uuid.UUID | None = None
    view: InboxView | None = None
    q: Str | None = None
