from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, case, func, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import with_expression

from switchboard.crm.models import ContactCard
from switchboard.crm.repository import contact_name_contains
from switchboard.kit.clock import utcnow
from switchboard.kit.repository import Repository, count_where
from switchboard.tasks.models import (
    Task,
    TaskPriority,
    TaskSource,
    TaskStatus,
    effective_status,
    is_overdue,
)
from switchboard.tenancy.models import Role, User

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

    @staticmethod
    def by_urgency(stmt: Select[Task]) -> Select[Task]:
        """High priority first, then the earliest due; tasks with no due time come last."""
        rank = case(_PRIORITY_RANK, value=Task.priority, else_=len(_PRIORITY_RANK))
        return stmt.order_by(rank, Task.due_at.is_(None), Task.due_at, Task.created_at, Task.id)

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
