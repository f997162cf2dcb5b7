"""What the appointment-text tests share: booking through the API, running the worker, and
reading the texts and Otto's messages back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.appointment_texts.models import AppointmentText, TextPurpose
from switchboard.crm.models import ContactCard
from switchboard.kit.db import Database
from switchboard.kit.jobs import Job, Worker
from switchboard.kit.resources import Resources
from switchboard.messaging.models import Message, Sender
from switchboard.tenancy.models import User
from tests.kit.helpers import AsUser

CHICAGO = ZoneInfo("America/Chicago")  # the factory's companies' zone


def local(day: int, clock: str, zone: ZoneInfo = CHICAGO) -> datetime:
    """A moment of November 2026 on the company's clock, in UTC."""
    hour, minute = map(int, clock.split(":"))
    return datetime(2026, 11, day, hour, minute, tzinfo=zone).astimezone(UTC)


async def book(
    client: httpx.AsyncClient,
    as_user: AsUser,
    user: User,
    contact: ContactCard,
    starts: datetime,
    **fields: Any,
) -> uuid.UUID:
    response = await client.post(
        "/api/appointments",
        json={
            "contact_id": str(contact.id),
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(),
            "title": "Roof inspection",
            **fields,
        },
        headers=as_user(user),
    )
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])


async def change(
    client: httpx.AsyncClient, as_user: AsUser, user: User, appointment_id: uuid.UUID, **fields: Any
) -> None:
    payload = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in fields.items()}
    response = await client.patch(
        f"/api/appointments/{appointment_id}", json=payload, headers=as_user(user)
    )
    assert response.status_code == 200, response.text


async def drain(db: Database, resources: Resources | None = None) -> int:
    """Run every due job; with `resources`, as the test's app would (its sender)."""
    return await Worker(db, concurrency=1, resources=resources).drain()


async def texts_of(session: AsyncSession, appointment_id: uuid.UUID) -> list[AppointmentText]:
    rows = await session.execute(
        select(AppointmentText)
        .where(AppointmentText.appointment_id == appointment_id)
        .order_by(AppointmentText.due_at, AppointmentText.created_at)
        .execution_options(populate_existing=True)
    )
    return list(rows.scalars())


def reminders(texts: list[AppointmentText]) -> dict[tuple[int, datetime], AppointmentText]:
    return {
        (t.offset_minutes, t.appointment_starts_at): t
        for t in texts
        if t.purpose == TextPurpose.reminder
    }


async def otto_texts(session: AsyncSession, contact: ContactCard) -> list[Message]:
    rows = await session.execute(
        select(Message)
        .where(Message.contact_id == contact.id, Message.sender == Sender.otto)
        .order_by(Message.created_at)
        .execution_options(populate_existing=True)
    )
    return list(rows.scalars())


async def job_of(session: AsyncSession, text: AppointmentText) -> Job | None:
    if text.job_id is None:
        return None
    return await session.get(Job, text.job_id, populate_existing=True)
