"""A contact's timeline (calls, messages, tasks, appointments and in-home recordings merged
by time in one query) and the overview a screen shows beside a conversation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import String, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.appointment_texts.models import AppointmentText
from switchboard.appointment_texts.service import texts_by_appointment
from switchboard.crm.models import Appointment, Call, ContactCard, Lead, RecordingSession
from switchboard.crm.repository import (
    AppointmentRepository,
    CallRepository,
    RecordingSessionRepository,
)
from switchboard.crm.service import (
    AppointmentFilters,
    AppointmentService,
    CallFilters,
    CallService,
    ContactService,
    LeadFilters,
    LeadService,
    RecordingSessionService,
)
from switchboard.kit.clock import utcnow
from switchboard.kit.pagination import PageParams, decode_values, encode_values
from switchboard.kit.schemas import Schema
from switchboard.messaging.models import Message
from switchboard.messaging.service import InboxService
from switchboard.tasks.models import Task, effective_status
from switchboard.tasks.repository import TaskRepository
from switchboard.tasks.service import TaskFilters, TaskService
from switchboard.tenancy.models import User


class TimelineKind(StrEnum):
    call = "call"
    message = "message"
    task = "task"
    appointment = "appointment"
    recording = "recording"


class TimelineItem(Schema):
    kind: TimelineKind
    id: uuid.UUID
    at: datetime
    title: str
    status: str | None


def _row(kind: TimelineKind, model: Any, at: Any, title: Any, status: Any) -> Any:
    return select(
        literal(kind.value, String).label("kind"),
        model.id.label("id"),
        at.label("at"),
        func.substr(title, 1, 200).label("title"),
        status.label("status"),
    )


async def contact_timeline(
    session: AsyncSession, user: User, contact_id: uuid.UUID, params: PageParams
) -> tuple[list[TimelineItem], str | None]:
    await ContactService(session, user).get(contact_id)  # 404 unless visible
    tenant = user.tenant_id
    calls = CallRepository(session, tenant)
    appointments = AppointmentRepository(session, tenant)
    tasks = TaskRepository(session, tenant)

    call_rows = calls.visible_to(
        _row(
            TimelineKind.call, Call, Call.started_at, Call.direction + " call", Call.outcome
        ).where(Call.tenant_id == tenant, Call.contact_id == contact_id),
        user,
    )
    message_rows = _row(
        TimelineKind.message, Message, Message.created_at, Message.body, Message.status
    ).where(Message.tenant_id == tenant, Message.contact_id == contact_id)
    task_rows = tasks.visible_to(
        _row(
            TimelineKind.task, Task, Task.created_at, Task.title, effective_status(utcnow())
        ).where(Task.tenant_id == tenant, Task.contact_id == contact_id),
        user,
    )
    appointment_rows = appointments.visible_to(
        _row(
            TimelineKind.appointment,
            Appointment,
            Appointment.starts_at,
            func.coalesce(Appointment.title, "Appointment"),
            Appointment.status,
        ).where(Appointment.tenant_id == tenant, Appointment.contact_id == contact_id),
        user,
    )
    recordings = RecordingSessionRepository(session, tenant)
    recording_rows = recordings.visible_to(
        _row(
            TimelineKind.recording,
            RecordingSession,
            RecordingSession.started_at,
            literal("In-home recording"),
            RecordingSession.status,
        )
        .join(Appointment, Appointment.id == RecordingSession.appointment_id)
        .where(
            RecordingSession.tenant_id == tenant,
            Appointment.tenant_id == tenant,
            Appointment.contact_id == contact_id,
        ),
        user,
    )
    merged = union_all(
        call_rows, message_rows, task_rows, appointment_rows, recording_rows
    ).subquery()
    columns = [merged.c.at, merged.c.id]
    stmt = select(merged)
    if params.cursor:
        at, ident = decode_values(params.cursor, [datetime, uuid.UUID])
        stmt = stmt.where((merged.c.at < at) | ((merged.c.at == at) & (merged.c.id < ident)))
    stmt = stmt.order_by(*(c.desc() for c in columns)).limit(params.limit + 1)
    rows = (await session.execute(stmt)).all()
    items = [TimelineItem.model_validate(row._mapping) for row in rows[: params.limit]]
    more = len(rows) > params.limit
    next_cursor = encode_values([items[-1].at, items[-1].id]) if more else None
    return items, next_cursor


async def timeline_records(
    session: AsyncSession, user: User, items: list[TimelineItem]
) -> dict[uuid.UUID, Call | RecordingSession]:
    """The calls (with transcript and analysis) and recordings a timeline page names, for a
    screen that shows them in full: two queries, whatever the page holds."""
    calls = await CallService(session, user).many(i.id for i in items if i.kind == "call")
    recordings = await RecordingSessionService(session, user).many(
        i.id for i in items if i.kind == "recording"
    )
    return {**calls, **recordings}


@dataclass(frozen=True)
class TimelineTexts:
    """Who sent each text on a timeline page, and the confirmation and reminders planned
    for each of its appointments."""

    messages: dict[uuid.UUID, Message]
    by_appointment: dict[uuid.UUID, list[AppointmentText]]


async def timeline_texts(
    session: AsyncSession, user: User, items: list[TimelineItem]
) -> TimelineTexts:
    """Two queries, whatever the page holds."""
    messages = await InboxService(session, user).messages_by_id(
        i.id for i in items if i.kind == TimelineKind.message
    )
    planned = await texts_by_appointment(
        session, user, (i.id for i in items if i.kind == TimelineKind.appointment)
    )
    return TimelineTexts(messages, planned)


@dataclass(frozen=True)
class ContactOverview:
    """What a CSR wants beside a conversation: the card, the lead, what is next."""

    contact: ContactCard
    leads: list[Lead]
    upcoming: list[Appointment]
    open_tasks: list[Task]
    open_task_count: int
    recent_calls: list[Call]


async def contact_overview(
    session: AsyncSession, user: User, contact_id: uuid.UUID, *, limit: int = 5
) -> ContactOverview:
    contact = await ContactService(session, user).get(contact_id)  # 404 unless visible
    page = PageParams(limit=limit)
    leads, _ = await LeadService(session, user).list_page(LeadFilters(contact_id=contact_id), page)
    upcoming, _ = await AppointmentService(session, user).list_page(
        AppointmentFilters(contact_id=contact_id, starts_after=utcnow()), page
    )
    tasks, task_count = await TaskService(session, user).most_urgent(
        TaskFilters(contact_id=contact_id), pending=True, limit=limit
    )
    calls, _ = await CallService(session, user).list_page(CallFilters(contact_id=contact_id), page)
    return ContactOverview(contact, leads, upcoming, tasks, task_count, calls)
