"""Contact cards, leads, calls with transcripts and analyses, appointments, shifts, recordings."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    exists,
    func,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from switchboard.kit import limits
from switchboard.kit.models import Base, TenantScoped
from switchboard.kit.types import JSONDoc


class LeadStatus(StrEnum):
    new = "new"
    contacted = "contacted"
    qualified = "qualified"
    appointment_set = "appointment_set"
    won = "won"
    lost = "lost"


class CallDirection(StrEnum):
    inbound = "inbound"
    outbound = "outbound"


class CallOutcome(StrEnum):
    booked = "booked"
    unbooked = "unbooked"
    missed = "missed"
    voicemail = "voicemail"
    abandoned = "abandoned"


class CallProvider(StrEnum):
    twilio = "twilio"
    callrail = "callrail"
    manual = "manual"


class HandledByRole(StrEnum):
    csr = "csr"
    rep = "rep"
    manager = "manager"
    ai = "ai"


class AppointmentStatus(StrEnum):
    scheduled = "scheduled"
    confirmed = "confirmed"
    completed = "completed"
    cancelled = "cancelled"
    no_show = "no_show"
    rescheduled = "rescheduled"


class ShiftStatus(StrEnum):
    scheduled = "scheduled"
    active = "active"
    completed = "completed"
    cancelled = "cancelled"


class RecordingStatus(StrEnum):
    recording = "recording"
    processing = "processing"
    completed = "completed"
    failed = "failed"


class ContactCard(TenantScoped, Base):
    __tablename__ = "contact_cards"
    __table_args__ = (
        Index("ix_contact_cards_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_contact_cards_tenant_last_name", "tenant_id", "last_name"),
    )

    first_name: Mapped[str | None] = mapped_column(String(limits.NAME))
    last_name: Mapped[str | None] = mapped_column(String(limits.NAME))
    company: Mapped[str | None] = mapped_column(String(limits.TITLE))
    email: Mapped[str | None] = mapped_column(String(limits.EMAIL))
    address_line1: Mapped[str | None] = mapped_column(String(limits.TITLE))
    address_line2: Mapped[str | None] = mapped_column(String(limits.TITLE))
    city: Mapped[str | None] = mapped_column(String(limits.NAME))
    state: Mapped[str | None] = mapped_column(String(limits.STATE))
    postal_code: Mapped[str | None] = mapped_column(String(limits.POSTAL_CODE))
    lead_source: Mapped[str | None] = mapped_column(String(limits.NAME))
    tags: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    consent: Mapped[dict[str, bool]] = mapped_column(JSONDoc, default=dict)
    notes: Mapped[str | None] = mapped_column(Text)

    phones: Mapped[list[ContactPhone]] = relationship(
        back_populates="contact",
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="(ContactPhone.is_primary.desc(), ContactPhone.created_at)",
    )

    @property
    def display_name(self) -> str:
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or self.company or "Unknown contact"

    @property
    def address(self) -> str | None:
        street = ", ".join(p for p in (self.address_line1, self.address_line2) if p)
        region = " ".join(p for p in (self.state, self.postal_code) if p)
        parts = [p for p in (street, self.city, region) if p]
        return ", ".join(parts) or None


class ContactPhone(TenantScoped, Base):
    """A contact's phone number in E.164; a number belongs to one contact per tenant."""

    __tablename__ = "contact_phones"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index("ix_contact_phones_contact", "contact_id"),
    )

    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contact_cards.id", ondelete="CASCADE")
    )
    number: Mapped[str] = mapped_column(String(limits.PHONE))
    label: Mapped[str] = mapped_column(String(limits.PHONE_LABEL), default="mobile")
    is_primary: Mapped[bool] = mapped_column(default=False)

    contact: Mapped[ContactCard] = relationship(back_populates="phones", lazy="raise")


class Lead(TenantScoped, Base):
    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_tenant_created", "tenant_id", "created_at", "id"),
        # 0004: the dashboards' lead cohort and speed to lead, from the index alone.
        Index(
            "ix_leads_tenant_created_cohort",
            "tenant_id",
            "created_at",
            "source",
            "status",
            "estimated_value",
            "first_response_at",
        ),
        Index("ix_leads_tenant_rep", "tenant_id", "assigned_rep_id"),
        Index("ix_leads_tenant_contact", "tenant_id", "contact_id"),
    )

    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contact_cards.id", ondelete="CASCADE")
    )
    status: Mapped[LeadStatus] = mapped_column(String(20), default=LeadStatus.new)
    source: Mapped[str | None] = mapped_column(String(limits.NAME))
    service: Mapped[str | None] = mapped_column(String(limits.NAME))
    assigned_rep_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    estimated_value: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    lost_reason: Mapped[str | None] = mapped_column(String(limits.REASON))
    first_response_at: Mapped[datetime | None]
    notes: Mapped[str | None] = mapped_column(Text)

    @property
    def speed_to_lead_seconds(self) -> int | None:
        if self.first_response_at is None:
            return None
        return int((self.first_response_at - self.created_at).total_seconds())


