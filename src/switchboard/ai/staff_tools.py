"""The staff assistant's tools (also served over MCP): tasks, contacts, appointments, the
daily digest, the follow-up queue and texting a customer. Each tool validates its arguments
with a Pydantic model whose JSON schema is the one the model sees, and acts through the
domain services as the signed-in user, so a rep's assistant sees only that rep's work."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.ai.model import ToolSpec
from switchboard.ai.toolbox import Tool, Toolbox, ToolContext, ToolError, tool_schema
from switchboard.crm.models import Appointment, AppointmentStatus, Call, ContactCard, Lead
from switchboard.crm.service import (
    AppointmentFilters,
    AppointmentService,
    CallFilters,
    CallService,
    ContactFilters,
    ContactService,
    LeadFilters,
    LeadService,
)
from switchboard.dashboards.digest import (
    build_digest,
    contact_ref,
    follow_up_queue,
    preview,
    primary_phone,
    scope_label,
    waiting_item,
)
from switchboard.dashboards.service import DashboardLookups
from switchboard.dashboards.timeframe import (
    local_iso,
    named_span,
    parse_moment,
    today_span,
)
from switchboard.kit import limits
from switchboard.kit.clock import utcnow
from switchboard.kit.errors import OptedOut
from switchboard.kit.fuzzy import best_match
from switchboard.kit.pagination import PageParams
from switchboard.kit.phone import try_normalize_phone
from switchboard.kit.schemas import Str
from switchboard.messaging.models import Message
from switchboard.messaging.outbound import send_staff_message
from switchboard.tasks.models import AssignedRole, Task, TaskPriority, TaskSource, TaskStatus
from switchboard.tasks.schemas import TaskCreate, TaskUpdate
from switchboard.tasks.service import TaskFilters, TaskService, role_queue
from switchboard.tenancy.models import User
from switchboard.tenancy.service import active_staff, get_tenant

MAX_CANDIDATES = 8


@dataclass
class StaffCall:
    """One tool call as the signed-in staff user, with the tenant's clock and zone."""

    session: AsyncSession
    user: User
    zone: ZoneInfo
    now: datetime
    digest: dict[str, Any] | None = None  # the turn's digest, while still current
    hours: dict[str, Any] | None = None  # the company's business hours, where due days close

    def contacts(self) -> ContactService:
        return ContactService(self.session, self.user)

    def tasks(self) -> TaskService:
        return TaskService(self.session, self.user)

    def lookups(self) -> DashboardLookups:
        return DashboardLookups(self.session, self.user)


# --- schemas --------------------------------------------------------------------------------


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


A = TypeVar("A", bound=Args)
Run = Callable[[StaffCall, A], Awaitable[dict[str, Any]]]


def staff_tool(
    name: str, description: str, args: type[A], run: Run[A], *, writes: bool = False
) -> Tool:
    async def handler(ctx: ToolContext, arguments: dict[str, Any]) -> dict[str, Any]:
        if ctx.user is None:
            raise ToolError("staff tools act for a signed-in staff user")
        call = StaffCall(
            ctx.session, ctx.user, ctx.tenant.zone, utcnow(), ctx.digest, ctx.tenant.business_hours
        )
        return await run(call, args.model_validate(arguments))

    return Tool(ToolSpec(name, description, tool_schema(args)), handler, writes=writes)


# --- shared shapes and lookups --------------------------------------------------------------


def contact_card(contact: ContactCard) -> dict[str, Any]:
    card: dict[str, Any] = {
        "id": str(contact.id),
        "name": contact.display_name,
        "phone": primary_phone(contact),
    }
    others = [p.number for p in contact.phones if p.number != card["phone"]]
    optional = {
        "other_phones": others,
        "company": contact.company,
        "email": contact.email,
        "address": contact.address,
        "tags": contact.tags,
    }
    card.update({key: value for key, value in optional.items() if value})
    return card


