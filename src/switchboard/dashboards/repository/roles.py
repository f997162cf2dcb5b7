"""Every query of the role dashboards (CSR, rep, executive): a fixed handful of GROUP BY
queries each, however much data there is, every one filtered on the tenant."""

from __future__ import annotations

import statistics
import uuid
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from switchboard.crm.models import (
    Appointment,
    Call,
    CallDirection,
    CallOutcome,
    ContactCard,
    HandledByRole,
    Lead,
    LeadStatus,
    RecordingSession,
    RepShift,
)
from switchboard.dashboards.schemas import SpeedToLead
from switchboard.dashboards.timeframe import Span
from switchboard.kit.models import TenantScoped
from switchboard.kit.repository import count_where, where_in_range
from switchboard.messaging.models import MessagingSession
from switchboard.tasks.models import AssignedRole, Task, TaskStatus, is_overdue

# Calls nobody picked up: each wants a call back.
UNANSWERED_OUTCOMES = (CallOutcome.missed, CallOutcome.voicemail, CallOutcome.abandoned)
OPEN_LEAD_STATUSES = tuple(s for s in LeadStatus if s not in (LeadStatus.won, LeadStatus.lost))

Record = tuple[Any, ...]


def within(column: Any, span: Span) -> ColumnElement[bool]:
    return and_(column >= span.start, column < span.end)


