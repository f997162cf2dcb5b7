"""The task list: filters, keyset pages, and creating, editing, completing and cancelling
a task, each through TaskService (the same rules as the JSON API)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Query, Request, Response
from pydantic import ValidationError

from switchboard.dashboards.timeframe import named_span
from switchboard.kit.clock import utcnow
from switchboard.kit.deps import Session
from switchboard.kit.errors import InvalidField
from switchboard.kit.pagination import PageParams
from switchboard.kit.schemas import Str
from switchboard.tasks.models import AssignedRole, Task, TaskMaker, TaskPriority, TaskStatus
from switchboard.tasks.schemas import TaskCreate, TaskUpdate
from switchboard.tasks.service import TaskFilters, TaskService, role_queue
from switchboard.tenancy.models import User
from switchboard.tenancy.service import staff_names, team
from switchboard.web.auth import WebUser
from switchboard.web.pages.common import back_to, page_router
from switchboard.web.shell import is_htmx, render, shell_of

router = page_router()
PAGE = 50
SCOPES = (("all", "Everything I can see"), ("mine", "Mine"), ("queue", "My role's queue"))
STATUSES = (
    ("todo", "To do"),
    ("overdue", "Overdue"),
    ("completed", "Completed"),
    ("cancelled", "Cancelled"),
    ("any", "Any status"),
)
DUE = (("", "Any time"), ("today", "Due today"), ("this week", "Due this week"))
MAKERS = (("", "Anyone"), ("person", "A person"), ("ai", "The AI or the system"))
ROLE_QUEUES = (
    (AssignedRole.csr, "CSR queue"),
    (AssignedRole.rep, "Sales rep queue"),
    (AssignedRole.manager, "Managers"),
    (AssignedRole.ai, "The AI"),
)
LINKS = ("contact_id", "lead_id", "appointment_id", "call_id")


def _pick(value: str | None, choices: tuple[tuple[str, str], ...], default: str) -> str:
    return value if value in {key for key, _ in choices} else default


@dataclass(frozen=True)
class TaskQuery:
    """The list's filters as the URL carries them; an unknown value means the default."""

    scope: str = "all"
    status: str = "todo"
    priority: str = ""
    due: str = ""
    made_by: str = ""

    @classmethod
    def parse(cls, **raw: str | None) -> TaskQuery:
        return cls(
            scope=_pick(raw.get("scope"), SCOPES, "all"),
            status=_pick(raw.get("status"), STATUSES, "todo"),
            priority=_pick(
                raw.get("priority"), tuple((p.value, p.value) for p in TaskPriority), ""
            ),
            due=_pick(raw.get("due"), DUE, ""),
            made_by=_pick(raw.get("made_by"), MAKERS, ""),
        )

    def filters(self, user: User, zone: ZoneInfo) -> TaskFilters:
        filters = TaskFilters(
            priority=TaskPriority(self.priority) if self.priority else None,
            made_by=TaskMaker(self.made_by) if self.made_by else None,
        )
        if self.scope == "mine":
            filters.assignee_id = user.id
        elif self.scope == "queue":
            filters.assigned_role, filters.unassigned = role_queue(user), True
        if self.status == "todo":
            filters.pending = True
        elif self.status != "any":
            filters.status = TaskStatus(self.status)
        if self.due:
            span = named_span(self.due, utcnow(), zone)
            filters.due_after, filters.due_before = span.start, span.end
        return filters

    def query_string(self, **overrides: str) -> str:
        values = {**self.__dict__, **overrides}
        return urlencode({key: value for key, value in values.items() if value})


QueryText = Annotated[Str | None, Query(max_length=40)]


