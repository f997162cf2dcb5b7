"""A contact's timeline (calls, messages, tasks, appointments and in-home recordings merged
by time in one query) and the overview a screen shows beside a conversation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.appointment_texts.models import AppointmentText
from switchboard.appointment_texts.service import texts_by_appointment
from switchboard.crm.models import Appointment, Call, ContactCard, Lead, RecordingSession
from switchboard.crm.service import (
    AppointmentFilters,
    AppointmentService,
    CallFilters,
    CallService,
    ContactService,
    LeadFilters,
    LeadService,
    RecordingSessionService,
)
from switchboard.kit.clock import utcnow
from switchboard.kit.pagination import PageParams
from switchboard.messaging.models import Message
from switchboard.messaging.service import InboxService
from switchboard.tasks.models import Task
from switchboard.tasks.service import TaskFilters, TaskService
from switchboard.tenancy.models import User
from switchboard.timeline.repository import TimelineRepository
from switchboard.timeline.schemas import TimelineItem, TimelineKind


async def contact_timeline(
    session: AsyncSession, user: User, contact_id: uuid.UUID, params: PageParams
) -> tuple[list[TimelineItem], str | None]:
    await ContactService(session, user).get(contact_id)  # 404 unless visible
    return await TimelineRepository(session, user).page(contact_id, params)


async def timeline_records(
    session: AsyncSession, user: User, items: list[TimelineItem]
) -> dict[uuid.UUID, Call | RecordingSession]:
    """The calls (with transcript and analysis) and recordings a timeline page names, for a
    screen that shows them in full: two queries, whatever the page holds."""
    calls = await CallService(session, user).many(i.id for i in items if i.kind == "call")
    recordings = await RecordingSessionService(session, user).many(
        i.id for i in items if i.kind == "recording"
    )
    return {**calls, **recordings}


@dataclass(frozen=True)
class TimelineTexts:
    """Who sent each text on a timeline page, and the confirmation and reminders planned
    for each of its appointments."""

    messages: dict[uuid.UUID, Message]
    by_appointment: dict[uuid.UUID, list[AppointmentText]]


async def timeline_texts(
    session: AsyncSession, user: User, items: list[TimelineItem]
) -> TimelineTexts:
    """Two queries, whatever the page holds."""
    messages = await InboxService(session, user).messages_by_id(
        i.id for i in items if i.kind == TimelineKind.message
    )
    planned = await texts_by_appointment(
        session, user, (i.id for i in items if i.kind == TimelineKind.appointment)
    )
    return TimelineTexts(messages, planned)


@dataclass(frozen=True)
class ContactOverview:
    """What a CSR wants beside a conversation: the card, the lead, what is next."""

    contact: ContactCard
    leads: list[Lead]
    upcoming: list[Appointment]
    open_tasks: list[Task]
    open_task_count: int
    recent_calls: list[Call]


async def contact_overview(
    session: AsyncSession, user: User, contact_id: uuid.UUID, *, limit: int = 5
) -> ContactOverview:
    contact = await ContactService(session, user).get(contact_id)  # 404 unless visible
    page = PageParams(limit=limit)
    leads, _ = await LeadService(session, user).list_page(LeadFilters(contact_id=contact_id), page)
    upcoming, _ = await AppointmentService(session, user).list_page(
        AppointmentFilters(contact_id=contact_id, starts_after=utcnow()), page
    )
    tasks, task_count = await TaskService(session, user).most_urgent(
        TaskFilters(contact_id=contact_id), pending=True, limit=limit
    )
    calls, _ = await CallService(session, user).list_page(CallFilters(contact_id=contact_id), page)
    return ContactOverview(contact, leads, upcoming, tasks, task_count, calls)