class AggregateRepository:
    """Every query of the role dashboards. Each starts from `rows_of`, which filters on the
    tenant, so a dashboard query cannot forget it."""

    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def rows_of(self, model: type[TenantScoped], *columns: Any) -> Select[Any]:
        return select(*columns).where(model.tenant_id == self.tenant_id)

    async def rows(self, stmt: Select[Any]) -> list[Record]:
        return [tuple(row) for row in (await self.session.execute(stmt)).all()]

    async def row(self, stmt: Select[Any]) -> Record:
        return tuple((await self.session.execute(stmt)).one())

    # --- calls

    async def csr_call_outcomes(
        self, span: Span, user_id: uuid.UUID
    ) -> tuple[Counter[str | None], Counter[str | None]]:
        """Outcome counts of the span's calls handled by any CSR, and by `user_id`."""
        by_csr = Call.handled_by_role == HandledByRole.csr
        by_user = Call.handled_by_user_id == user_id
        stmt = (
            self.rows_of(Call, Call.outcome, count_where(by_csr), count_where(by_user))
            .where(or_(by_csr, by_user))
            .group_by(Call.outcome)
        )
        csr: Counter[str | None] = Counter()
        mine: Counter[str | None] = Counter()
        for outcome, n_csr, n_mine in await self.rows(
            where_in_range(stmt, Call.started_at, span.start, span.end)
        ):
            csr[outcome] += int(n_csr)
            mine[outcome] += int(n_mine)
        return csr, mine

    def _not_called_back(self) -> ColumnElement[bool]:
        """An inbound call nobody answered with no outbound call to the caller after it."""
        later = aliased(Call)
        called_back = exists().where(
            later.tenant_id == self.tenant_id,
            later.direction == CallDirection.outbound,
            later.started_at > Call.started_at,
            or_(later.contact_id == Call.contact_id, later.to_number == Call.from_number),
        )
        return and_(
            Call.direction == CallDirection.inbound,
            Call.outcome.in_(UNANSWERED_OUTCOMES),
            ~called_back,
        )

    async def calls_not_called_back(
        self, since: datetime, until: datetime
    ) -> tuple[int, datetime | None]:
        """How many inbound calls nobody answered have had no outbound call to the caller
        after them, and when the oldest came in."""
        stmt = self.rows_of(Call, func.count(), func.min(Call.started_at)).where(
            self._not_called_back()
        )
        count, oldest = await self.row(where_in_range(stmt, Call.started_at, since, until))
        return int(count), oldest

    async def unanswered_calls(
        self, since: datetime, until: datetime, limit: int
    ) -> list[tuple[Call, ContactCard | None, uuid.UUID | None]]:
        """The newest of those calls, each with its caller and the caller's latest
        conversation (a voicemail or their texts), to call or write back from."""
        stmt = (
            self.rows_of(Call, Call, ContactCard)
            .outerjoin(
                ContactCard,
                and_(ContactCard.id == Call.contact_id, ContactCard.tenant_id == Call.tenant_id),
            )
            .where(self._not_called_back())
            .order_by(Call.started_at.desc(), Call.id.desc())
            .limit(limit)
        )
        rows = await self.rows(where_in_range(stmt, Call.started_at, since, until))
        contact_ids = {call.contact_id for call, _ in rows if call.contact_id is not None}
        latest: dict[uuid.UUID, uuid.UUID] = {}
        if contact_ids:
            sessions = self.rows_of(
                MessagingSession, MessagingSession.contact_id, MessagingSession.id
            ).where(MessagingSession.contact_id.in_(contact_ids))
            ordered = sessions.order_by(
                MessagingSession.last_message_at.desc(), MessagingSession.id.desc()
            )
            for contact_id, session_id in await self.rows(ordered):
                latest.setdefault(contact_id, session_id)
        return [
            (call, contact, latest.get(call.contact_id) if call.contact_id else None)
            for call, contact in rows
        ]

    # --- tasks

    async def csr_open_tasks(self, now: datetime, user_id: uuid.UUID) -> dict[str, tuple[int, int]]:
        """(open, overdue) of the tasks waiting in the CSRs' queue ("csr") and of those
        assigned to `user_id` ("mine"), in one pass."""
        return await self.open_tasks(
            now,
            {
                "csr": Task.assigned_role == AssignedRole.csr,
                "mine": Task.assignee_id == user_id,
            },
        )

    async def assigned_open_tasks(self, now: datetime, user_id: uuid.UUID) -> tuple[int, int]:
        """(open, overdue) of the tasks assigned to `user_id`."""
        return (await self.open_tasks(now, {"assigned": Task.assignee_id == user_id}))["assigned"]

    async def open_tasks(
        self, now: datetime, groups: Mapping[str, ColumnElement[bool]]
    ) -> dict[str, tuple[int, int]]:
        """(open, overdue) counts of the open tasks in each named group, in one pass."""
        overdue = is_overdue(now)
        columns = [
            count_where(and_(group, column))
            for group in groups.values()
            for column in (~overdue, overdue)
        ]
        stmt = self.rows_of(Task, *columns).where(
            Task.status == TaskStatus.open, or_(*groups.values())
        )
        row = await self.row(stmt)
        return {name: (int(row[2 * i]), int(row[2 * i + 1])) for i, name in enumerate(groups)}

    async def task_flow(self, span: Span) -> list[Record]:
        """(source, created in the span, completed in the span) for each task source."""
        created = within(Task.created_at, span)
        completed = and_(Task.status == TaskStatus.completed, within(Task.completed_at, span))
        stmt = (
            self.rows_of(Task, Task.source, count_where(created), count_where(completed))
            .where(or_(created, completed))
            .group_by(Task.source)
        )
        return await self.rows(stmt)

    # --- leads

    async def speed_to_lead(self, span: Span) -> SpeedToLead:
        """Of the leads created in the span: how many, how many have had a first response,
        and the median wait. PostgreSQL takes the median itself; SQLite, which has no
        percentiles, hands back each wait for Python to take it."""
        if self.session.get_bind().dialect.name != "postgresql":
            return _median_wait(*await self.response_seconds(span))
        waited = func.greatest(0, func.extract("epoch", Lead.first_response_at - Lead.created_at))
        # GREATEST skips NULLs, so the leads still waiting are filtered out, not made 0.
        median = (
            func.percentile_cont(0.5)
            .within_group(waited)
            .filter(Lead.first_response_at.is_not(None))
        )
        stmt = self.rows_of(Lead, func.count(), func.count(Lead.first_response_at), median)
        leads, responded, seconds = await self.row(
            where_in_range(stmt, Lead.created_at, span.start, span.end)
        )
        return SpeedToLead(
            leads=int(leads),
            responded=int(responded),
            median_seconds=round(float(seconds)) if seconds is not None else None,
        )

    async def response_seconds(self, span: Span) -> tuple[int, list[float]]:
        """How many leads were created in the span, and the seconds each responded one
        waited (for a database that cannot take the median itself)."""
        stmt = self.rows_of(Lead, Lead.created_at, Lead.first_response_at)
        rows = await self.rows(where_in_range(stmt, Lead.created_at, span.start, span.end))
        seconds = [
            max(0.0, (responded - created).total_seconds())
            for created, responded in rows
            if responded is not None
        ]
        return len(rows), seconds

    async def rep_leads(self, rep_id: uuid.UUID, decided: Span) -> list[Record]:
        """(status, leads, leads last changed in `decided`) of the leads assigned to the rep."""
        stmt = (
            self.rows_of(
                Lead, Lead.status, func.count(), count_where(within(Lead.updated_at, decided))
            )
            .where(Lead.assigned_rep_id == rep_id)
            .group_by(Lead.status)
        )
        return await self.rows(stmt)

    async def lead_cohort(self, span: Span) -> list[Record]:
        """(source, status, leads, their estimated value) of the leads created in the span."""
        value = func.coalesce(func.sum(Lead.estimated_value), 0)
        stmt = self.rows_of(Lead, Lead.source, Lead.status, func.count(), value).group_by(
            Lead.source, Lead.status
        )
        return await self.rows(where_in_range(stmt, Lead.created_at, span.start, span.end))

    async def pipeline(self) -> tuple[int, Any]:
        """How many leads are open, whenever they came in, and their estimated value."""
        stmt = self.rows_of(
            Lead, func.count(), func.coalesce(func.sum(Lead.estimated_value), 0)
        ).where(Lead.status.in_(OPEN_LEAD_STATUSES))
        count, value = await self.row(stmt)
        return int(count), value

    # --- appointments, shifts, recordings

    async def appointments_created(self, span: Span) -> int:
        stmt = self.rows_of(Appointment, func.count())
        (count,) = await self.row(
            where_in_range(stmt, Appointment.created_at, span.start, span.end)
        )
        return int(count)

    async def appointment_statuses(self, span: Span) -> Counter[str]:
        stmt = self.rows_of(Appointment, Appointment.status, func.count()).group_by(
            Appointment.status
        )
        rows = await self.rows(where_in_range(stmt, Appointment.starts_at, span.start, span.end))
        return Counter({status: int(n) for status, n in rows})

    async def rep_appointments(
        self, rep_id: uuid.UUID, span: Span
    ) -> list[tuple[Appointment, ContactCard]]:
        stmt = (
            self.rows_of(Appointment, Appointment, ContactCard)
            .join(
                ContactCard,
                and_(
                    ContactCard.id == Appointment.contact_id,
                    ContactCard.tenant_id == Appointment.tenant_id,
                ),
            )
            .where(Appointment.rep_id == rep_id)
            .order_by(Appointment.starts_at, Appointment.id)
        )
        rows = await self.rows(where_in_range(stmt, Appointment.starts_at, span.start, span.end))
        return [(appointment, contact) for appointment, contact in rows]

    async def rep_shifts(self, rep_id: uuid.UUID, span: Span) -> list[RepShift]:
        """The rep's shifts that overlap the span."""
        stmt = (
            self.rows_of(RepShift, RepShift)
            .where(
                RepShift.rep_id == rep_id,
                RepShift.starts_at < span.end,
                RepShift.ends_at > span.start,
            )
            .order_by(RepShift.starts_at, RepShift.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def rep_recordings(self, rep_id: uuid.UUID, span: Span) -> int:
        stmt = self.rows_of(RecordingSession, func.count()).where(RecordingSession.rep_id == rep_id)
        (count,) = await self.row(
            where_in_range(stmt, RecordingSession.started_at, span.start, span.end)
        )
        return int(count)


def _median_wait(leads: int, seconds: list[float]) -> SpeedToLead:
    return SpeedToLead(
        leads=leads,
        responded=len(seconds),
        median_seconds=round(statistics.median(seconds)) if seconds else None,
    )
