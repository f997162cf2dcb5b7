"""The customer auto-responder's tools. Each is pinned to the one contact the conversation is
with (`ToolContext.contact_id`, no staff user): it reads only that contact's records, shows
nothing internal (notes, lead values), and acts for the company, never for a staff member.

`hand_to_human` does not pause the AI. Pausing is what a person does when they take the
conversation over (`MessagingSession.ai_paused`); set by the AI with nobody on it yet, it
would leave the customer unanswered. Instead it opens (or reuses) a high-priority CSR task
on the contact, which is the durable "needs a human" mark the inbox and dashboards can
query, and raises a `session.needs_human` event so open screens flag the conversation."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from switchboard.ai.model import ToolSpec
from switchboard.ai.toolbox import Tool, Toolbox, ToolContext, ToolError, tool_schema
from switchboard.crm.models import Appointment, AppointmentStatus
from switchboard.crm.service import CompanyRecords
from switchboard.dashboards.aggregates import OPEN_LEAD_STATUSES
from switchboard.kit import limits
from switchboard.kit.clock import utcnow
from switchboard.kit.events import Event, emit
from switchboard.kit.schemas import Schema, Str
from switchboard.tasks.models import AssignedRole, Task, TaskPriority, TaskSource
from switchboard.tasks.schemas import TaskCreate
from switchboard.tasks.service import create_system_task, find_open_task
from switchboard.tenancy.service import names_of

ACTIVE_APPOINTMENT = frozenset({AppointmentStatus.scheduled, AppointmentStatus.confirmed})
HANDOFF_TASK_TITLE = "Customer needs a reply from the team"
# How soon an auto-reply task falls overdue: a customer is waiting on the other end.
DUE_AFTER = {
    TaskPriority.high: timedelta(minutes=15),
    TaskPriority.medium: timedelta(hours=2),
    TaskPriority.low: timedelta(days=1),
}


# --- time, in the company's zone ------------------------------------------------------------


def format_day(moment: datetime) -> str:
    """`Tuesday, Nov 24` (the moment already in the zone it is shown in)."""
    return f"{moment:%A}, {moment:%b} {moment.day}"


def format_time(moment: datetime) -> str:
    """`2:00 PM`."""
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"


def format_when(moment: datetime, zone: ZoneInfo) -> str:
    """`Tuesday, Nov 24 at 2:00 PM`, in the company's time zone."""
    local = moment.astimezone(zone)
    return f"{format_day(local)} at {format_time(local)}"


# --- tools ----------------------------------------------------------------------------------


def _contact_id(ctx: ToolContext) -> uuid.UUID:
    if ctx.contact_id is None:
        raise ToolError("this conversation is not linked to a customer record")
    return ctx.contact_id


async def upcoming_appointments(ctx: ToolContext, contact_id: uuid.UUID) -> list[Appointment]:
    """The contact's appointments that have not ended yet, soonest first."""
    records = CompanyRecords(ctx.session, ctx.tenant.id)
    return await records.upcoming_appointments(contact_id, utcnow(), limit=5)


async def _rep_names(ctx: ToolContext, appointments: list[Appointment]) -> dict[uuid.UUID, str]:
    rep_ids = {a.rep_id for a in appointments if a.rep_id is not None}
    return await names_of(ctx.session, ctx.tenant.id, rep_ids)