async def task_briefs(call: StaffCall, tasks: Sequence[Task]) -> list[dict[str, Any]]:
    lookups = call.lookups()
    contacts = await lookups.contacts_by_id(t.contact_id for t in tasks)
    users = await lookups.users_by_id(t.assignee_id for t in tasks)
    briefs = []
    for task in tasks:
        brief: dict[str, Any] = {
            "id": str(task.id),
            "title": task.title,
            "status": task.effective_status,
            "priority": task.priority,
            "due": local_iso(task.due_at, call.zone),
            "assigned_role": task.assigned_role,
            "assignee": users[task.assignee_id].name if task.assignee_id in users else None,
        }
        if task.contact_id:
            brief["contact"] = contact_ref(contacts, task.contact_id)
        if task.description:
            brief["description"] = preview(task.description, 160)
        if task.completed_at:
            brief["completed_at"] = local_iso(task.completed_at, call.zone)
        briefs.append(brief)
    return briefs


async def task_brief(call: StaffCall, task: Task) -> dict[str, Any]:
    return (await task_briefs(call, [task]))[0]


def _candidates(lines: Sequence[str]) -> str:
    shown = "; ".join(lines[:MAX_CANDIDATES])
    more = len(lines) - MAX_CANDIDATES
    return shown + (f"; and {more} more" if more > 0 else "")


async def resolve_contact(
    call: StaffCall, contact: str | None, contact_id: uuid.UUID | None
) -> ContactCard:
    """The one contact meant by an id, a name or a phone number, within the user's scope;
    several matches are a ToolError listing them so the model can ask which one."""
    service = call.contacts()
    if contact_id is not None:
        return await service.get(contact_id)
    text = (contact or "").strip()
    if not text:
        raise ToolError("say which contact: a name, a phone number or a contact_id")
    phone = try_normalize_phone(text) if sum(ch.isdigit() for ch in text) >= 7 else None
    query = "".join(ch for ch in phone if ch.isdigit()) if phone else text
    found, more = await service.list_page(
        ContactFilters(q=query), PageParams(limit=MAX_CANDIDATES + 1)
    )
    if not found:
        raise ToolError(
            f"no contact matches {text!r}; try search_contacts with part of the name or number"
        )
    if len(found) == 1:
        return found[0]
    exact = [c for c in found if c.display_name.lower() == text.lower()]
    if len(exact) == 1:
        return exact[0]
    lines = [
        f"{c.display_name} ({primary_phone(c) or 'no phone'}, contact_id {c.id})" for c in found
    ]
    if more:
        lines.append("more")
    raise ToolError(
        f"{text!r} matches several contacts: {_candidates(lines)}. "
        "Ask the user which one they mean, then call again with its contact_id."
    )


_ROLE_WORDS = {
    "csr": AssignedRole.csr,
    "csrs": AssignedRole.csr,
    "customer service": AssignedRole.csr,
    "rep": AssignedRole.rep,
    "reps": AssignedRole.rep,
    "sales rep": AssignedRole.rep,
    "sales reps": AssignedRole.rep,
    "manager": AssignedRole.manager,
    "managers": AssignedRole.manager,
    "ai": AssignedRole.ai,
    "assistant": AssignedRole.ai,
}
_ME = {"me", "myself", "i", "self"}


async def resolve_assignee(call: StaffCall, text: str) -> tuple[User | None, AssignedRole | None]:
    """A person (by name, email or "me") or a role queue ("csr", "reps"...)."""
    key = " ".join(text.lower().split())
    if key in _ME:
        return call.user, role_queue(call.user)
    if key in _ROLE_WORDS:
        return None, _ROLE_WORDS[key]
    staff = await active_staff(call.session, call.user.tenant_id)
    by_email = [u for u in staff if u.email.lower() == key]
    if by_email:
        return by_email[0], role_queue(by_email[0])
    words = key.split()
    matches = [u for u in staff if all(word in u.name.lower() for word in words)]
    if not matches:
        # A misspelt name ("Marcs") still finds its one closest match among the staff.
        close = best_match(key, {str(u.id): u.name for u in staff}, cutoff=85)
        matches = [u for u in staff if str(u.id) in close]
    exact = [u for u in matches if u.name.lower() == key]
    if len(matches) == 1 or len(exact) == 1:
        chosen = exact[0] if len(exact) == 1 else matches[0]
        return chosen, role_queue(chosen)
    if not matches:
        names = [f"{u.name} ({u.role})" for u in staff]
        raise ToolError(f"no active staff member matches {text!r}; staff: {_candidates(names)}")
    lines = [f"{u.name} ({u.role}, {u.email})" for u in matches]
    raise ToolError(f"{text!r} matches several staff members: {_candidates(lines)}")


