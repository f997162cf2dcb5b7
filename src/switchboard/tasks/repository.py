from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, or_
from sqlalchemy.orm import with_expression

from switchboard.kit.clock import utcnow
from switchboard.kit.repository import Repository
from switchboard.tasks.models import Task, TaskStatus, effective_status, is_overdue
from switchboard.tenancy.models import Role, User


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
    def with_status(
        stmt: Select[Task], status: TaskStatus, now: datetime
    ) -> Select[Task]:
        """Filter on the status users see: overdue is an open task past due, open is the rest."""
        if status == TaskStatus.overdue:
            return stmt.where(is_overdue(now))
        if status == TaskStatus.open:
            return stmt.where(Task.status == TaskStatus.open, ~is_overdue(now))
        return stmt.where(Task.status == status)