async def get_upcoming_appointments(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    contact_id = _contact_id(ctx)
    zone = ctx.tenant.zone
    appointments = await upcoming_appointments(ctx, contact_id)
    reps = await _rep_names(ctx, appointments)
    today = utcnow().astimezone(zone).date()
    return {
        "timezone": zone.key,
        "today": format_day(utcnow().astimezone(zone)),
        "appointments": [
            {
                "id": str(a.id),
                "title": a.title,
                "status": a.status,
                "active": a.status in ACTIVE_APPOINTMENT,
                "when": format_when(a.starts_at, zone),
                "day": format_day(a.starts_at.astimezone(zone)),
                "time": format_time(a.starts_at.astimezone(zone)),
                "is_today": a.starts_at.astimezone(zone).date() == today,
                "is_tomorrow": (a.starts_at.astimezone(zone).date() - today).days == 1,
                "starts_at": a.starts_at.astimezone(zone).isoformat(),
                "ends_at": a.ends_at.astimezone(zone).isoformat(),
                "rep_name": reps.get(a.rep_id) if a.rep_id else None,
                "address": a.address,
            }
            for a in appointments
        ],
    }


async def get_contact(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    records = CompanyRecords(ctx.session, ctx.tenant.id)
    contact = await records.contact(_contact_id(ctx))
    open_leads = await records.leads_of_contact(contact.id, OPEN_LEAD_STATUSES)
    return {
        "company_name": ctx.tenant.name,
        "name": contact.display_name,
        "first_name": contact.first_name,
        "address": contact.address,
        "email": contact.email,
        "open_requests": [{"service": lead.service, "status": lead.status} for lead in open_leads],
    }


async def _appointment_of_contact(
    ctx: ToolContext, contact_id: uuid.UUID, appointment_id: uuid.UUID | None
) -> Appointment | None:
    if appointment_id is None:
        return None
    appointment = await CompanyRecords(ctx.session, ctx.tenant.id).appointment(appointment_id)
    if appointment is None or appointment.contact_id != contact_id:
        raise ToolError("that appointment is not one of this customer's")
    return appointment


async def _open_task_like(
    ctx: ToolContext, contact_id: uuid.UUID, title: str, appointment: Appointment | None
) -> Task | None:
    """An open auto-reply task on this contact with this title (and appointment): a customer
    who texts the same thing three times should not give the team three tasks."""
    return await find_open_task(
        ctx.session,
        ctx.tenant.id,
        contact_id=contact_id,
        source=TaskSource.auto_reply,
        title=title,
        appointment_id=appointment.id if appointment is not None else None,
    )


async def open_task(
    ctx: ToolContext,
    *,
    title: str,
    description: str | None,
    priority: TaskPriority,
    appointment: Appointment | None = None,
    assigned_role: AssignedRole = AssignedRole.csr,
) -> tuple[Task, bool]:
    """(task, created): a new auto-reply task on the contact, or the open one already there."""
    contact_id = _contact_id(ctx)
    existing = await _open_task_like(ctx, contact_id, title.strip(), appointment)
    if existing is not None:
        return existing, False
    assignee = appointment.rep_id if appointment and assigned_role == AssignedRole.rep else None
    data = TaskCreate(
        title=title,
        description=description,
        priority=priority,
        due_at=utcnow() + DUE_AFTER[priority],
        assigned_role=assigned_role,
        assignee_id=assignee,
        source=TaskSource.auto_reply,
        contact_id=contact_id,
        appointment_id=appointment.id if appointment else None,
    )
    return await create_system_task(ctx.session, ctx.tenant.id, data, TaskSource.auto_reply), True


def _task_result(task: Task, created: bool, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "task_id": str(task.id),
        "title": task.title,
        "priority": task.priority,
        "assigned_role": task.assigned_role,
        "due": format_when(task.due_at, zone) if task.due_at else None,
        "already_open": not created,
    }


class CreateTaskArgs(Schema):
    title: Str = Field(min_length=1, max_length=limits.TITLE)
    description: Str | None = Field(None, max_length=limits.NOTES)
    priority: TaskPriority = TaskPriority.medium
    appointment_id: uuid.UUID | None = Field(None, description="one of theirs")
    assigned_role: Literal[AssignedRole.csr, AssignedRole.rep] = AssignedRole.csr


class HandToHumanArgs(Schema):
    reason: Str = Field("The customer needs a person to answer.", max_length=2000)
    summary: Str | None = Field(None, max_length=5000, description="what the customer needs")


async def create_task(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    request = CreateTaskArgs.model_validate(args)
    contact_id = _contact_id(ctx)
    appointment = await _appointment_of_contact(ctx, contact_id, request.appointment_id)
    task, created = await open_task(
        ctx,
        title=request.title,
        description=request.description,
        priority=request.priority,
        appointment=appointment,
        assigned_role=request.assigned_role,
    )
    return _task_result(task, created, ctx.tenant.zone)


async def hand_off(ctx: ToolContext, reason: str, details: str | None = None) -> tuple[Task, bool]:
    """(task, created): the team answers instead. Opens (or reuses) the urgent hand-off task
    and flags the conversation (`ctx.extras["session_id"]`) on open screens."""
    contact_id = _contact_id(ctx)
    description = f"{reason}\n\n{details}" if details else reason
    task, created = await open_task(
        ctx, title=HANDOFF_TASK_TITLE, description=description, priority=TaskPriority.high
    )
    session_id = ctx.extras.get("session_id")
    emit(
        ctx.session,
        Event(
            "session.needs_human",
            ctx.tenant.id,
            {
                "session_id": str(session_id) if session_id else None,
                "contact_id": str(contact_id),
                "task_id": str(task.id),
                "reason": reason,
            },
        ),
    )
    return task, created


async def hand_to_human(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    request = HandToHumanArgs.model_validate(args)
    details = f"Customer: {request.summary}" if request.summary else None
    task, created = await hand_off(ctx, request.reason, details)
    return {"handed_off": True, **_task_result(task, created, ctx.tenant.zone)}


CUSTOMER_TOOLS = [
    Tool(
        ToolSpec(
            "get_upcoming_appointments",
            "The customer's appointments that have not ended yet, soonest first: title, "
            "status, day and time in the company's time zone, whether it is today, the "
            "rep's name and the address. The only source for appointment details.",
            {"type": "object", "properties": {}, "additionalProperties": False},
        ),
        get_upcoming_appointments,
    ),
    Tool(
        ToolSpec(
            "get_contact",
            "The customer's name, address, email and open service requests, and the "
            "company's name.",
            {"type": "object", "properties": {}, "additionalProperties": False},
        ),
        get_contact,
    ),
    Tool(
        ToolSpec(
            "create_task",
            "Ask the team to follow up: opens a task for a CSR (or the appointment's rep) on "
            "this customer, e.g. to reschedule, cancel, book, or answer a pricing question. "
            "Use high priority for anything about an appointment in the next day.",
            tool_schema(CreateTaskArgs),
        ),
        create_task,
        writes=True,
    ),
    Tool(
        ToolSpec(
            "hand_to_human",
            "Hand the conversation to a person when you cannot answer from the tools: opens "
            "an urgent CSR task and flags the conversation for staff.",
            tool_schema(HandToHumanArgs),
        ),
        hand_to_human,
        writes=True,
    ),
]


def customer_toolbox() -> Toolbox:
    return Toolbox(CUSTOMER_TOOLS)
