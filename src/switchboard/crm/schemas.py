from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import Field, model_validator

from switchboard.crm.models import (
    AppointmentStatus,
    CallDirection,
    CallOutcome,
    CallProvider,
    HandledByRole,
    LeadStatus,
    RecordingStatus,
    ShiftStatus,
)
from switchboard.kit.phone import PhoneNumber
from switchboard.kit.schemas import AwareDatetime, Email, RecordRead, Schema, UpdateSchema

Name = Field(default=None, max_length=100)


# --- contacts -------------------------------------------------------------------------------


class PhoneIn(Schema):
    number: PhoneNumber
    label: str = Field("mobile", max_length=20)


class PhoneRead(Schema):
    number: str
    label: str
    is_primary: bool


class ContactFields(Schema):
    first_name: str | None = Name
    last_name: str | None = Name
    company: str | None = Field(None, max_length=200)
    email: Email | None = None
    address_line1: str | None = Field(None, max_length=200)
    address_line2: str | None = Field(None, max_length=200)
    city: str | None = Field(None, max_length=100)
    state: str | None = Field(None, max_length=50)
    postal_code: str | None = Field(None, max_length=20)
    lead_source: str | None = Field(None, max_length=100)
    tags: list[str] = Field(default_factory=list, max_length=50)
    consent: dict[str, bool] = Field(default_factory=dict)
    notes: str | None = Field(None, max_length=10_000)


class ContactCreate(ContactFields):
    phone: PhoneNumber | None = None
    phones: list[PhoneIn] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _needs_a_name_or_number(self) -> ContactCreate:
        if not (self.first_name or self.last_name or self.company or self.phone or self.phones):
            raise ValueError("a contact needs a name, a company or a phone number")
        return self

    def all_phones(self) -> list[PhoneIn]:
        phones = [PhoneIn(number=self.phone)] if self.phone else []
        return phones + [p for p in self.phones if p.number != self.phone]


class ContactUpdate(UpdateSchema):
    not_null = frozenset({"tags", "consent"})

    first_name: str | None = Name
    last_name: str | None = Name
    company: str | None = Field(None, max_length=200)
    email: Email | None = None
    address_line1: str | None = Field(None, max_length=200)
    address_line2: str | None = Field(None, max_length=200)
    city: str | None = Field(None, max_length=100)
    state: str | None = Field(None, max_length=50)
    postal_code: str | None = Field(None, max_length=20)
    lead_source: str | None = Field(None, max_length=100)
    tags: list[str] | None = Field(None, max_length=50)
    consent: dict[str, bool] | None = None
    notes: str | None = Field(None, max_length=10_000)
    phones: list[PhoneIn] | None = Field(
        None, max_length=10, description="Replaces the numbers; the first is primary."
    )


class ContactRead(RecordRead, ContactFields):
    # What is stored is shown as stored: a read never re-validates an address (a row from a
    # webhook or an import must not turn the whole list into a 500).
    email: str | None = None
    display_name: str
    phone: str | None = None
    phones: list[PhoneRead]
    address: str | None

    @model_validator(mode="after")
    def _fill_phone(self) -> ContactRead:
        if self.phone is None and self.phones:
            self.phone = next(
                (p.number for p in self.phones if p.is_primary), self.phones[0].number
            )
        return self


class ContactBrief(Schema):
    id: uuid.UUID
    display_name: str


# --- leads ----------------------------------------------------------------------------------


class LeadCreate(Schema):
    contact_id: uuid.UUID
    status: LeadStatus = LeadStatus.new
    source: str | None = Field(None, max_length=100)
    service: str | None = Field(None, max_length=100)
    assigned_rep_id: uuid.UUID | None = None
    estimated_value: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    lost_reason: str | None = Field(None, max_length=500)
    notes: str | None = Field(None, max_length=10_000)


class LeadUpdate(UpdateSchema):
    not_null = frozenset({"status"})

    status: LeadStatus | None = None
    source: str | None = Field(None, max_length=100)
    service: str | None = Field(None, max_length=100)
    assigned_rep_id: uuid.UUID | None = None
    estimated_value: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    lost_reason: str | None = Field(None, max_length=500)
    notes: str | None = Field(None, max_length=10_000)


class LeadRead(RecordRead):
    contact_id: uuid.UUID
    status: LeadStatus
    source: str | None
    service: str | None
    assigned_rep_id: uuid.UUID | None
    estimated_value: Decimal | None
    lost_reason: str | None
    first_response_at: datetime | None
    speed_to_lead_seconds: int | None
    notes: str | None


# --- calls ----------------------------------------------------------------------------------


class TranscriptSegment(Schema):
    speaker: str = Field(max_length=50)
    text: str = Field(max_length=10_000)
    start: float | None = Field(None, ge=0)
    end: float | None = Field(None, ge=0)


class TranscriptIn(Schema):
    text: str = Field(min_length=1, max_length=200_000)
    segments: list[TranscriptSegment] = Field(default_factory=list)
    language: str = Field("en", max_length=16)


class TranscriptRead(TranscriptIn):
    id: uuid.UUID
    created_at: datetime


