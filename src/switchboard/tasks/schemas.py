from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, field_validator

from switchboard.kit import limits
from switchboard.kit.schemas import AwareDatetime, RecordRead, Schema, Str, UpdateSchema
from switchboard.tasks.models import AssignedRole, TaskPriority, TaskSource, TaskStatus

Title = Field(min_length=1, max_length=limits.TITLE)
Description = Field(None, max_length=limits.NOTES)


class TaskCreate(Schema):
    title: Str = Title
    description: Str | None = Description
    priority: TaskPriority = TaskPriority.medium
    due_at: AwareDatetime | None = None
    assigned_role: AssignedRole = AssignedRole.csr
    assignee_id: uuid.UUID | None = None
    source: TaskSource = TaskSource.manual
    contact_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    appointment_id: uuid.UUID | None = None
    call_id: uuid.UUID | None = None


class TaskUpdate(UpdateSchema):
    not_null = frozenset({"title", "priority", "assigned_role", "status"})

    title: Str | None = Field(None, min_length=1, max_length=limits.TITLE)
    description: Str | None = Description
    status: TaskStatus | None = None
    priority: TaskPriority | None = None
    due_at: AwareDatetime | None = None
    assigned_role: AssignedRole | None = None
    assignee_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    appointment_id: uuid.UUID | None = None
    call_id: uuid.UUID | None = None

    @field_validator("status")
    @classmethod
    def _settable(cls, value: TaskStatus | None) -> TaskStatus | None:
        if value == TaskStatus.overdue:
            raise ValueError("overdue follows from the due time; set open, completed or cancelled")
        return value


class TaskRead(RecordRead):
    title: str
    description: str | None
    status: TaskStatus = Field(validation_alias="effective_status")
    priority: TaskPriority
    due_at: datetime | None
    assigned_role: AssignedRole
    assignee_id: uuid.UUID | None
    source: TaskSource
    created_by_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    lead_id: uuid.UUID | None
    appointment_id: uuid.UUID | None
    call_id: uuid.UUID | None
    completed_at: datetime | None
    cancelled_at: datetime | None
