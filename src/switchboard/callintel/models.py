"""What Otto and Shunya changed on the record (a call's outcome, a lead's status), each
change kept with the analysis it came from, so people can see who set what and why."""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from switchboard.kit.models import Base, TenantScoped


class ChangeMaker(StrEnum):
    otto = "otto"  # from a call's analysis
    shunya = "shunya"  # from an in-home recording's analysis


class RecordChange(TenantScoped, Base):
    __tablename__ = "record_changes"
    __table_args__ = (
        Index("ix_record_changes_tenant_record", "tenant_id", "record_kind", "record_id"),
    )

    record_kind: Mapped[str] = mapped_column(String(16))  # "call", "lead"
    record_id: Mapped[uuid.UUID]
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(String(32))
    new_value: Mapped[str | None] = mapped_column(String(32))
    made_by: Mapped[ChangeMaker] = mapped_column(String(16))
    call_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    recording_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("recording_sessions.id", ondelete="CASCADE")
    )
    evidence: Mapped[str | None] = mapped_column(Text)  # the transcript lines it read
