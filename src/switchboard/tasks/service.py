"""Task rules: links stay in the tenant and the user's scope, who may change a task
(docs/PERMISSIONS.md), status transitions, the role-scoped list."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, overload

from pydantic_core import to_jsonable_python
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.crm.service import (
    AppointmentService,
    CallService,
    CompanyRecords,
    ContactService,
    LeadService,
    require_links,
)
from switchboard.kit.clock import utcnow
from switchboard.kit.errors import Conflict, Forbidden
from switchboard.kit.events import Event, emit
from switchboard.kit.pagination import PageParams
from switchboard.kit.schemas import apply_changes
from switchboard.tasks.models import (
    AssignedRole,
    Task,
    TaskSource,
    TaskStatus,
)
from switchboard.tasks.repository import TaskFilters, TaskRepository, open_task_like
from switchboard.tasks.schemas import TaskCreate, TaskRead, TaskUpdate
from switchboard.tenancy.models import Role, User
from switchboard.tenancy.scope import MANAGERS, ScopedService

# The records a task may link to, and the service that says whether the user may see each.
_LINKS: tuple[tuple[str, type[ScopedService[Any]]], ...] = (
    ("contact_id", ContactService),
    ("lead_id", LeadService),
    ("appointment_id", AppointmentService),
    ("call_id", CallService),
)


def role_queue(user: User) -> AssignedRole:
    """The task queue a staff member works from: an admin works the managers'."""
    return AssignedRole.manager if user.role == Role.admin else AssignedRole(user.role)


def is_theirs(task: Task, user: User) -> bool:
    """Assigned to `user`, or waiting unassigned in their role's queue."""
    if task.assignee_id is not None:
        return task.assignee_id == user.id
    return task.assigned_role == role_queue(user)


