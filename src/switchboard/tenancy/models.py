"""Tenants (companies), their staff users and the channel accounts that route webhooks to them."""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from switchboard.kit import limits
from switchboard.kit.models import Base, RecordMixin, TenantScoped
from switchboard.kit.types import JSONDoc


class Role(StrEnum):
    csr = "csr"
    rep = "rep"
    manager = "manager"
    admin = "admin"


class ChannelKind(StrEnum):
    sms = "sms"
    whatsapp = "whatsapp"
    voice = "voice"


# Twilio's prefix on a WhatsApp address: `whatsapp:+15551234567`.
WHATSAPP_PREFIX = "whatsapp:"

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order

DEFAULT_BUSINESS_HOURS: dict[str, list[str] | None] = {
    "mon": ["08:00", "18:00"],
    "tue": ["08:00", "18:00"],
    "wed": ["08:00", "18:00"],
    "thu": ["08:00", "18:00"],
    "fri": ["08:00", "18:00"],
    "sat": ["09:00", "13:00"],
    "sun": None,
}


class Tenant(RecordMixin, Base):
    __tablename__ = "tenants"

    name: Mapped[str] = mapped_column(String(limits.TITLE))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    business_hours: Mapped[dict[str, Any]] = mapped_column(
        JSONDoc, default=lambda: dict(DEFAULT_BUSINESS_HOURS)
    )
    office_phone: Mapped[str | None] = mapped_column(String(limits.PHONE))
    auto_reply_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    session_gap_seconds: Mapped[int | None] = mapped_column(Integer)
    missed_call_text_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    missed_call_text: Mapped[str | None] = mapped_column(Text)
    help_text: Mapped[str | None] = mapped_column(Text)
    # Record calls the office answers (with the consent announcement the law asks for), so
    # their transcripts can be analysed like voicemails.
    record_calls: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    @property
    def zone(self) -> ZoneInfo:
        """The company's time zone: where "today", business hours and due times are read."""
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")


class User(TenantScoped, Base):
    __tablename__ = "users"
    __table_args__ = (Index("ix_users_tenant_role", "tenant_id", "role"),)

    email: Mapped[str] = mapped_column(String(limits.EMAIL), unique=True)
    name: Mapped[str] = mapped_column(String(limits.TITLE))
    role: Mapped[Role] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(limits.PHONE))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def sees_whole_tenant(self) -> bool:
        return self.role in (Role.manager, Role.admin)


class ChannelAccount(TenantScoped, Base):
    """A number or messaging service of ours; an inbound webhook finds its tenant here."""

    __tablename__ = "channel_accounts"
    __table_args__ = (
        UniqueConstraint("provider", "kind", "address"),
        Index("ix_channel_accounts_messaging_service_sid", "messaging_service_sid"),
    )

    provider: Mapped[str] = mapped_column(String(16), default="twilio")
    kind: Mapped[ChannelKind] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(limits.ADDRESS))
    messaging_service_sid: Mapped[str | None] = mapped_column(String(limits.PROVIDER_ID))
    label: Mapped[str | None] = mapped_column(String(120))


def channel_address(kind: ChannelKind, number: str) -> str:
    """The address Twilio names a number by on `kind`: `+1555...`, `whatsapp:+1555...`."""
    return f"{WHATSAPP_PREFIX}{number}" if kind == ChannelKind.whatsapp else number
