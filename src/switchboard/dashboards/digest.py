"""The daily digest and the follow-up queue: a user's day in their own scope and the tenant's
time zone, compact and JSON-ready, because it goes into the assistant's system prompt."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.crm.models import ContactCard, Lead
from switchboard.crm.service import AppointmentFilters, AppointmentService
from switchboard.dashboards.repository import DashboardRepository, WaitingReply
from switchboard.dashboards.timeframe import clock_span, local_iso, minutes_between, today_span
from switchboard.kit.clock import utcnow
from switchboard.kit.pagination import PageParams
from switchboard.messaging.models import Channel
from switchboard.tasks.models import AssignedRole, Task, TaskPriority, TaskSource
from switchboard.tasks.service import TaskFilters, TaskService, is_theirs
from switchboard.tenancy.models import Role, Tenant, User
from switchboard.tenancy.service import get_tenant

DIGEST_ITEMS = 8
APPOINTMENT_ITEMS = 15
# A customer silent on our side for longer than this has gone cold: the digest leaves them to
# the inbox rather than crowd out today's work.
WAITING_WINDOW = timedelta(days=7)
PREVIEW_CHARS = 120
# How long after a customer's text the AI's reply may still be on its way (the debounce, a
# slow model, a retry). Past it, nobody is answering them unless a person does.
AI_REPLY_WINDOW = timedelta(minutes=5)
AI_SOURCES = frozenset({TaskSource.otto, TaskSource.shunya, TaskSource.auto_reply})


def preview(text: str | None, chars: int = PREVIEW_CHARS) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= chars else flat[: chars - 1] + "…"


def scope_label(user: User) -> str:
    return "own assignments" if user.role == Role.rep else "whole company"


def contact_ref(contacts: dict[uuid.UUID, ContactCard], ident: uuid.UUID | None) -> dict[str, Any]:
    """{"id", "name"} for a linked contact, or {} when there is none."""
    if ident is None:
        return {}
    contact = contacts.get(ident)
    return {"id": str(ident), "name": contact.display_name if contact else "Unknown contact"}


def primary_phone(contact: ContactCard | None) -> str | None:
    if contact is None or not contact.phones:
        return None
    return next((p.number for p in contact.phones if p.is_primary), contact.phones[0].number)


def is_ai_follow_up(task: Task) -> bool:
    return task.source in AI_SOURCES or task.assigned_role == AssignedRole.ai


async def build_digest(session: AsyncSession, user: User) -> dict[str, Any]:
    """Today's appointments, open and overdue tasks, customers waiting on a reply and the
    follow-ups due, for `user` (a rep: only their own assignments)."""
    tenant = await get_tenant(session, user.tenant_id)
    zone = tenant.zone
    now = utcnow()
    today = today_span(now, zone)
    repo = DashboardRepository(session, user)
    tasks = TaskService(session, user)

    appointments, more_appointments = await AppointmentService(session, user).list_page(
        AppointmentFilters(starts_after=today.start, starts_before=today.end),
        PageParams(limit=APPOINTMENT_ITEMS),
    )
    top_tasks, _ = await tasks.most_urgent(
        TaskFilters(), pending=True, limit=DIGEST_ITEMS, with_total=False
    )
    due_tasks, _ = await tasks.most_urgent(
        TaskFilters(due_before=today.end), pending=True, limit=DIGEST_ITEMS, with_total=False
    )
    pending, overdue, due_by_tonight = await tasks.open_counts(now, today.end)
    waiting, waiting_total = await repo.unanswered_messages(now - WAITING_WINDOW, DIGEST_ITEMS)
    leads, leads_total = await repo.uncontacted_leads(DIGEST_ITEMS)

    contacts = await repo.contacts_by_id(
        [a.contact_id for a in appointments]
        + [t.contact_id for t in (*top_tasks, *due_tasks)]
        + [w.message.contact_id for w in waiting]
        + [lead.contact_id for lead in leads]
    )
    reps = await repo.users_by_id(
        [a.rep_id for a in appointments] + [w.thread.taken_over_by_id for w in waiting]
    )

    def task_item(task: Task) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": str(task.id),
            "title": task.title,
            "priority": task.priority,
            "status": task.effective_status,
            "due": local_iso(task.due_at, zone),
            "mine": is_theirs(task, user),
        }
        if task.contact_id:
            item["contact"] = contact_ref(contacts, task.contact_id)
        return item

    return {
        "date": today.start.astimezone(zone).date().isoformat(),
        "weekday": today.start.astimezone(zone).strftime("%A"),
        "now": local_iso(now, zone),
        "timezone": zone.key,
        "for": {"name": user.name, "role": user.role, "scope": scope_label(user)},
        "appointments_today": {
            "count": len(appointments),
            "more": more_appointments is not None,
            "items": [
                {
                    "id": str(a.id),
                    "time": clock_span(a.starts_at, a.ends_at, zone),
                    "starts": local_iso(a.starts_at, zone),
                    "ends": local_iso(a.ends_at, zone),
                    "mine": a.rep_id == user.id,
                    "contact": contact_ref(contacts, a.contact_id),
                    "address": a.address,
                    "rep": reps[a.rep_id].name if a.rep_id in reps else None,
                    "status": a.status,
                    **({"title": a.title} if a.title else {}),
                }
                for a in appointments
            ],
        },
        "tasks": {
            "open": pending - overdue,
            "overdue": overdue,
            "due_later_today": due_by_tonight - overdue,
            "top": [task_item(task) for task in top_tasks],
        },
        "unanswered_messages": {
            "count": waiting_total,
            "items": [
                {
                    "contact": contact_ref(contacts, w.message.contact_id),
                    **waiting_item(w, now, tenant, reps),
                }
                for w in waiting
            ],
        },
        "follow_ups_due": {
            "tasks": [task_item(task) for task in due_tasks],
            "leads_not_contacted": {
                "count": leads_total,
                "items": [
                    {
                        "contact": contact_ref(contacts, lead.contact_id),
                        "service": lead.service,
                        **_lead_item(lead, now),
                    }
                    for lead in leads
                ],
            },
        },
    }


def waiting_item(
    waiting: WaitingReply, now: datetime, tenant: Tenant, users: dict[uuid.UUID, User]
) -> dict[str, Any]:
    """A customer waiting on a reply, as the digest, the follow-up queue and the assistant
    show it (each adds the contact its own way), and whom they wait on (`users` names whoever
    took a session over):

    - `person`: someone has taken the conversation over (`taken_over_by`); the AI is paused
      there, so it is theirs to answer, never the AI's;
    - `ai`: the AI's reply is on its way (auto-reply on, a text session nobody took over, a
      message younger than AI_REPLY_WINDOW);
    - `staff`: nobody is answering yet: auto-reply is off, it is a voicemail, or the AI has
      not answered in time."""
    message, thread = waiting.message, waiting.thread
    item: dict[str, Any] = {
        "session_id": str(message.session_id),
        "channel": message.channel,
        "waiting_minutes": minutes_between(message.created_at, now),
        "last_message": preview(message.body),
    }
    if thread.ai_paused:
        holder = users.get(thread.taken_over_by_id) if thread.taken_over_by_id else None
        item["waiting_on"] = "person"
        item["taken_over_by"] = {"id": str(holder.id), "name": holder.name} if holder else None
    elif (
        tenant.auto_reply_enabled
        and thread.channel in (Channel.sms, Channel.whatsapp)
        and now - message.created_at < AI_REPLY_WINDOW
    ):
        item["waiting_on"] = "ai"
    else:
        item["waiting_on"] = "staff"
    return item


def _lead_item(lead: Lead, now: datetime) -> dict[str, Any]:
    """A lead nobody has contacted, as the digest and the follow-up queue both show it."""
    return {
        "lead_id": str(lead.id),
        "source": lead.source,
        "waiting_minutes": minutes_between(lead.created_at, now),
    }


# --- who to follow up -----------------------------------------------------------------------

_TASK_WEIGHT = {TaskPriority.high: 3, TaskPriority.medium: 2, TaskPriority.low: 1}


@dataclass
class _FollowUp:
    contact_id: uuid.UUID | None
    reasons: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    @property
    def score(self) -> float:
        # The most pressing reason ranks the person; each further reason nudges them up.
        best = max(score for score, _ in self.reasons)
        return best + 10 * (len(self.reasons) - 1)


def _task_reason(task: Task, now: datetime, zone: ZoneInfo) -> tuple[float, dict[str, Any]]:
    weight = _TASK_WEIGHT.get(task.priority, 1)
    overdue = task.due_at is not None and task.due_at < now
    late_hours = minutes_between(task.due_at, now) / 60 if overdue and task.due_at else 0.0
    if is_ai_follow_up(task):
        kind, score = "ai_follow_up_due", 40 + 45 * weight + min(late_hours, 72)
    elif overdue:
        kind, score = "overdue_task", 50 + 50 * weight + min(late_hours, 72)
    else:
        kind, score = "task_due_today", 20 + 30 * weight
    reason: dict[str, Any] = {
        "kind": kind,
        "task_id": str(task.id),
        "title": task.title,
        "priority": task.priority,
        "due": local_iso(task.due_at, zone),
    }
    if overdue and task.due_at:
        reason["overdue_minutes"] = minutes_between(task.due_at, now)
    if kind == "ai_follow_up_due":
        reason["source"] = task.source
    return score, reason


_ACTIONS = {
    "waiting_on_reply": "reply to their message",
    "new_lead_no_response": "make first contact: call or text them",
    "overdue_task": "do the overdue task",
    "ai_follow_up_due": "do the follow-up the AI scheduled",
    "task_due_today": "do the task due today",
}


async def follow_up_queue(session: AsyncSession, user: User, limit: int = 10) -> dict[str, Any]:
    """Who to follow up with, most pressing first: customers waiting on a reply, new leads
    with no first response, overdue tasks and AI-scheduled follow-ups due. One entry per
    contact, carrying every reason and the ids to act on."""
    tenant = await get_tenant(session, user.tenant_id)
    zone = tenant.zone
    now = utcnow()
    today = today_span(now, zone)
    repo = DashboardRepository(session, user)

    waiting, _ = await repo.unanswered_messages(now - WAITING_WINDOW, 50, with_total=False)
    holders = await repo.users_by_id(w.thread.taken_over_by_id for w in waiting)
    leads, _ = await repo.uncontacted_leads(50, with_total=False)
    due_tasks, _ = await TaskService(session, user).most_urgent(
        TaskFilters(due_before=today.end), pending=True, limit=50, with_total=False
    )

    entries: dict[object, _FollowUp] = {}

    def add(
        contact_id: uuid.UUID | None, key: object, score: float, reason: dict[str, Any]
    ) -> None:
        entry = entries.setdefault(contact_id or key, _FollowUp(contact_id))
        entry.reasons.append((score, reason))

    for w in waiting:
        reason = {"kind": "waiting_on_reply", **waiting_item(w, now, tenant, holders)}
        score = 300 + min(reason["waiting_minutes"], 1440) / 10
        add(w.message.contact_id, w.message.id, score, reason)
    for lead in leads:
        reason = {"kind": "new_lead_no_response", **_lead_item(lead, now)}
        add(lead.contact_id, lead.id, 250 + min(reason["waiting_minutes"], 2880) / 20, reason)
    for task in due_tasks:
        score, reason = _task_reason(task, now, zone)
        add(task.contact_id, task.id, score, reason)

    ranked = sorted(entries.values(), key=lambda e: -e.score)[:limit]
    contacts = await repo.contacts_by_id(e.contact_id for e in ranked)
    items = []
    for rank, entry in enumerate(ranked, start=1):
        reasons = [reason for _, reason in sorted(entry.reasons, key=lambda r: -r[0])]
        contact = contacts.get(entry.contact_id) if entry.contact_id else None
        items.append(
            {
                "rank": rank,
                "contact": (
                    {**contact_ref(contacts, entry.contact_id), "phone": primary_phone(contact)}
                    if entry.contact_id
                    else None
                ),
                "suggested_action": _ACTIONS[reasons[0]["kind"]],
                "reasons": reasons,
            }
        )
    return {"scope": scope_label(user), "count": len(entries), "items": items}
