"""A contact's timeline: calls, messages, tasks and appointments merged by time in one query."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import String, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.crm.models import Appointment, Call
from switchboard.crm.repository import AppointmentRepository, CallRepository
from switchboard.crm.service import ContactService
from switchboard.kit.clock import utcnow
from switchboard.kit.pagination import PageParams, decode_values, encode_values
from switchboard.kit.schemas import Schema
from switchboard.messaging.models import Message
from switchboard.tasks.models import Task, effective_status
from switchboard.tasks.repository import TaskRepository
from switchboard.tenancy.models import User


class TimelineKind(StrEnum):
    call = "call"
    message = "message"
    task = "task"
    appointment = "appointment"


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
    merged = union_all(call_rows, message_rows, task_rows, appointment_rows).subquery()
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
