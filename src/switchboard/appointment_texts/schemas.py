"""The appointment-text settings as the API reads and takes them, and the texts planned for
an appointment."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from switchboard.appointment_texts.models import TextPurpose, TextStatus
from switchboard.appointment_texts.schedule import template_fields
from switchboard.kit import limits
from switchboard.kit.schemas import RecordRead, Schema, Str, UpdateSchema

MAX_REMINDERS = 4
MIN_OFFSET = 5  # minutes
MAX_OFFSET = 14 * 24 * 60  # two weeks
_HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _hh_mm(value: str) -> str:
    if not _HH_MM.match(value):
        raise ValueError('give the time as "HH:MM", 24-hour, like "21:00"')
    return value


def _offsets(value: list[int]) -> list[int]:
    if len(set(value)) != len(value):
        raise ValueError("the same reminder time is listed twice")
    return sorted(value, reverse=True)


def _template(value: str | None) -> str | None:
    if value:
        template_fields(value)
    return value or None


ClockTime = Annotated[Str, AfterValidator(_hh_mm)]
Offset = Annotated[int, Field(ge=MIN_OFFSET, le=MAX_OFFSET)]
Offsets = Annotated[list[Offset], Field(max_length=MAX_REMINDERS), AfterValidator(_offsets)]
Template = Annotated[Str | None, Field(max_length=limits.SMS_TEMPLATE), AfterValidator(_template)]


class QuietHoursIn(Schema):
    """No reminder between `start` and `end`, the company's time; a window that starts
    after it ends runs past midnight."""

    start: ClockTime
    end: ClockTime

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHoursIn:
        if self.start == self.end:
            raise ValueError("quiet hours start and end at the same time; send null for none")
        return self


class AppointmentTextSettingsRead(Schema):
    enabled: bool
    confirmation_enabled: bool
    reminder_offsets_minutes: list[int]
    quiet_hours: QuietHoursIn | None
    confirmation_template: str | None  # null: the default below
    reminder_template: str | None
    default_templates: dict[TextPurpose, str]
    placeholders: dict[str, str]
    timezone: str  # the company's (PATCH /api/tenant): where times are read and written


class AppointmentTextSettingsUpdate(UpdateSchema):
    """A PATCH of the appointment texts. `quiet_hours` null: none. A template null or
    empty: the default. Pending reminders are planned again at once."""

    not_null = frozenset({"enabled", "confirmation_enabled", "reminder_offsets_minutes"})

    enabled: bool | None = None
    confirmation_enabled: bool | None = None
    reminder_offsets_minutes: Offsets | None = None
    quiet_hours: QuietHoursIn | None = None
    confirmation_template: Template = None
    reminder_template: Template = None


class AppointmentTextRead(RecordRead):
    appointment_id: uuid.UUID
    contact_id: uuid.UUID
    purpose: TextPurpose
    offset_minutes: int
    appointment_starts_at: datetime
    due_at: datetime
    status: TextStatus
    reason: str | None
    message_id: uuid.UUID | None
    sent_at: datetime | None
