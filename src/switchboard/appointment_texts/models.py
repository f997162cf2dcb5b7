"""Each company's appointment-text settings, and every confirmation and reminder planned for
an appointment: scheduled, then sent, skipped (and why) or withdrawn (and why)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from switchboard.kit import limits
from switchboard.kit.models import Base, TenantScoped
from switchboard.kit.types import JSONDoc

DEFAULT_OFFSETS = (24 * 60, 60)  # minutes before the appointment: a day, an hour
DEFAULT_QUIET_START = "21:00"  # no reminder between 9 pm and 8 am, the company's time
DEFAULT_QUIET_END = "08:00"


class TextPurpose(StrEnum):
    confirmation = "confirmation"
    reminder = "reminder"


class TextStatus(StrEnum):
    scheduled = "scheduled"  # waiting for its time (its job runs then)
    sent = "sent"  # handed to the outbound pipeline: `message_id` is the text
    skipped = "skipped"  # its time came and it could not go: `reason` says why
    withdrawn = "withdrawn"  # the appointment was cancelled or moved, or settings changed

    @property
    def pending(self) -> bool:
        return self == TextStatus.scheduled


class AppointmentTextSettings(TenantScoped, Base):
    """One row per company that changed anything; a company without one has the defaults."""

    __tablename__ = "appointment_text_settings"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    confirmation_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    reminder_offsets: Mapped[list[int]] = mapped_column(
        JSONDoc, default=lambda: list(DEFAULT_OFFSETS)
    )
    # Null: no quiet hours (a new row is given the defaults by the service).
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    confirmation_template: Mapped[str | None] = mapped_column(Text)
    reminder_template: Mapped[str | None] = mapped_column(Text)


class AppointmentText(TenantScoped, Base):
    """A confirmation or one reminder of one appointment, for the start time it names.

    The unique key (appointment, purpose, offset, start) makes one text per reminder: a
    moved appointment's pending reminders are moved to the new start, and one that was sent
    for the old start stays as it was while a new one is planned for the new start."""

    __tablename__ = "appointment_texts"
    __table_args__ = (
        UniqueConstraint(
            "appointment_id",
            "purpose",
            "offset_minutes",
            "appointment_starts_at",
            name="uq_appointment_texts_one_per_start",
        ),
        Index("ix_appointment_texts_tenant_appointment", "tenant_id", "appointment_id"),
        Index("ix_appointment_texts_tenant_status_due", "tenant_id", "status", "due_at"),
    )

    appointment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE")
    )
    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contact_cards.id", ondelete="CASCADE")
    )
    purpose: Mapped[TextPurpose] = mapped_column(String(16))
    offset_minutes: Mapped[int] = mapped_column(Integer, default=0)  # 0 for a confirmation
    appointment_starts_at: Mapped[datetime]  # the start this text is about
    due_at: Mapped[datetime]  # when it goes: the offset, moved out of quiet hours
    status: Mapped[TextStatus] = mapped_column(String(16), default=TextStatus.scheduled)
    reason: Mapped[str | None] = mapped_column(String(limits.REASON))
    message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), unique=True
    )
    sent_at: Mapped[datetime | None]
    # The queued job that sends it; no foreign key: finished jobs are pruned.
    job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