class TaskService(ScopedService[Task]):
    repository = TaskRepository

    def __init__(self, session: AsyncSession, user: User) -> None:
        super().__init__(session, user)
        self.repo: TaskRepository = TaskRepository(session, user.tenant_id)

    async def list_page(
        self, filters: TaskFilters, params: PageParams
    ) -> tuple[list[Task], str | None]:
        return await self.page(self.filtered(filters), params)

    def filtered(self, filters: TaskFilters) -> Select[Task]:
        """The visible tasks that match `filters`, in no particular order."""
        return self.repo.filtered(self.visible(), filters, utcnow())

    @overload
    async def most_urgent(
        self,
        filters: TaskFilters,
        *,
        pending: bool = ...,
        limit: int = ...,
        with_total: Literal[True] = ...,
    ) -> tuple[list[Task], int]: ...
    @overload
    async def most_urgent(
        self,
        filters: TaskFilters,
        *,
        pending: bool = ...,
        limit: int = ...,
        with_total: Literal[False],
    ) -> tuple[list[Task], None]: ...
    async def most_urgent(
        self,
        filters: TaskFilters,
        *,
        pending: bool = False,
        limit: int = 20,
        with_total: bool = True,
    ) -> tuple[list[Task], int | None]:
        """The first `limit` matching tasks by priority then due time, and how many match
        (None without `with_total`, which skips the count). `pending` keeps the tasks still
        to do: open, whether or not overdue."""
        stmt = self.filtered(filters)
        if pending:
            stmt = self.repo.pending(stmt)
        total = await self.repo.count(stmt) if with_total else None
        return await self.repo.most_urgent(stmt, limit), total

    async def find_pending(self, terms: list[str], limit: int = 50) -> list[Task]:
        """Tasks still to do whose title, or linked contact's name, contains any of `terms`."""
        return await self.repo.matching(self.repo.pending(self.visible()), terms, limit)

    async def open_counts(self, now: datetime, due_before: datetime) -> tuple[int, int, int]:
        """(open, overdue, due before `due_before`) among the visible open tasks, in one
        query; open counts the overdue ones too."""
        return await self.repo.open_counts(self.visible(), now, due_before)

    async def create(
        self, data: TaskCreate, *, source: TaskSource | None = None, created_by: User | None = None
    ) -> Task:
        """`created_by` defaults to the acting user; the AI passes None for itself via source."""
        await self._check_links(data.model_dump())
        task = self.repo.add(Task(**data.model_dump()))
        task.source = source or data.source
        task.created_by_id = (created_by or self.user).id
        return announce(self.session, await self._stored(task), "task.created")

    async def update(self, ident: uuid.UUID, data: TaskUpdate) -> Task:
        task = await self.get(ident)
        self._may_change(task, "change")
        changes = data.changes()
        await self._check_links(changes)
        new_status = changes.pop("status", None)
        apply_changes(task, changes)
        if new_status is not None:
            self._transition(task, new_status)
        return announce(self.session, await self._stored(task), "task.updated")

    async def complete(self, ident: uuid.UUID) -> Task:
        task = await self.get(ident)
        self._may_change(task, "complete")
        self._transition(task, TaskStatus.completed)
        return announce(self.session, await self._stored(task), "task.updated")

    async def cancel(self, ident: uuid.UUID) -> Task:
        task = await self.get(ident)
        self._may_change(task, "cancel")
        self._transition(task, TaskStatus.cancelled)
        return announce(self.session, await self._stored(task), "task.updated")

    @staticmethod
    def _transition(task: Task, to: TaskStatus) -> None:
        if task.status == to:
            return
        if to == TaskStatus.completed and task.status == TaskStatus.cancelled:
            raise Conflict(
                "a cancelled task cannot be completed; reopen it first", status=task.status
            )
        if to == TaskStatus.cancelled and task.status == TaskStatus.completed:
            raise Conflict(
                "a completed task cannot be cancelled; reopen it first", status=task.status
            )
        now = utcnow()
        task.status = to
        task.completed_at = now if to == TaskStatus.completed else None
        task.cancelled_at = now if to == TaskStatus.cancelled else None

    def _may_change(self, task: Task, action: str) -> None:
        """A task is changed (edited, handed on, completed, cancelled, reopened) by whoever
        it is for (its assignee; while unassigned, its role's queue, and anyone for the AI's
        queue, whose follow-ups people do), by whoever created it, and by managers; anyone
        else may read it but must ask."""
        if self.user.role in MANAGERS or task.created_by_id == self.user.id:
            return
        if task.assignee_id is None and task.assigned_role == AssignedRole.ai:
            return
        if not is_theirs(task, self.user):
            raise Forbidden(
                f"only the task's assignee, its creator or a manager may {action} it",
                task_id=str(task.id),
            )

    async def _check_links(self, fields: Mapping[str, Any]) -> None:
        for field, service in _LINKS:
            await self._require_visible(service, fields.get(field), field)
        assignee = fields.get("assignee_id")
        if assignee is not None:
            await self.users.require_role(assignee, "assignee_id")

    # --- Read interface for other domains ------------------------------------------------------

    async def best_open_fits(self, description: str) -> OpenTaskFit:
        """The open tasks a description like "Garcia follow-up" fits best: words matching the
        linked contact's name count most, generic words like "call" least. Several when they
        fit equally well; none when no open task matches, or when the description has no
        word that tells tasks apart (its `words` are empty then)."""
        found = re.findall(r"[a-z0-9]+", description.strip().lower())
        words = frozenset(w for w in found if len(w) >= 3) - IGNORED_TASK_WORDS
        if not words:
            return OpenTaskFit(words, [], {})
        candidates = await self.find_pending(sorted(words))
        if not candidates:
            return OpenTaskFit(words, [], {})
        records = CompanyRecords(self.session, self.user.tenant_id)
        contacts = await records.contacts_by_id(t.contact_id for t in candidates)
        names = {ident: contact.display_name for ident, contact in contacts.items()}

        def score(task: Task) -> float:
            title = task.title.lower()
            name = names.get(task.contact_id, "").lower() if task.contact_id else ""
            total = 0.0
            for word in words:
                if word in name:
                    total += 2
                elif word in title:
                    total += 0.5 if word in GENERIC_TASK_WORDS else 1
            return total

        ranked = sorted(candidates, key=score, reverse=True)
        best = score(ranked[0])
        return OpenTaskFit(words, [task for task in ranked if score(task) == best], names)


