"""A rep's day as they run it from a phone: the appointments in order, each with the
customer's number, a map search for the address and their last messages; the shift; the
tasks to do; and the one-tap "on my way" text, sent through the one outbound pipeline and
so refused for a customer who opted out."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import quote_plus

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.crm.models import AppointmentStatus, ContactCard
from switchboard.crm.service import AppointmentService
from switchboard.dashboards.aggregates import RoleDashboards
from switchboard.dashboards.digest import primary_phone
from switchboard.dashboards.repository import DashboardRepository
from switchboard.dashboards.schemas import AppointmentItem, RepDashboard
from switchboard.kit.errors import Conflict
from switchboard.messaging.models import Channel, Message, MessageKind
from switchboard.messaging.optouts import opt_out_reason, opted_out_numbers, refuse_if_opted_out
from switchboard.messaging.outbound import queue_outbound, sender_for_role
from switchboard.tasks.models import Task
from switchboard.tasks.service import TaskFilters, TaskService
from switchboard.tenancy.models import Role, User
from switchboard.tenancy.service import get_tenant, team

LAST_MESSAGES = 3
DAY_TASKS = 25
MAP_SEARCH = "https://www.openstreetmap.org/search?query="
# Appointments a rep no longer drives to: no "on my way" for them.
CLOSED = (AppointmentStatus.completed, AppointmentStatus.cancelled, AppointmentStatus.no_show)


def map_link(address: str | None) -> str | None:
    """A plain map search for the address: opens the phone's map app or the web page."""
    return f"{MAP_SEARCH}{quote_plus(address)}" if address else None


@dataclass(frozen=True)
class Stop:
    """One appointment of the day, with what a rep needs to get there and talk first."""

    appointment: AppointmentItem
    phone: str | None
    map_url: str | None
    messages: list[Message]
    cannot_text: str | None  # why "on my way" cannot be sent, or None when it can


@dataclass(frozen=True)
class RepDay:
    board: RepDashboard
    stops: list[Stop]
    tasks: list[Task]
    tasks_total: int
    reps: list[User]  # whose day a manager may open instead; empty for a rep


def _cannot_text(
    item: AppointmentItem, phone: str | None, opt_out_reasons: dict[str, str]
) -> str | None:
    if item.status in CLOSED:
        return f"the appointment is {item.status.replace('_', ' ')}"
    if phone is None:
        return "no phone number on the contact card"
    return opt_out_reasons.get(phone)


async def rep_day(session: AsyncSession, user: User, rep_id: uuid.UUID | None = None) -> RepDay:
    """Today for the rep (a rep: always their own; a manager or admin: any rep's)."""
    board = await RoleDashboards(session, user).rep(rep_id=rep_id)
    lookups = DashboardRepository(session, user)
    contact_ids = [item.contact.id for item in board.appointments]
    contacts: dict[uuid.UUID, ContactCard] = await lookups.contacts_by_id(contact_ids)
    phones = {ident: primary_phone(contact) for ident, contact in contacts.items()}
    opted_out = await opted_out_numbers(
        session, user.tenant_id, [p for p in phones.values() if p], Channel.sms
    )
    reasons = {number: opt_out_reason(found) for number, found in opted_out.items()}
    messages = await lookups.latest_messages(contact_ids, LAST_MESSAGES)
    tasks, total = await TaskService(session, user).most_urgent(
        TaskFilters(assignee_id=board.rep.id), pending=True, limit=DAY_TASKS
    )
    reps: list[User] = []
    if user.sees_whole_tenant:
        reps = [m for m in await team(session, user) if m.role in (Role.rep, Role.manager)]
    return RepDay(
        board=board,
        stops=[
            Stop(
                appointment=item,
                phone=phones.get(item.contact.id),
                map_url=map_link(item.address),
                messages=messages.get(item.contact.id, []),
                cannot_text=_cannot_text(item, phones.get(item.contact.id), reasons),
            )
            for item in board.appointments
        ],
        tasks=tasks,
        tasks_total=total,
        reps=reps,
    )


def on_my_way_text(first_name: str | None, rep: User, company: str, at: str) -> str:
    greeting = f"Hi {first_name}" if first_name else "Hello"
    return (
        f"{greeting}, this is {rep.name.split()[0]} from {company}. I'm on my way to you now "
        f"for our {at} appointment."
    )


async def send_on_my_way(session: AsyncSession, user: User, appointment_id: uuid.UUID) -> Message:
    """Text the customer that the rep is on the way, by SMS, as the rep. Only for an
    appointment the user can see that is still to happen; OptedOut (409) for a customer
    who opted out, like every other send. The AI keeps answering in that conversation: a
    notice is not a person taking it over."""
    appointment = await AppointmentService(session, user).get(appointment_id)
    if appointment.status in CLOSED:
        raise Conflict(f"the appointment is {appointment.status.replace('_', ' ')}")
    tenant = await get_tenant(session, user.tenant_id)
    contacts = await DashboardRepository(session, user).contacts_by_id([appointment.contact_id])
    contact = contacts.get(appointment.contact_id)
    phone = primary_phone(contact)
    if phone is not None:  # the number the page offered; a thread may be on another one
        await refuse_if_opted_out(session, user.tenant_id, phone, Channel.sms)
    body = on_my_way_text(
        contact.first_name if contact else None,
        user,
        tenant.name,
        appointment.starts_at.astimezone(tenant.zone).strftime("%-I:%M %p"),
    )
    return await queue_outbound(
        session,
        tenant=tenant,
        contact_id=appointment.contact_id,
        body=body,
        sender=sender_for_role(user.role),
        kind=MessageKind.manual,
        sender_user_id=user.id,
        channel=Channel.sms,
    )