def parse_due(call: StaffCall, text: str) -> datetime:
    moment = parse_moment(text, call.now, call.zone, call.hours)
    if moment is None:
        raise ToolError(
            f"could not understand the due time {text!r}; say e.g. 'tomorrow at 5pm', "
            "'in 2 days', 'friday 9am' or an ISO time like 2026-11-25T17:00"
        )
    return moment


async def resolve_task(call: StaffCall, task_id: uuid.UUID | None, description: str | None) -> Task:
    """A task by id, or the one open task a description like "Garcia follow-up" fits best
    (`TaskService.best_open_fits` says how a description fits)."""
    service = call.tasks()
    if task_id is not None:
        return await service.get(task_id)
    text = (description or "").strip()
    fit = await service.best_open_fits(text)
    if not fit.words:
        raise ToolError("say which task: its task_id or words from its title or contact name")
    if not fit.tasks:
        raise ToolError(
            f"no open task matches {text!r}; use list_tasks to find it and pass its task_id"
        )
    if len(fit.tasks) == 1:
        return fit.tasks[0]
    lines = []
    for task in fit.tasks:
        name = fit.contact_names.get(task.contact_id) if task.contact_id else None
        who = f", {name}" if name else ""
        due = local_iso(task.due_at, call.zone)
        lines.append(f"{task.title!r}{who}{f', due {due}' if due else ''} (task_id {task.id})")
    raise ToolError(
        f"{text!r} fits several open tasks: {_candidates(lines)}. "
        "Ask the user which one, then call again with its task_id."
    )


# --- tasks ----------------------------------------------------------------------------------

TaskListStatus = Literal["pending", "open", "overdue", "completed", "cancelled", "all"]
DueWindow = Literal["today", "tomorrow", "this_week", "next_7_days"]


class ListTasksArgs(Args):
    status: TaskListStatus = Field(
        "pending",
        description=(
            "pending = still to do (open, overdue included); open = to do and not yet due; "
            "overdue = open and past due; completed; cancelled; all."
        ),
    )
    priority: TaskPriority | None = Field(None, description="Only tasks of this priority.")
    assigned_to_me: bool = Field(False, description="Only tasks assigned to the user.")
    assigned_role: AssignedRole | None = Field(
        None, description="Only tasks for this role's queue (csr, rep, manager or ai)."
    )
    due: DueWindow | None = Field(
        None, description="Only tasks due in this window of the company's local time."
    )
    contact_id: uuid.UUID | None = Field(None, description="Only tasks linked to this contact.")
    limit: int = Field(20, ge=1, le=50, description="How many tasks to return at most.")


async def list_tasks(call: StaffCall, args: ListTasksArgs) -> dict[str, Any]:
    filters = TaskFilters(
        priority=args.priority,
        assigned_role=args.assigned_role,
        assignee_id=call.user.id if args.assigned_to_me else None,
        contact_id=args.contact_id,
    )
    if args.status not in ("pending", "all"):
        filters.status = TaskStatus(args.status)
    if args.due is not None:
        span = named_span(args.due.replace("_", " "), call.now, call.zone)
        filters.due_after, filters.due_before = span.start, span.end
    tasks, total = await call.tasks().most_urgent(
        filters, pending=args.status == "pending", limit=args.limit
    )
    return {
        "scope": scope_label(call.user),
        "total": total,
        "count": len(tasks),
        "tasks": await task_briefs(call, tasks),
    }