class AnalysisIn(Schema):
    summary: str = Field(min_length=1, max_length=20_000)
    sentiment: str | None = Field(None, max_length=20)
    intent: str | None = Field(None, max_length=100)
    objections: list[str] = Field(default_factory=list)
    booking_outcome: str | None = Field(None, max_length=32)
    next_steps: list[str] = Field(default_factory=list)
    model: str | None = Field(None, max_length=100)


class AnalysisRead(AnalysisIn):
    id: uuid.UUID
    created_at: datetime


class CallCreate(Schema):
    contact_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    direction: CallDirection
    from_number: PhoneNumber | None = None
    to_number: PhoneNumber | None = None
    started_at: AwareDatetime
    duration_seconds: int = Field(0, ge=0, le=86_400)
    outcome: CallOutcome | None = None
    handled_by_role: HandledByRole | None = None
    handled_by_user_id: uuid.UUID | None = None
    provider: CallProvider = CallProvider.manual
    provider_call_id: str | None = Field(None, max_length=64)
    recording_url: str | None = Field(None, max_length=1000)
    transcript: TranscriptIn | None = None
    analysis: AnalysisIn | None = None


class CallUpdate(UpdateSchema):
    not_null = frozenset({"duration_seconds"})

    contact_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    duration_seconds: int | None = Field(None, ge=0, le=86_400)
    outcome: CallOutcome | None = None
    handled_by_role: HandledByRole | None = None
    handled_by_user_id: uuid.UUID | None = None
    recording_url: str | None = Field(None, max_length=1000)
    transcript: TranscriptIn | None = None
    analysis: AnalysisIn | None = None


class CallRead(RecordRead):
    contact_id: uuid.UUID | None
    lead_id: uuid.UUID | None
    direction: CallDirection
    from_number: str | None
    to_number: str | None
    started_at: datetime
    duration_seconds: int
    outcome: CallOutcome | None
    handled_by_role: HandledByRole | None
    handled_by_user_id: uuid.UUID | None
    provider: CallProvider
    provider_call_id: str | None
    provider_status: str | None
    recording_url: str | None
    transcript: TranscriptRead | None
    analysis: AnalysisRead | None


# --- appointments, shifts, recordings -------------------------------------------------------


class _Span(Schema):
    @model_validator(mode="after")
    def _ends_after_start(self) -> Any:
        start = getattr(self, "starts_at", None) or getattr(self, "started_at", None)
        end = getattr(self, "ends_at", None) or getattr(self, "ended_at", None)
        if start and end and end <= start:
            raise ValueError("the end must come after the start")
        return self


class AppointmentCreate(_Span):
    contact_id: uuid.UUID
    lead_id: uuid.UUID | None = None
    rep_id: uuid.UUID | None = None
    title: str | None = Field(None, max_length=200)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    status: AppointmentStatus = AppointmentStatus.scheduled
    address: str | None = Field(None, max_length=500)
    notes: str | None = Field(None, max_length=10_000)


class AppointmentUpdate(UpdateSchema, _Span):
    not_null = frozenset({"starts_at", "ends_at", "status"})

    lead_id: uuid.UUID | None = None
    rep_id: uuid.UUID | None = None
    title: str | None = Field(None, max_length=200)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    status: AppointmentStatus | None = None
    address: str | None = Field(None, max_length=500)
    notes: str | None = Field(None, max_length=10_000)


class AppointmentRead(RecordRead):
    contact_id: uuid.UUID
    lead_id: uuid.UUID | None
    rep_id: uuid.UUID | None
    title: str | None
    starts_at: datetime
    ends_at: datetime
    status: AppointmentStatus
    address: str | None
    notes: str | None


class RepShiftCreate(_Span):
    rep_id: uuid.UUID
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    territory: str | None = Field(None, max_length=200)
    status: ShiftStatus = ShiftStatus.scheduled


class RepShiftUpdate(UpdateSchema, _Span):
    not_null = frozenset({"starts_at", "ends_at", "status"})

    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    territory: str | None = Field(None, max_length=200)
    status: ShiftStatus | None = None


class RepShiftRead(RecordRead):
    rep_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    territory: str | None
    status: ShiftStatus


class RecordingSessionCreate(_Span):
    rep_id: uuid.UUID
    appointment_id: uuid.UUID | None = None
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None
    status: RecordingStatus = RecordingStatus.recording
    audio_url: str | None = Field(None, max_length=1000)
    transcript: str | None = Field(None, max_length=500_000)
    analysis: dict[str, Any] | None = None


class RecordingSessionUpdate(UpdateSchema, _Span):
    not_null = frozenset({"status"})

    ended_at: AwareDatetime | None = None
    status: RecordingStatus | None = None
    audio_url: str | None = Field(None, max_length=1000)
    transcript: str | None = Field(None, max_length=500_000)
    analysis: dict[str, Any] | None = None


class RecordingSessionRead(RecordRead):
    rep_id: uuid.UUID
    appointment_id: uuid.UUID | None
    started_at: datetime
    ended_at: datetime | None
    status: RecordingStatus
    audio_url: str | None
    transcript: str | None
    analysis: dict[str, Any] | None
    source: str
