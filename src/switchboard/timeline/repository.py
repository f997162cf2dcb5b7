"""The timeline's one query: a contact's calls, messages, tasks, appointments and in-home
recordings merged by time, each kind limited to what the user may see by its own domain
service's scope."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.crm.models import Appointment, Call, RecordingSession
from switchboard.crm.service import AppointmentService, CallService, RecordingSessionService
from switchboard.kit.clock import utcnow
from switchboard.kit.pagination import PageParams, decode_values, encode_values
from switchboard.messaging.models import Message
from switchboard.tasks.models import Task, effective_status
from switchboard.tasks.service import TaskService
from switchboard.tenancy.models import User
from switchboard.timeline.schemas import TimelineItem, TimelineKind


def _row(
    scope: Select[Any], kind: TimelineKind, model: Any, at: Any, title: Any, status: Any
) -> Select[Any]:
    """The timeline's columns over the rows of `scope` (tenant and role filters kept)."""
    return scope.with_only_columns(
        literal(kind.value, String).label("kind"),
        model.id.label("id"),
        at.label("at"),
        func.substr(title, 1, 200).label("title"),
        status.label("status"),
    )


class TimelineRepository:
    def __init__(self, session: AsyncSession, user: User) -> None:
        self.session = session
        self.user = user
        self.tenant_id = user.tenant_id

    async def page(
        self, contact_id: uuid.UUID, params: PageParams
    ) -> tuple[list[TimelineItem], str | None]:
        """Newest first, keyset-paged on (at, id). The caller has checked the contact."""
        session, user, tenant = self.session, self.user, self.tenant_id
        call_rows = _row(
            CallService(session, user).visible(),
            TimelineKind.call,
            Call,
            Call.started_at,
            Call.direction + " call",
            Call.outcome,
        ).where(Call.contact_id == contact_id)
        message_rows = _row(
            select(Message).where(Message.tenant_id == tenant),
            TimelineKind.message,
            Message,
            Message.created_at,
            Message.body,
            Message.status,
        ).where(Message.contact_id == contact_id)
        task_rows = _row(
            TaskService(session, user).visible(),
            TimelineKind.task,
            Task,
            Task.created_at,
            Task.title,
            effective_status(utcnow()),
        ).where(Task.contact_id == contact_id)
        appointment_rows = _row(
            AppointmentService(session, user).visible(),
            TimelineKind.appointment,
            Appointment,
            Appointment.starts_at,
            func.coalesce(Appointment.title, "Appointment"),
            Appointment.status,
        ).where(Appointment.contact_id == contact_id)
        recording_rows = (
            _row(
                RecordingSessionService(session, user).visible(),
                TimelineKind.recording,
                RecordingSession,
                RecordingSession.started_at,
                literal("In-home recording"),
                RecordingSession.status,
            )
            .join(Appointment, Appointment.id == RecordingSession.appointment_id)
            .where(Appointment.tenant_id == tenant, Appointment.contact_id == contact_id)
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
        rows = (await self.session.execute(stmt)).all()
        items = [TimelineItem.model_validate(row._mapping) for row in rows[: params.limit]]
        more = len(rows) > params.limit
        next_cursor = encode_values([items[-1].at, items[-1].id]) if more else None
        return items, next_cursor
