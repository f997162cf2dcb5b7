from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import AliasChoices, Field, model_validator

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
from switchboard.kit import limits
from switchboard.kit.phone import PhoneNumber
from switchboard.kit.schemas import (
    AwareDatetime,
    Email,
    JSONObject,
    RecordRead,
    Schema,
    Str,
    UpdateSchema,
)

Name = Field(default=None, max_length=limits.NAME)


# --- contacts -------------------------------------------------------------------------------


class PhoneIn(Schema):
    number: PhoneNumber
    label: Str = Field("mobile", max_length=limits.PHONE_LABEL)


class PhoneRead(Schema):
    number: str
    label: str
    is_primary: bool


class ContactFields(Schema):
    first_name: Str | None = Name
    last_name: Str | None = Name
    company: Str | None = Field(None, max_length=limits.TITLE)
    email: Email | None = None
    address_line1: Str | None = Field(None, max_length=limits.TITLE)
    address_line2: Str | None = Field(None, max_length=limits.TITLE)
    city: Str | None = Field(None, max_length=limits.NAME)
    state: Str | None = Field(None, max_length=limits.STATE)
    postal_code: Str | None = Field(None, max_length=limits.POSTAL_CODE)
    lead_source: Str | None = Field(None, max_length=limits.NAME)
    tags: list[Str] = Field(default_factory=list, max_length=50)
    consent: dict[Str, bool] = Field(default_factory=dict)
    notes: Str | None = Field(None, max_length=limits.NOTES)


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

    first_name: Str | None = Name
    last_name: Str | None = Name
    company: Str | None = Field(None, max_length=limits.TITLE)
    email: Email | None = None
    address_line1: Str | None = Field(None, max_length=limits.TITLE)
    address_line2: Str | None = Field(None, max_length=limits.TITLE)
    city: Str | None = Field(None, max_length=limits.NAME)
    state: Str | None = Field(None, max_length=limits.STATE)
    postal_code: Str | None = Field(None, max_length=limits.POSTAL_CODE)
    lead_source: Str | None = Field(None, max_length=limits.NAME)
    tags: list[Str] | None = Field(None, max_length=50)
    consent: dict[Str, bool] | None = None
    notes: Str | None = Field(None, max_length=limits.NOTES)
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
    source: Str | None = Field(None, max_length=limits.NAME)
    service: Str | None = Field(None, max_length=limits.NAME)
    assigned_rep_id: uuid.UUID | None = None
    estimated_value: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    lost_reason: Str | None = Field(None, max_length=limits.REASON)
    notes: Str | None = Field(None, max_length=limits.NOTES)


class LeadUpdate(UpdateSchema):
    not_null = frozenset({"status"})

    status: LeadStatus | None = None
    source: Str | None = Field(None, max_length=limits.NAME)
    service: Str | None = Field(None, max_length=limits.NAME)
    assigned_rep_id: uuid.UUID | None = None
    estimated_value: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    lost_reason: Str | None = Field(None, max_length=limits.REASON)
    notes: Str | None = Field(None, max_length=limits.NOTES)


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
    """One speaker turn: who spoke, when (seconds from the start), and what they said.
    `start`/`end` are read too, as earlier imports sent them."""

    speaker: Str = Field(max_length=limits.SPEAKER)
    start_s: float | None = Field(None, ge=0, validation_alias=AliasChoices("start_s", "start"))
    end_s: float | None = Field(None, ge=0, validation_alias=AliasChoices("end_s", "end"))
    text: Str = Field(max_length=limits.NOTES)


class TranscriptIn(Schema):
    text: Str = Field(min_length=1, max_length=limits.TRANSCRIPT)
    segments: list[TranscriptSegment] = Field(default_factory=list, max_length=limits.SEGMENTS)
    language: Str = Field("en", max_length=limits.LANGUAGE)


class TranscriptRead(TranscriptIn):
    id: uuid.UUID
    created_at: datetime


class AnalysisIn(Schema):
    summary: Str = Field(min_length=1, max_length=limits.SUMMARY)
    sentiment: Str | None = Field(None, max_length=limits.SENTIMENT)
    intent: Str | None = Field(None, max_length=limits.NAME)
    objections: list[Str] = Field(default_factory=list)
    booking_outcome: Str | None = Field(None, max_length=limits.BOOKING_OUTCOME)
    next_steps: list[Str] = Field(default_factory=list)
    model: Str | None = Field(None, max_length=limits.NAME)


class AnalysisRead(AnalysisIn):
    id: uuid.UUID
    created_at: datetime
    findings: dict[str, Any] | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


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
    provider_call_id: Str | None = Field(None, max_length=limits.PROVIDER_ID)
    recording_url: Str | None = Field(None, max_length=limits.URL)
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
    recording_url: Str | None = Field(None, max_length=limits.URL)
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
    title: Str | None = Field(None, max_length=limits.TITLE)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    status: AppointmentStatus = AppointmentStatus.scheduled
    address: Str | None = Field(None, max_length=limits.REASON)
    notes: Str | None = Field(None, max_length=limits.NOTES)


class AppointmentUpdate(UpdateSchema, _Span):
    not_null = frozenset({"starts_at", "ends_at", "status"})

    lead_id: uuid.UUID | None = None
    rep_id: uuid.UUID | None = None
    title: Str | None = Field(None, max_length=limits.TITLE)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    status: AppointmentStatus | None = None
    address: Str | None = Field(None, max_length=limits.REASON)
    notes: Str | None = Field(None, max_length=limits.NOTES)


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
    territory: Str | None = Field(None, max_length=limits.TITLE)
    status: ShiftStatus = ShiftStatus.scheduled


class RepShiftUpdate(UpdateSchema, _Span):
    not_null = frozenset({"starts_at", "ends_at", "status"})

    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    territory: Str | None = Field(None, max_length=limits.TITLE)
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
    audio_url: Str | None = Field(None, max_length=limits.URL)
    transcript: Str | None = Field(None, max_length=limits.RECORDING_TRANSCRIPT)
    analysis: JSONObject | None = None


class RecordingSessionUpdate(UpdateSchema, _Span):
    not_null = frozenset({"status"})

    ended_at: AwareDatetime | None = None
    status: RecordingStatus | None = None
    audio_url: Str | None = Field(None, max_length=limits.URL)
    transcript: Str | None = Field(None, max_length=limits.RECORDING_TRANSCRIPT)
    analysis: JSONObject | None = None


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
