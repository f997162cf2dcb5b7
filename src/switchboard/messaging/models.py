"""Customer conversations: sessions, messages, delivery events and opt-outs."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from switchboard.crm.models import ContactCard
from switchboard.kit import limits
from switchboard.kit.models import Base, TenantScoped
from switchboard.kit.types import JSONDoc


class Channel(StrEnum):
    sms = "sms"
    whatsapp = "whatsapp"
    voice = "voice"


class Direction(StrEnum):
    inbound = "inbound"
    outbound = "outbound"


class Sender(StrEnum):
    customer = "customer"
    csr = "csr"
    rep = "rep"
    manager = "manager"
    otto = "otto"
    shunya = "shunya"
    system = "system"


class MessageKind(StrEnum):
    manual = "manual"
    automated = "automated"


class MessageStatus(StrEnum):
    received = "received"
    queued = "queued"
    sending = "sending"
    sent = "sent"
    delivered = "delivered"
    read = "read"
    undelivered = "undelivered"
    failed = "failed"

    @property
    def is_final(self) -> bool:
        return self in (MessageStatus.undelivered, MessageStatus.failed)

    def advanced_by(self, reported: MessageStatus) -> MessageStatus:
        """The status after a provider reports `reported`: forward only.

        queued < sending < sent < delivered < read. Undelivered and failed are final and can
        only follow a message that was not yet delivered, so a late `sent` never undoes
        `delivered` and a stray `failed` never contradicts a delivery receipt."""
        if self.is_final or self == MessageStatus.received:
            return self
        if reported.is_final:
            return reported if _RANK[self] < _RANK[MessageStatus.delivered] else self
        if reported in _RANK and _RANK[reported] > _RANK[self]:
            return reported
        return self


_RANK = {
    MessageStatus.queued: 0,
    MessageStatus.sending: 1,
    MessageStatus.sent: 2,
    MessageStatus.delivered: 3,
    MessageStatus.read: 4,
}


class SessionStatus(StrEnum):
    open = "open"
    closed = "closed"


class MessagingSession(TenantScoped, Base):
    __tablename__ = "messaging_sessions"
    __table_args__ = (
        Index(
            "ix_messaging_sessions_tenant_counterpart",
            "tenant_id",
            "channel",
            "counterpart_address",
            "last_message_at",
        ),
        Index("ix_messaging_sessions_tenant_last", "tenant_id", "last_message_at", "id"),
        Index("ix_messaging_sessions_tenant_contact", "tenant_id", "contact_id"),
    )

    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contact_cards.id", ondelete="CASCADE")
    )
    channel: Mapped[Channel] = mapped_column(String(16))
    counterpart_address: Mapped[str] = mapped_column(String(limits.ADDRESS))
    our_address: Mapped[str | None] = mapped_column(String(limits.ADDRESS))
    status: Mapped[SessionStatus] = mapped_column(String(16), default=SessionStatus.open)
    ai_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    taken_over_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    first_message_at: Mapped[datetime]
    last_message_at: Mapped[datetime]
    title: Mapped[str | None] = mapped_column(String(limits.TITLE))
    # 0003_inbox: what an inbox row shows without reading the session's messages.
    last_message_preview: Mapped[str | None] = mapped_column(String(limits.TITLE))
    last_inbound_at: Mapped[datetime | None]

    contact: Mapped[ContactCard] = relationship(lazy="raise")
    # Derived at query time by the inbox's reads (SessionRepository.waiting_on_reply).
    awaiting_reply: Mapped[bool | None] = query_expression()


class Message(TenantScoped, Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("provider_message_id"),
        Index("ix_messages_tenant_session_created", "tenant_id", "session_id", "created_at", "id"),
        Index("ix_messages_tenant_contact_created", "tenant_id", "contact_id", "created_at", "id"),
        Index("ix_messages_tenant_call", "tenant_id", "call_id"),
        # 0004: the dashboards' texts sent and delivered per period.
        Index(
            "ix_messages_tenant_created_delivery",
            "tenant_id",
            "created_at",
            "direction",
            "status",
            "sender",
        ),
    )

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("messaging_sessions.id", ondelete="CASCADE")
    )
    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contact_cards.id", ondelete="CASCADE")
    )
    direction: Mapped[Direction] = mapped_column(String(10))
    sender: Mapped[Sender] = mapped_column(String(16))
    sender_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    kind: Mapped[MessageKind] = mapped_column(String(16), default=MessageKind.manual)
    channel: Mapped[Channel] = mapped_column(String(16))
    from_address: Mapped[str | None] = mapped_column(String(limits.ADDRESS))
    to_address: Mapped[str | None] = mapped_column(String(limits.ADDRESS))
    body: Mapped[str] = mapped_column(Text, default="")
    media: Mapped[list[dict[str, str]]] = mapped_column(JSONDoc, default=list)
    provider_message_id: Mapped[str | None] = mapped_column(String(limits.PROVIDER_ID))
    status: Mapped[MessageStatus] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(limits.ERROR_CODE))
    error_message: Mapped[str | None] = mapped_column(String(limits.ERROR_MESSAGE))
    in_reply_to_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    # 0003_inbox: the call a voicemail message came from. A soft link (no foreign key) so
    # the column could be added to SQLite without rebuilding `messages`.
    call_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class DeliveryEvent(TenantScoped, Base):
    """Every status callback as it arrived, whether or not it moved the message. A call's
    status callbacks are kept here too: no message, the CallSid as the provider id."""

    __tablename__ = "delivery_events"
    __table_args__ = (Index("ix_delivery_events_tenant_message", "tenant_id", "message_id"),)

    message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE")
    )
    provider_message_id: Mapped[str] = mapped_column(String(limits.PROVIDER_ID))
    status: Mapped[str] = mapped_column(String(limits.STATUS_WORD))
    error_code: Mapped[str | None] = mapped_column(String(limits.ERROR_CODE))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)


class OptOut(TenantScoped, Base):
    __tablename__ = "opt_outs"
    __table_args__ = (UniqueConstraint("tenant_id", "address", "channel_group"),)

    address: Mapped[str] = mapped_column(String(limits.ADDRESS))
    channel_group: Mapped[str] = mapped_column(String(16))  # "sms" or "whatsapp"
    keyword: Mapped[str] = mapped_column(String(limits.STATUS_WORD))
    opted_out_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(limits.STATUS_WORD), default="keyword")
