"""Every task query: tenant-scoped through the base repository, role-scoped through
`visible_to`, the list filters, the status people see, urgency order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import with_expression

from switchboard.crm.models import ContactCard, contact_name_contains
from switchboard.kit.clock import utcnow
from switchboard.kit.db import dialect_of
from switchboard.kit.repository import Repository, count_where, where_equal, where_in_range
from switchboard.kit.schemas import AwareDatetime
from switchboard.tasks.models import (
    PERSON_SOURCES,
    AssignedRole,
    Task,
    TaskMaker,
    TaskPriority,
    TaskSource,
    TaskStatus,
    effective_status,
    is_overdue,
)
from switchboard.tenancy.models import Role, User


@dataclass
class TaskFilters:
    """What a task list may be narrowed by (the API's query parameters)."""

    status: TaskStatus | None = None
    priority: TaskPriority | None = None
    source: TaskSource | None = None
    assigned_role: AssignedRole | None = None
    assignee_id: uuid.UUID | None = None
    due_before: AwareDatetime | None = None
    due_after: AwareDatetime | None = None
    contact_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    appointment_id: uuid.UUID | None = None
    call_id: uuid.UUID | None = None
    pending: bool | None = None  # true: still to do (open, overdue or not)
    unassigned: bool | None = None  # true: waiting in a role's queue, nobody's yet
    made_by: TaskMaker | None = None  # a person by hand, or the AI and the system


_PRIORITY_RANK = {TaskPriority.high: 0, TaskPriority.medium: 1, TaskPriority.low: 2}


class TaskRepository(Repository[Task]):
    model = Task
    kind = "task"

    def select(self) -> Select[Task]:
        return (
            super()
            .select()
            .options(with_expression(Task.effective_status, effective_status(utcnow())))
        )

    def visible_to(self, stmt: Select[Task], user: User) -> Select[Task]:
        if user.role != Role.rep:
            return stmt
        return stmt.where(or_(Task.assignee_id == user.id, Task.created_by_id == user.id))

    @staticmethod
    def with_status(stmt: Select[Task], status: TaskStatus, now: datetime) -> Select[Task]:
        """Filter on the status users see: overdue is an open task past due, open is the rest."""
        if status == TaskStatus.overdue:
            return stmt.where(is_overdue(now))
        if status == TaskStatus.open:
            return stmt.where(Task.status == TaskStatus.open, ~is_overdue(now))
        return stmt.where(Task.status == status)

    def filtered(self, stmt: Select[Task], filters: TaskFilters, now: datetime) -> Select[Task]:
        """The tasks of `stmt` that match `filters`."""
        if filters.status:
            stmt = self.with_status(stmt, filters.status, now)
        stmt = where_equal(
            stmt,
            (Task.priority, filters.priority),
            (Task.source, filters.source),
            (Task.assigned_role, filters.assigned_role),
            (Task.assignee_id, filters.assignee_id),
            (Task.contact_id, filters.contact_id),
            (Task.lead_id, filters.lead_id),
            (Task.appointment_id, filters.appointment_id),
            (Task.call_id, filters.call_id),
        )
        if filters.pending is not None:
            stmt = stmt.where((Task.status == TaskStatus.open) == filters.pending)
        if filters.unassigned is not None:
            stmt = stmt.where(Task.assignee_id.is_(None) == filters.unassigned)
        if filters.made_by is not None:
            by_person = Task.source.in_(PERSON_SOURCES)
            stmt = stmt.where(by_person if filters.made_by == TaskMaker.person else ~by_person)
        return where_in_range(stmt, Task.due_at, filters.due_after, filters.due_before)

    @staticmethod
    def pending(stmt: Select[Task]) -> Select[Task]:
        """The tasks of `stmt` still to do: open, whether or not overdue."""
        return stmt.where(Task.status == TaskStatus.open)

    @staticmethod
    def by_urgency(stmt: Select[Task]) -> Select[Task]:
        """High priority first, then the earliest due; tasks with no due time come last."""
        rank = case(_PRIORITY_RANK, value=Task.priority, else_=len(_PRIORITY_RANK))
        return stmt.order_by(rank, Task.due_at.is_(None), Task.due_at, Task.created_at, Task.id)

    async def fresh(self, task_id: uuid.UUID) -> Task:
        """The task as stored now (after a flush: its effective status computed), or 404."""
        return await self.get(task_id, self.select().execution_options(populate_existing=True))

    async def most_urgent(self, stmt: Select[Task], limit: int) -> list[Task]:
        """The first `limit` tasks of `stmt` by urgency (`by_urgency`)."""
        return list((await self.session.execute(self.by_urgency(stmt).limit(limit))).scalars())

    async def by_origin(self, key: str) -> Task | None:
        """The task kept in step with `key` (Task.origin_key), read fresh and, on
        PostgreSQL, locked: two analyses of one record update it in turn."""
        stmt = self.select().where(Task.origin_key == key).execution_options(populate_existing=True)
        if dialect_of(self.session) == "postgresql":
            stmt = stmt.with_for_update(of=Task)
        return (await self.session.execute(stmt)).scalars().first()

    async def has_system_task_for_call(self, call_id: uuid.UUID) -> bool:
        stmt = select(Task.id).where(
            Task.tenant_id == self.tenant_id,
            Task.call_id == call_id,
            Task.source == TaskSource.system,
        )
        return (await self.session.execute(stmt.limit(1))).scalar() is not None

    async def open_counts(
        self, stmt: Select[Task], now: datetime, due_before: datetime
    ) -> tuple[int, int, int]:
        """(open, overdue, due before `due_before`) among the open tasks of `stmt`, in one
        query; open counts the overdue ones too."""
        counts = stmt.where(Task.status == TaskStatus.open).with_only_columns(
            func.count(), count_where(is_overdue(now)), count_where(Task.due_at < due_before)
        )
        pending, overdue, due = (await self.session.execute(counts)).one()
        return int(pending), int(overdue), int(due)

    async def matching(self, stmt: Select[Task], terms: list[str], limit: int) -> list[Task]:
        """Tasks whose title or linked contact's name contains any of `terms`, in any case."""
        words = [term.strip().lower() for term in terms if term.strip()]
        if not words:
            return []
        conditions = []
        for word in words:
            conditions += [
                func.lower(Task.title).contains(word, autoescape=True),
                contact_name_contains(word),
            ]
        stmt = (
            stmt.outerjoin(
                ContactCard,
                (ContactCard.id == Task.contact_id) & (ContactCard.tenant_id == Task.tenant_id),
            )
            .where(or_(*conditions))
            .order_by(Task.created_at.desc(), Task.id)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())


# --- Read interface for other domains ----------------------------------------------------------


async def open_task_like(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    contact_id: uuid.UUID,
    source: TaskSource,
    title: str,
    appointment_id: uuid.UUID | None,
) -> Task | None:
    """An open task from `source` on the contact with exactly this title and appointment
    (or none), if there is one."""
    stmt = (
        TaskRepository(session, tenant_id)
        .select()
        .where(
            Task.contact_id == contact_id,
            Task.source == source,
            Task.status == TaskStatus.open,
            Task.title == title,
            Task.appointment_id == appointment_id
            if appointment_id is not None
            else Task.appointment_id.is_(None),
        )
    )
    return (await session.execute(stmt)).scalars().first()