class Call(TenantScoped, Base):
    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("tenant_id", "provider", "provider_call_id"),
        Index("ix_calls_tenant_started", "tenant_id", "started_at", "id"),
        # 0004: the dashboards' calls by day, role and outcome, from the index alone.
        Index(
            "ix_calls_tenant_started_outcome",
            "tenant_id",
            "started_at",
            "handled_by_role",
            "outcome",
        ),
        Index("ix_calls_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_calls_tenant_contact", "tenant_id", "contact_id"),
        Index("ix_calls_tenant_handled_by", "tenant_id", "handled_by_user_id"),
    )

    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contact_cards.id", ondelete="SET NULL")
    )
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    direction: Mapped[CallDirection] = mapped_column(String(10))
    from_number: Mapped[str | None] = mapped_column(String(limits.PHONE))
    to_number: Mapped[str | None] = mapped_column(String(limits.PHONE))
    started_at: Mapped[datetime]
    duration_seconds: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[CallOutcome | None] = mapped_column(String(16))
    handled_by_role: Mapped[HandledByRole | None] = mapped_column(String(16))
    handled_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    provider: Mapped[CallProvider] = mapped_column(String(16), default=CallProvider.manual)
    provider_call_id: Mapped[str | None] = mapped_column(String(limits.PROVIDER_ID))
    provider_status: Mapped[str | None] = mapped_column(String(limits.STATUS_WORD))
    recording_url: Mapped[str | None] = mapped_column(String(limits.URL))

    transcript: Mapped[CallTranscript | None] = relationship(lazy="raise", uselist=False)
    analysis: Mapped[CallAnalysis | None] = relationship(lazy="raise", uselist=False)


class CallTranscript(TenantScoped, Base):
    __tablename__ = "call_transcripts"

    call_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), unique=True
    )
    text: Mapped[str] = mapped_column(Text)
    segments: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    language: Mapped[str] = mapped_column(String(limits.LANGUAGE), default="en")


class CallAnalysis(TenantScoped, Base):
    __tablename__ = "call_analyses"

    call_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), unique=True
    )
    summary: Mapped[str] = mapped_column(Text)
    sentiment: Mapped[str | None] = mapped_column(String(limits.SENTIMENT))
    intent: Mapped[str | None] = mapped_column(String(limits.NAME))
    objections: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    booking_outcome: Mapped[str | None] = mapped_column(String(limits.BOOKING_OUTCOME))
    next_steps: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    model: Mapped[str | None] = mapped_column(String(limits.NAME))
    # The analyser's full findings, each citing the transcript segments it came from
    # (callintel.schemas.Findings); None for an analysis typed in by hand.
    findings: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)


class Appointment(TenantScoped, Base):
    __tablename__ = "appointments"
    __table_args__ = (
        Index("ix_appointments_tenant_starts", "tenant_id", "starts_at", "id"),
        Index("ix_appointments_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_appointments_tenant_rep_starts", "tenant_id", "rep_id", "starts_at"),
        Index("ix_appointments_tenant_contact", "tenant_id", "contact_id"),
    )

    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contact_cards.id", ondelete="CASCADE")
    )
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    rep_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str | None] = mapped_column(String(limits.TITLE))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[AppointmentStatus] = mapped_column(
        String(16), default=AppointmentStatus.scheduled
    )
    address: Mapped[str | None] = mapped_column(String(limits.REASON))
    notes: Mapped[str | None] = mapped_column(Text)


class RepShift(TenantScoped, Base):
    __tablename__ = "rep_shifts"
    __table_args__ = (
        Index("ix_rep_shifts_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_rep_shifts_tenant_rep_starts", "tenant_id", "rep_id", "starts_at"),
    )

    rep_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    territory: Mapped[str | None] = mapped_column(String(limits.TITLE))
    status: Mapped[ShiftStatus] = mapped_column(String(16), default=ShiftStatus.scheduled)


class RecordingSession(TenantScoped, Base):
    """A rep's in-home recording of an appointment, transcribed and analysed by Shunya."""

    __tablename__ = "recording_sessions"
    __table_args__ = (
        Index("ix_recording_sessions_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_recording_sessions_tenant_rep", "tenant_id", "rep_id"),
    )

    rep_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL")
    )
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    status: Mapped[RecordingStatus] = mapped_column(String(16), default=RecordingStatus.recording)
    audio_url: Mapped[str | None] = mapped_column(String(limits.URL))
    transcript: Mapped[str | None] = mapped_column(Text)
    # Speaker segments of the transcript ({"speaker", "start_s", "end_s", "text"}).
    transcript_segments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONDoc)
    analysis: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    source: Mapped[str] = mapped_column(String(32), default="shunya")


# --- conditions other domains' queries compose ------------------------------------------------


def contact_name_contains(term: str) -> ColumnElement[bool]:
    """The contact's full name or company contains `term` (lower case). Autoescaped: a typed
    % or _ is a character to find, not a wildcard."""
    full_name = func.lower(
        func.coalesce(ContactCard.first_name, "") + " " + func.coalesce(ContactCard.last_name, "")
    )
    company = func.lower(func.coalesce(ContactCard.company, ""))
    return or_(full_name.contains(term, autoescape=True), company.contains(term, autoescape=True))


def contact_is_reps(rep_id: uuid.UUID) -> ColumnElement[bool]:
    """The contact is one of a rep's: a lead assigned to them or an appointment of theirs is
    with them. What a rep sees of the CRM, and of every conversation with a contact."""
    assigned_lead = exists().where(
        Lead.contact_id == ContactCard.id, Lead.assigned_rep_id == rep_id
    )
    assigned_appointment = exists().where(
        Appointment.contact_id == ContactCard.id, Appointment.rep_id == rep_id
    )
    return or_(assigned_lead, assigned_appointment)
