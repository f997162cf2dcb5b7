"""Tasks: follow-ups linked to a contact, lead, appointment or call, for a role or a person."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, ForeignKey, Index, String, Text, and_, case, literal
from sqlalchemy.orm import Mapped, mapped_column, query_expression

from switchboard.kit import limits
from switchboard.kit.models import Base, TenantScoped
from switchboard.kit.types import JSONDoc


class TaskStatus(StrEnum):
    open = "open"
    completed = "completed"
    overdue = "overdue"  # never stored: an open task past its due time reads as overdue
    cancelled = "cancelled"


class TaskPriority(StrEnum):
    high = "high"
    medium = "medium"
    low = "low"


class AssignedRole(StrEnum):
    csr = "csr"
    rep = "rep"
    manager = "manager"
    ai = "ai"


class TaskSource(StrEnum):
    manual = "manual"
    otto = "otto"
    shunya = "shunya"
    assistant = "assistant"
    auto_reply = "auto_reply"
    system = "system"


class TaskMaker(StrEnum):
    """Who made a task: a person by hand, or the AI and the system on their own."""

    person = "person"
    ai = "ai"


PERSON_SOURCES = frozenset({TaskSource.manual})


class Task(TenantScoped, Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_tasks_tenant_status_due", "tenant_id", "status", "due_at"),
        Index("ix_tasks_tenant_assignee", "tenant_id", "assignee_id", "status"),
        Index("ix_tasks_tenant_contact", "tenant_id", "contact_id"),
        Index("ix_tasks_tenant_lead", "tenant_id", "lead_id"),
        Index("ix_tasks_tenant_appointment", "tenant_id", "appointment_id"),
        Index("ix_tasks_tenant_call", "tenant_id", "call_id"),
        Index("ix_tasks_tenant_origin_key", "tenant_id", "origin_key", unique=True),
    )

    title: Mapped[str] = mapped_column(String(limits.TITLE))
    description: Mapped[str | None] = mapped_column(Text)
    # Stored: open, completed or cancelled. Read `effective_status` for what users see.
    status: Mapped[TaskStatus] = mapped_column(String(16), default=TaskStatus.open)
    priority: Mapped[TaskPriority] = mapped_column(String(8), default=TaskPriority.medium)
    due_at: Mapped[datetime | None]
    assigned_role: Mapped[AssignedRole] = mapped_column(String(16), default=AssignedRole.csr)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    source: Mapped[TaskSource] = mapped_column(String(16), default=TaskSource.manual)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contact_cards.id", ondelete="SET NULL")
    )
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL")
    )
    call_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    # What made it, for a task the AI keeps in step with its source ("call:<id>:call_back:1"
    # for a call analysis' next step): analysing again updates the task instead of adding
    # one, and finds the one a person completed or cancelled.
    origin_key: Mapped[str | None] = mapped_column(String(limits.ORIGIN_KEY))
    # For such a task: each field as the system last wrote it (`tasks.service.as_written`). A
    # field whose value differs was changed by a person since, and keeping the task in step
    # leaves it as they set it. None for a task made before this was kept: every field is
    # the system's.
    system_fields: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)

    effective_status: Mapped[str] = query_expression()


def is_overdue(now: datetime) -> ColumnElement[bool]:
    return and_(Task.status == TaskStatus.open, Task.due_at.is_not(None), Task.due_at < now)


def effective_status(now: datetime) -> ColumnElement[str]:
    """The status users see, derived in SQL at query time so it can never go stale."""
    return case((is_overdue(now), literal(TaskStatus.overdue.value)), else_=Task.status)