@dataclass
class TaskForm:
    """A create or edit form as typed, and what was wrong with it, field by field."""

    values: dict[str, str]
    errors: dict[str, str]

    @classmethod
    def blank(cls, **values: str) -> TaskForm:
        return cls({"priority": "medium", "assignee": "role:csr", **values}, {})

    @classmethod
    def of(cls, task: Task, zone: ZoneInfo) -> TaskForm:
        due = task.due_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if task.due_at else ""
        assignee = f"user:{task.assignee_id}" if task.assignee_id else f"role:{task.assigned_role}"
        values = {
            "title": task.title,
            "description": task.description or "",
            "priority": task.priority,
            "due": due,
            "assignee": assignee,
            **{link: str(getattr(task, link) or "") for link in LINKS},
        }
        return cls(values, {})

    def payload(self, zone: ZoneInfo, staff: dict[uuid.UUID, User]) -> dict[str, Any]:
        """The fields as the task schemas take them: the due time read in the company's
        zone, the assignee as a person (with their role's queue) or a queue."""
        data: dict[str, Any] = {
            "title": self.values.get("title", "").strip(),
            "description": self.values.get("description", "").strip() or None,
            "priority": self.values.get("priority") or "medium",
        }
        due = self.values.get("due", "").strip()
        if due:
            try:
                data["due_at"] = datetime.fromisoformat(due).replace(tzinfo=zone)
            except ValueError:
                self.errors["due"] = "Enter the due date and time, like 2026-12-02 17:00"
        else:
            data["due_at"] = None
        kind, _, ident = self.values.get("assignee", "").partition(":")
        if kind == "user":
            member = staff.get(_uuid(ident) or uuid.uuid4())
            if member is None:
                self.errors["assignee"] = "Choose someone on the team"
            else:
                data["assignee_id"], data["assigned_role"] = member.id, role_queue(member)
        elif kind == "role" and ident in AssignedRole.__members__:
            data["assignee_id"], data["assigned_role"] = None, AssignedRole(ident)
        else:
            self.errors["assignee"] = "Choose who the task is for"
        for link in LINKS:
            value = self.values.get(link, "")
            data[link] = _uuid(value) if value else None
        return data

    def add_errors(self, exc: ValidationError | InvalidField) -> None:
        fields = {"due_at": "due", "assignee_id": "assignee", "assigned_role": "assignee"}
        if isinstance(exc, InvalidField):
            self.errors[fields.get(exc.field, exc.field)] = exc.message
            return
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "title"
            self.errors.setdefault(
                fields.get(field, field), error["msg"].removeprefix("Value error, ")
            )


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def _list_context(
    session: Session, user: User, query: TaskQuery, zone: ZoneInfo, cursor: str | None
) -> dict[str, Any]:
    tasks, next_cursor = await TaskService(session, user).list_page(
        query.filters(user, zone), PageParams(limit=PAGE, cursor=cursor)
    )
    return {
        "tasks": tasks,
        "next_cursor": next_cursor,
        "query": query,
        "names": await staff_names(session, user),
        "choices": {"scope": SCOPES, "status": STATUSES, "due": DUE, "made_by": MAKERS},
        "priorities": list(TaskPriority),
    }


async def _form_context(
    session: Session, user: User, form: TaskForm, task: Task | None
) -> dict[str, Any]:
    return {
        "form": form,
        "task": task,
        "team": await team(session, user),
        "role_queues": ROLE_QUEUES,
        "priorities": list(TaskPriority),
    }


@router.get("/tasks")
async def tasks_page(
    request: Request,
    user: WebUser,
    session: Session,
    scope: QueryText = None,
    status: QueryText = None,
    priority: QueryText = None,
    due: QueryText = None,
    made_by: QueryText = None,
    cursor: Annotated[Str | None, Query(max_length=500)] = None,
) -> Response:
    shell = await shell_of(session, user)
    query = TaskQuery.parse(scope=scope, status=status, priority=priority, due=due, made_by=made_by)
    context = await _list_context(session, user, query, shell.zone, cursor)
    if is_htmx(request) and cursor:
        return render(request, "tasks.html", context, shell=shell, block="task_rows")
    if is_htmx(request) and request.headers.get("HX-Target") == "task-list":
        return render(request, "tasks.html", context, shell=shell, block="task_list")
    context["form_open"] = False
    return render(request, "tasks.html", context, shell=shell)


@router.get("/tasks/new")
async def new_task(
    request: Request,
    user: WebUser,
    session: Session,
    contact_id: uuid.UUID | None = None,
    lead_id: uuid.UUID | None = None,
    appointment_id: uuid.UUID | None = None,
    call_id: uuid.UUID | None = None,
) -> Response:
    links = {
        "contact_id": contact_id,
        "lead_id": lead_id,
        "appointment_id": appointment_id,
        "call_id": call_id,
    }
    form = TaskForm.blank(
        assignee=f"role:{role_queue(user)}",
        **{key: str(value) for key, value in links.items() if value},
    )
    return await _form(request, session, user, form, None)