def announce(session: AsyncSession, task: Task, kind: str) -> Task:
    """Staff screens hear of the change once the transaction commits."""
    data = TaskRead.model_validate(task).model_dump(mode="json")
    emit(session, Event(kind, task.tenant_id, {"task": data}))
    return task


async def create_system_task(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    data: TaskCreate,
    source: TaskSource = TaskSource.system,
    *,
    origin_key: str | None = None,
) -> Task:
    """A task raised by the system itself (a voicemail to call back, an unanswered text, a
    call analysis' next step): no acting user, links checked against the tenant, announced
    like any other task. `origin_key` names what it keeps in step with (Task.origin_key)."""
    fields = data.model_dump()
    await require_links(session, tenant_id, fields)  # each the tenant's, else 422
    tasks = TaskRepository(session, tenant_id)
    task = tasks.add(Task(**fields))
    task.source = source
    task.origin_key = origin_key
    if origin_key is not None:
        task.system_fields = as_written(fields)
    await session.flush()
    return announce(session, await tasks.fresh(task.id), "task.created")


async def keep_system_task_in_step(
    session: AsyncSession, task: Task, fields: dict[str, Any]
) -> None:
    """Bring an open task the system keeps in step with its source (`origin_key`) up to
    `fields`, except where a person changed a field since the system last wrote it: theirs
    stands. Announced when anything changed."""
    before = task.system_fields
    changed = False
    for name, value in fields.items():
        current = getattr(task, name)
        if current == value:
            continue
        was = as_written({name: current})[name]
        if before is not None and was != before.get(name, was):
            continue  # a person's edit
        setattr(task, name, value)
        changed = True
    task.system_fields = as_written(fields)  # an equal value is no change to SQLAlchemy
    if changed:
        await session.flush()
        announce(
            session, await TaskRepository(session, task.tenant_id).fresh(task.id), "task.updated"
        )


def as_written(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Fields as `Task.system_fields` keeps them: JSON, with each time in UTC, so the same
    instant reads the same whichever zone it was written in."""
    return to_jsonable_python(
        {
            name: value.astimezone(UTC) if isinstance(value, datetime) else value
            for name, value in fields.items()
        }
    )


# --- read interface for other domains -------------------------------------------------------


async def task_by_origin(session: AsyncSession, tenant_id: uuid.UUID, key: str) -> Task | None:
    """The tenant's task kept in step with `key` (Task.origin_key), read fresh and locked
    where the database can, so two writers of it take turns."""
    return await TaskRepository(session, tenant_id).by_origin(key)


async def has_system_task_for_call(
    session: AsyncSession, tenant_id: uuid.UUID, call_id: uuid.UUID
) -> bool:
    """Whether the system itself already raised a task for the call (a voicemail's call-back)."""
    return await TaskRepository(session, tenant_id).has_system_task_for_call(call_id)


# Words that say what kind of task it is rather than which one: they count least in a fit.
GENERIC_TASK_WORDS = frozenset(
    {"follow", "followup", "call", "callback", "back", "text", "email", "send", "check"}
    | {"remind", "reminder", "todo", "visit", "quote", "estimate"}
)
# Words that never tell tasks apart.
IGNORED_TASK_WORDS = frozenset(
    {"the", "and", "for", "with", "about", "this", "that", "task", "tasks", "please", "from"}
    | {"mark", "done", "complete", "completed", "finish", "finished", "close", "our"}
)


@dataclass(frozen=True)
class OpenTaskFit:
    """What `TaskService.best_open_fits` found: the description's telling words, the open
    tasks that fit them best, and the names of the contacts those tasks link to."""

    words: frozenset[str]
    tasks: list[Task]
    contact_names: dict[uuid.UUID, str]


async def find_open_task(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    contact_id: uuid.UUID,
    source: TaskSource,
    title: str,
    appointment_id: uuid.UUID | None = None,
) -> Task | None:
    """The open task from `source` on the contact with this title and appointment (or
    none): what a system that raises tasks checks first, so as not to raise one twice."""
    return await open_task_like(
        session,
        tenant_id,
        contact_id=contact_id,
        source=source,
        title=title,
        appointment_id=appointment_id,
    )