class CreateTaskArgs(Args):
    title: Str = Field(min_length=1, max_length=limits.TITLE, description="Short imperative title.")
    description: Str | None = Field(None, max_length=limits.NOTES, description="Details, if any.")
    due: Str | None = Field(
        None,
        max_length=100,
        description=(
            "When it is due, in plain words ('tomorrow at 5pm', 'in 2 days', 'friday 9am') or "
            "ISO 8601; read in the company's time zone."
        ),
    )
    priority: TaskPriority = Field(TaskPriority.medium, description="high, medium or low.")
    assignee: Str | None = Field(
        None,
        max_length=200,
        description=(
            "Who does it: a staff member's name or email, 'me', or a role queue "
            "('csr', 'rep', 'manager', 'ai'). Defaults to the user."
        ),
    )
    assigned_role: AssignedRole | None = Field(
        None, description="The role queue it belongs to, when no one person is named."
    )
    contact: Str | None = Field(
        None, max_length=200, description="The customer it is about: a name or phone number."
    )
    contact_id: uuid.UUID | None = Field(
        None, description="The customer's contact_id, when known (wins over `contact`)."
    )


async def create_task(call: StaffCall, args: CreateTaskArgs) -> dict[str, Any]:
    assignee, role = (None, None)
    if args.assignee:
        assignee, role = await resolve_assignee(call, args.assignee)
    elif args.assigned_role is None:
        assignee, role = call.user, role_queue(call.user)
    role = args.assigned_role or role or AssignedRole.csr
    contact = None
    if args.contact or args.contact_id:
        contact = await resolve_contact(call, args.contact, args.contact_id)
    data = TaskCreate(
        title=args.title,
        description=args.description,
        priority=args.priority,
        due_at=parse_due(call, args.due) if args.due else None,
        assigned_role=role,
        assignee_id=assignee.id if assignee else None,
        contact_id=contact.id if contact else None,
    )
    task = await call.tasks().create(data, source=TaskSource.assistant)
    return {"created": await task_brief(call, task)}


class TaskRef(Args):
    task_id: uuid.UUID | None = Field(None, description="The task's id, when known.")
    task: Str | None = Field(
        None,
        max_length=200,
        description=(
            "Otherwise words that identify one open task: from its title or its contact's "
            "name, e.g. 'Garcia follow-up'."
        ),
    )

    @model_validator(mode="after")
    def _one_reference(self) -> TaskRef:
        if self.task_id is None and not self.task:
            raise ValueError("give task_id or task")
        return self


class UpdateTaskArgs(TaskRef):
    title: Str | None = Field(None, min_length=1, max_length=limits.TITLE, description="New title.")
    description: Str | None = Field(None, max_length=limits.NOTES, description="New details.")
    due: Str | None = Field(
        None, max_length=100, description="New due time, in plain words or ISO 8601."
    )
    clear_due: bool = Field(False, description="Remove the due time.")
    priority: TaskPriority | None = Field(None, description="New priority.")
    status: Literal["open", "completed", "cancelled"] | None = Field(
        None, description="open reopens a task; completed or cancelled closes it."
    )
    assignee: Str | None = Field(
        None, max_length=200, description="New assignee: a name, email, 'me' or a role queue."
    )
    contact: Str | None = Field(None, max_length=200, description="Link to this contact.")
    contact_id: uuid.UUID | None = Field(None, description="Link to this contact_id.")


async def update_task(call: StaffCall, args: UpdateTaskArgs) -> dict[str, Any]:
    task = await resolve_task(call, args.task_id, args.task)
    changes: dict[str, Any] = {}
    for field in ("title", "description", "priority", "status"):
        value = getattr(args, field)
        if value is not None:
            changes[field] = value
    if args.clear_due:
        changes["due_at"] = None
    elif args.due:
        changes["due_at"] = parse_due(call, args.due)
    if args.assignee:
        assignee, role = await resolve_assignee(call, args.assignee)
        changes["assignee_id"] = assignee.id if assignee else None
        changes["assigned_role"] = role
    if args.contact or args.contact_id:
        changes["contact_id"] = (await resolve_contact(call, args.contact, args.contact_id)).id
    if not changes:
        raise ToolError("nothing to change: give at least one new value")
    updated = await call.tasks().update(task.id, TaskUpdate(**changes))
    return {"updated": await task_brief(call, updated), "changed": sorted(changes)}


class CompleteTaskArgs(TaskRef):
    pass


async def complete_task(call: StaffCall, args: CompleteTaskArgs) -> dict[str, Any]:
    task = await resolve_task(call, args.task_id, args.task)
    done = await call.tasks().complete(task.id)
    return {"completed": await task_brief(call, done)}


