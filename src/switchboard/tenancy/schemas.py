from __future__ import annotations

import functools
import re
import uuid
from datetime import time
from importlib import resources
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints, ValidationInfo, field_validator

from switchboard.kit import limits
from switchboard.kit.phone import PhoneNumber, normalize_phone
from switchboard.kit.schemas import Email, RecordRead, Schema, Str, UpdateSchema
from switchboard.tenancy.models import (
    WEEKDAYS,
    WHATSAPP_PREFIX,
    ChannelKind,
    Role,
    channel_address,
)

PASSWORD_MIN_LENGTH = 8


def _none_if_blank(value: str | None) -> str | None:
    return value or None


# Text that may be left out: an empty string is stored as null.
NoneIfBlank = AfterValidator(_none_if_blank)


class Token(Schema):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


# --- companies -------------------------------------------------------------------------------


@functools.cache
def time_zone_names() -> frozenset[str]:
    """Every IANA zone name, from the tzdata package's list: the same on every machine, and
    without what a system's zoneinfo folder also holds (`localtime`, `posixrules`)."""
    return frozenset(resources.files("tzdata").joinpath("zones").read_text().split())


def _known_zone(value: str) -> str:
    if value not in time_zone_names():
        raise ValueError(f"{value!r} is not a time zone; use a name like America/Denver")
    return value


TimeZoneName = Annotated[Str, AfterValidator(_known_zone)]
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])$")


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError("use 2-80 lowercase letters, digits and hyphens, like acme-roofing")
    return value


Slug = Annotated[Str, AfterValidator(_slug)]
CompanyName = Annotated[Str, StringConstraints(min_length=1, max_length=limits.TITLE)]
_HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _day_hours(value: list[str] | None) -> list[str] | None:
    """None (closed) or [opens, closes] as "HH:MM"; a window closing before it opens runs
    past midnight."""
    if value is None:
        return None
    if len(value) != 2 or not all(_HH_MM.match(part) for part in value):
        raise ValueError('give the opening and closing times as ["08:00", "18:00"], or null')
    if time.fromisoformat(value[0]) == time.fromisoformat(value[1]):
        raise ValueError("opening and closing times are the same")
    return value


DayHours = Annotated[list[str] | None, AfterValidator(_day_hours)]


def _weekdays(value: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(value) - set(WEEKDAYS))
    if unknown:
        raise ValueError(f"unknown weekday {unknown[0]!r}; use {', '.join(WEEKDAYS)}")
    return value


BusinessHours = Annotated[dict[str, DayHours], AfterValidator(_weekdays)]


class TenantRead(Schema):
    id: uuid.UUID
    name: str
    slug: str
    timezone: str


class TenantCreate(Schema):
    name: CompanyName
    slug: Slug
    timezone: TimeZoneName = "America/New_York"


class TenantSettingsRead(TenantRead):
    """What a manager sets up: the company's hours, phone and inbox behaviour."""

    business_hours: dict[str, list[str] | None]
    office_phone: str | None
    auto_reply_enabled: bool
    session_gap_seconds: int | None
    missed_call_text_enabled: bool
    missed_call_text: str | None
    help_text: str | None
    record_calls: bool = False


SmsText = Annotated[Str | None, Field(max_length=480), NoneIfBlank]  # three SMS segments


class TenantUpdate(UpdateSchema):
    """A PATCH of the company. `business_hours` names the days it changes (null closes a
    day); days left out keep their hours. `session_gap_seconds` null means the server's
    default; an empty or null text means the built-in one."""

    not_null = frozenset({"name", "timezone", "business_hours", "auto_reply_enabled"})
    not_null |= {"missed_call_text_enabled", "record_calls"}

    name: CompanyName | None = None
    timezone: TimeZoneName | None = None
    business_hours: BusinessHours | None = None
    office_phone: PhoneNumber | None = None
    auto_reply_enabled: bool | None = None
    session_gap_seconds: int | None = Field(None, ge=60, le=86_400)
    missed_call_text_enabled: bool | None = None
    missed_call_text: SmsText = None
    help_text: SmsText = None
    record_calls: bool | None = Field(
        None, description="Record calls the office answers, after a consent announcement."
    )


# --- staff -----------------------------------------------------------------------------------

PersonName = Annotated[Str, StringConstraints(min_length=1, max_length=limits.TITLE)]


class UserRead(RecordRead):
    tenant_id: uuid.UUID
    email: str
    name: str
    role: Role
    phone: str | None
    active: bool


class Me(UserRead):
    tenant: TenantRead


class UserCreate(Schema):
    email: Email
    name: PersonName
    role: Role
    password: Str = Field(min_length=PASSWORD_MIN_LENGTH, max_length=limits.PASSWORD)
    phone: PhoneNumber | None = None


class UserUpdate(UpdateSchema):
    """Deactivating (`active: false`) signs the person out everywhere at once."""

    not_null = frozenset({"name", "role", "active"})

    name: PersonName | None = None
    role: Role | None = None
    phone: PhoneNumber | None = None
    active: bool | None = None


# --- numbers ---------------------------------------------------------------------------------

ServiceSid = Annotated[str, StringConstraints(pattern=r"^MG[0-9a-fA-F]{32}$")]
Label = Annotated[Str | None, Field(max_length=120), NoneIfBlank]


class ChannelCreate(Schema):
    """A Twilio number (or WhatsApp sender) that routes to this company. `address` is read
    as a phone number (E.164, or national US digits); WhatsApp's `whatsapp:` prefix is
    optional and always stored."""

    kind: ChannelKind
    address: Str = Field(min_length=3, max_length=64)
    label: Label = None
    messaging_service_sid: ServiceSid | None = None

    @field_validator("address")
    @classmethod
    def _normalise(cls, value: str, info: ValidationInfo) -> str:
        number = normalize_phone(value.removeprefix(WHATSAPP_PREFIX))
        kind = info.data.get("kind")
        return channel_address(kind, number) if kind else number

    @property
    def number(self) -> str:
        return self.address.removeprefix(WHATSAPP_PREFIX)


class ChannelUpdate(UpdateSchema):
    label: Label = None


class ChannelRead(RecordRead):
    provider: str
    kind: ChannelKind
    address: str
    label: str | None
    messaging_service_sid: str | None