async def _form(
    request: Request,
    session: Session,
    user: User,
    form: TaskForm,
    task: Task | None,
    status_code: int = 200,
) -> Response:
    """The task form: alone for htmx, else on the task list page (a browser without script)."""
    shell = await shell_of(session, user)
    context = await _form_context(session, user, form, task)
    if is_htmx(request):
        return render(
            request, "tasks.html", context, shell=shell, block="task_form", status_code=status_code
        )
    context.update(
        await _list_context(session, user, TaskQuery(), shell.zone, None), form_open=True
    )
    return render(request, "tasks.html", context, shell=shell, status_code=status_code)


async def _submitted(request: Request) -> TaskForm:
    form = await request.form()
    fields = ("title", "description", "priority", "due", "assignee", *LINKS)
    return TaskForm({name: str(form.get(name) or "")[:20_000] for name in fields}, {})


@router.post("/tasks")
async def create_task(request: Request, user: WebUser, session: Session) -> Response:
    shell = await shell_of(session, user)
    form = await _submitted(request)
    staff = {member.id: member for member in await team(session, user)}
    try:
        data = TaskCreate.model_validate(form.payload(shell.zone, staff))
        if form.errors:
            return await _form(request, session, user, form, None, 422)
        task = await TaskService(session, user).create(data)
    except (ValidationError, InvalidField) as exc:
        form.add_errors(exc)
        return await _form(request, session, user, form, None, 422)
    if not is_htmx(request):
        return back_to(request, "/tasks")
    context = {"created": task}
    return render(
        request, "tasks.html", context, shell=shell, block="task_created", headers=_changed()
    )


def _changed() -> dict[str, str]:
    return {"HX-Trigger": "sb:tasks-changed"}


@router.get("/tasks/{task_id}/edit")
async def edit_task(
    request: Request, task_id: uuid.UUID, user: WebUser, session: Session
) -> Response:
    shell = await shell_of(session, user)
    task = await TaskService(session, user).get(task_id)
    return await _form(request, session, user, TaskForm.of(task, shell.zone), task)


@router.post("/tasks/{task_id}")
async def update_task(
    request: Request, task_id: uuid.UUID, user: WebUser, session: Session
) -> Response:
    shell = await shell_of(session, user)
    tasks = TaskService(session, user)
    task = await tasks.get(task_id)
    form = await _submitted(request)
    staff = {member.id: member for member in await team(session, user)}
    try:
        data = TaskUpdate.model_validate(form.payload(shell.zone, staff))
        if form.errors:
            return await _form(request, session, user, form, task, 422)
        updated = await tasks.update(task_id, data)
    except (ValidationError, InvalidField) as exc:
        form.add_errors(exc)
        return await _form(request, session, user, form, task, 422)
    return await _row(request, session, user, updated)


async def _row(request: Request, session: Session, user: User, task: Task) -> Response:
    if not is_htmx(request):
        return back_to(request, "/tasks")
    shell = await shell_of(session, user)
    if request.headers.get("HX-Target", "").startswith("panel-task-"):
        # The contact panel beside a conversation shows tasks its own way.
        context: dict[str, Any] = {"task": task}
        return render(request, "inbox/_panel_task.html", context, shell=shell)
    # The row shows the change where the person made it; the list is not redrawn.
    context = {"task": task, "names": await staff_names(session, user)}
    return render(request, "tasks.html", context, shell=shell, block="task_row")


@router.post("/tasks/{task_id}/complete")
async def complete_task(
    request: Request, task_id: uuid.UUID, user: WebUser, session: Session
) -> Response:
    return await _row(request, session, user, await TaskService(session, user).complete(task_id))


@router.post("/tasks/{task_id}/cancel")
async def cancel_task(
    request: Request, task_id: uuid.UUID, user: WebUser, session: Session
) -> Response:
    return await _row(request, session, user, await TaskService(session, user).cancel(task_id))