# --- contacts -------------------------------------------------------------------------------


class SearchContactsArgs(Args):
    query: Str = Field(
        min_length=1, max_length=200, description="Part of a name, company, email or phone."
    )
    limit: int = Field(8, ge=1, le=25, description="How many contacts to return at most.")


async def search_contacts(call: StaffCall, args: SearchContactsArgs) -> dict[str, Any]:
    phone = try_normalize_phone(args.query) if sum(c.isdigit() for c in args.query) >= 7 else None
    query = "".join(ch for ch in phone if ch.isdigit()) if phone else args.query
    found, more = await call.contacts().list_page(
        ContactFilters(q=query), PageParams(limit=args.limit)
    )
    return {
        "count": len(found),
        "more": more is not None,
        "contacts": [contact_card(c) for c in found],
    }


class ContactRef(Args):
    contact_id: uuid.UUID | None = Field(None, description="The contact's id, when known.")
    contact: Str | None = Field(
        None, max_length=200, description="Otherwise the contact's name or phone number."
    )

    @model_validator(mode="after")
    def _one_reference(self) -> ContactRef:
        if self.contact_id is None and not self.contact:
            raise ValueError("give contact_id or contact")
        return self


class ContactSummaryArgs(ContactRef):
    pass


def _call_item(phone_call: Call, zone: ZoneInfo) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": str(phone_call.id),
        "at": local_iso(phone_call.started_at, zone),
        "direction": phone_call.direction,
        "outcome": phone_call.outcome,
        "duration_seconds": phone_call.duration_seconds,
    }
    if phone_call.analysis is not None:
        item["summary"] = preview(phone_call.analysis.summary, 300)
        item["sentiment"] = phone_call.analysis.sentiment
        if phone_call.analysis.next_steps:
            item["next_steps"] = phone_call.analysis.next_steps[:5]
    return item


def _lead_item(lead: Lead, reps: dict[uuid.UUID, User], zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": str(lead.id),
        "status": lead.status,
        "source": lead.source,
        "service": lead.service,
        "assigned_rep": reps[lead.assigned_rep_id].name if lead.assigned_rep_id in reps else None,
        "estimated_value": str(lead.estimated_value) if lead.estimated_value else None,
        "created": local_iso(lead.created_at, zone),
        "speed_to_lead_minutes": (
            lead.speed_to_lead_seconds // 60 if lead.speed_to_lead_seconds is not None else None
        ),
    }


def _appointment_item(
    appointment: Appointment,
    contacts: dict[uuid.UUID, ContactCard],
    reps: dict[uuid.UUID, User],
    zone: ZoneInfo,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": str(appointment.id),
        "starts": local_iso(appointment.starts_at, zone),
        "ends": local_iso(appointment.ends_at, zone),
        "contact": contact_ref(contacts, appointment.contact_id),
        "address": appointment.address,
        "rep": reps[appointment.rep_id].name if appointment.rep_id in reps else None,
        "status": appointment.status,
    }
    if appointment.title:
        item["title"] = appointment.title
    return item


def _message_item(message: Message, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "at": local_iso(message.created_at, zone),
        "direction": message.direction,
        "sender": message.sender,
        "channel": message.channel,
        "body": preview(message.body, 200),
        "status": message.status,
    }


async def get_contact_summary(call: StaffCall, args: ContactSummaryArgs) -> dict[str, Any]:
    contact = await resolve_contact(call, args.contact, args.contact_id)
    five = PageParams(limit=5)
    leads, _ = await LeadService(call.session, call.user).list_page(
        LeadFilters(contact_id=contact.id), five
    )
    appointments, _ = await AppointmentService(call.session, call.user).list_page(
        AppointmentFilters(
            contact_id=contact.id, starts_after=today_span(call.now, call.zone).start
        ),
        five,
    )
    calls, _ = await CallService(call.session, call.user).list_page(
        CallFilters(contact_id=contact.id), five
    )
    tasks, open_tasks = await call.tasks().most_urgent(
        TaskFilters(contact_id=contact.id), pending=True, limit=5
    )
    lookups = call.lookups()
    messages = await lookups.recent_messages(contact.id, 5)
    waiting = await lookups.is_waiting_on_reply(contact.id)
    reps = await lookups.users_by_id(
        [lead.assigned_rep_id for lead in leads] + [a.rep_id for a in appointments]
    )
    contacts = {contact.id: contact}
    card = contact_card(contact)
    if contact.notes:
        card["notes"] = preview(contact.notes, 300)
    return {
        "contact": card,
        "leads": [_lead_item(lead, reps, call.zone) for lead in leads],
        "upcoming_appointments": [
            _appointment_item(a, contacts, reps, call.zone) for a in appointments
        ],
        "recent_calls": [_call_item(c, call.zone) for c in calls],
        "open_tasks": {"count": open_tasks, "items": await task_briefs(call, tasks)},
        "last_messages": [_message_item(m, call.zone) for m in messages],
        # Not once they opted out: nothing can be sent to them.
        "waiting_on_our_reply": waiting,
    }


# --- appointments, digest, inbox, follow-ups ------------------------------------------------


class ListAppointmentsArgs(Args):
    when: Str = Field(
        "today",
        max_length=100,
        description=(
            "The range in plain words: 'today', 'tomorrow', 'this week', 'next week', "
            "'next 7 days', 'this month', or one day ('friday', 'dec 3', '2026-11-25')."
        ),
    )
    mine_only: bool = Field(False, description="Only appointments the user runs as the rep.")
    status: AppointmentStatus | None = Field(None, description="Only this status.")
    limit: int = Field(25, ge=1, le=100, description="How many appointments at most.")


async def list_appointments(call: StaffCall, args: ListAppointmentsArgs) -> dict[str, Any]:
    try:
        span = named_span(args.when, call.now, call.zone)
    except ValueError as exc:
        raise ToolError(str(exc)) from None
    appointments, more = await AppointmentService(call.session, call.user).list_page(
        AppointmentFilters(
            rep_id=call.user.id if args.mine_only else None,
            status=args.status,
            starts_after=span.start,
            starts_before=span.end,
        ),
        PageParams(limit=args.limit),
    )
    lookups = call.lookups()
    contacts = await lookups.contacts_by_id(a.contact_id for a in appointments)
    reps = await lookups.users_by_id(a.rep_id for a in appointments)
    return {
        "scope": scope_label(call.user),
        "range": {
            "label": span.label,
            "from": local_iso(span.start, call.zone),
            "to": local_iso(span.end, call.zone),
        },
        "count": len(appointments),
        "more": more is not None,
        "appointments": [_appointment_item(a, contacts, reps, call.zone) for a in appointments],
    }


class NoArgs(Args):
    pass


async def get_daily_digest(call: StaffCall, args: NoArgs) -> dict[str, Any]:
    if call.digest is not None:
        return call.digest
    return await build_digest(call.session, call.user)


class UnansweredArgs(Args):
    within_days: int = Field(
        7, ge=1, le=60, description="Only customers whose last message came this recently."
    )
    limit: int = Field(20, ge=1, le=50, description="How many conversations at most.")


async def list_unanswered_messages(call: StaffCall, args: UnansweredArgs) -> dict[str, Any]:
    lookups = call.lookups()
    waiting, total = await lookups.waiting_on_reply(
        call.now - timedelta(days=args.within_days), args.limit
    )
    contacts = await lookups.contacts_by_id(w.message.contact_id for w in waiting)
    holders = await lookups.users_by_id(w.thread.taken_over_by_id for w in waiting)
    tenant = await get_tenant(call.session, call.user.tenant_id)
    return {
        "total": total,
        "count": len(waiting),
        "items": [
            {
                "contact": {
                    **contact_ref(contacts, w.message.contact_id),
                    "phone": primary_phone(contacts.get(w.message.contact_id)),
                },
                **waiting_item(w, call.now, tenant, holders),
                "received": local_iso(w.message.created_at, call.zone),
                "last_message": preview(w.message.body, 200),
            }
            for w in waiting
        ],
    }


class FollowUpArgs(Args):
    limit: int = Field(10, ge=1, le=25, description="How many people at most.")


async def who_to_follow_up(call: StaffCall, args: FollowUpArgs) -> dict[str, Any]:
    return await follow_up_queue(call.session, call.user, args.limit)


# --- texting --------------------------------------------------------------------------------


class SendSmsArgs(ContactRef):
    body: Str = Field(
        min_length=1,
        max_length=limits.SMS_BODY,
        description="The exact text to send, as the user wants it.",
    )


async def send_sms(call: StaffCall, args: SendSmsArgs) -> dict[str, Any]:
    contact = await resolve_contact(call, args.contact, args.contact_id)
    try:
        message = await send_staff_message(call.session, call.user, contact.id, args.body)
    except OptedOut as exc:
        raise ToolError(
            f"not sent: {contact.display_name} has opted out of text messages ({exc.message})"
        ) from None
    return {
        "sent": {
            "message_id": str(message.id),
            "contact": {"id": str(contact.id), "name": contact.display_name},
            "to": message.to_address,
            "channel": message.channel,
            "status": message.status,
            "body": message.body,
        }
    }


# --- the toolbox ----------------------------------------------------------------------------

_TOOLS = [
    staff_tool(
        "list_tasks",
        "List tasks the user can see, most urgent first (high priority, then earliest due). "
        "Filter by status (overdue included), priority, assignment, due window or contact.",
        ListTasksArgs,
        list_tasks,
    ),
    staff_tool(
        "create_task",
        "Create a task (a to-do or follow-up). Due times may be plain words like 'tomorrow at "
        "5pm'. The contact may be named by name or phone; when several match, the call fails "
        "listing them. Assigned to the user unless someone else or a role queue is named.",
        CreateTaskArgs,
        create_task,
        writes=True,
    ),
    staff_tool(
        "update_task",
        "Change a task: title, details, due time, priority, status, assignee or contact. Name "
        "the task by task_id or by words from its title or contact's name.",
        UpdateTaskArgs,
        update_task,
        writes=True,
    ),
    staff_tool(
        "complete_task",
        "Mark a task done, by task_id or by a description like 'Garcia follow-up'. When the "
        "description fits several open tasks, the call fails listing them.",
        CompleteTaskArgs,
        complete_task,
        writes=True,
    ),
    staff_tool(
        "search_contacts",
        "Find customers (contact cards) by part of a name, company, email or phone number.",
        SearchContactsArgs,
        search_contacts,
    ),
    staff_tool(
        "get_contact_summary",
        "Everything about one customer: contact card, leads, upcoming appointments, recent "
        "calls with their AI summaries, open tasks and the last messages.",
        ContactSummaryArgs,
        get_contact_summary,
    ),
    staff_tool(
        "list_appointments",
        "List appointments in a date range given in plain words ('today', 'tomorrow', 'this "
        "week', 'friday'), in the company's time zone, earliest first.",
        ListAppointmentsArgs,
        list_appointments,
    ),
    staff_tool(
        "get_daily_digest",
        "Today at a glance for the user: appointments, open and overdue tasks, customers "
        "waiting on a reply and follow-ups due.",
        NoArgs,
        get_daily_digest,
    ),
    staff_tool(
        "list_unanswered_messages",
        "Customers whose last text has had no reply yet, longest waiting first.",
        UnansweredArgs,
        list_unanswered_messages,
    ),
    staff_tool(
        "who_to_follow_up",
        "Who to contact next, ranked: customers waiting on a reply, new leads with no first "
        "response, overdue follow-up tasks and AI-scheduled follow-ups that are due.",
        FollowUpArgs,
        who_to_follow_up,
    ),
    staff_tool(
        "send_sms",
        "Text a customer. Use ONLY when the user explicitly asks to text or message a specific "
        "person, sending exactly the words they want; never on your own initiative. Customers "
        "who opted out cannot be texted: the call then fails and says so.",
        SendSmsArgs,
        send_sms,
        writes=True,
    ),
]


def staff_toolbox() -> Toolbox:
    # Imported here: the analysis tools build on this module's helpers.
    from switchboard.ai.analysis.tools import analysis_tools

    return Toolbox([*_TOOLS, *analysis_tools()])
