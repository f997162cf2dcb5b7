"""One text per reminder however many workers run, on both databases, with real commits:
the plan job of one booking queued three times and a reminder's send job queued five times,
all run by two workers at once. These tests use their own Database on the test database
(not the rolled-back `db`) and delete what they made."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from switchboard.appointment_texts.models import AppointmentText, TextStatus
from switchboard.appointment_texts.service import PLAN_JOB, SEND_JOB
from switchboard.crm.models import Appointment, ContactCard, ContactPhone
from switchboard.handlers import register_job_handlers
from switchboard.kit.db import Database
from switchboard.kit.jobs import NewJob, Worker, enqueue_many
from switchboard.messaging.models import Message, Sender
from switchboard.tenancy.models import ChannelAccount, ChannelKind, Tenant
from tests.appointment_texts.support import local


@pytest.fixture
async def committed(
    database_url: str, frozen_clock: Any
) -> AsyncIterator[tuple[Database, Appointment]]:
    register_job_handlers()
    db = Database.from_url(database_url, pool_size=10)
    async with db.transaction() as session:
        tenant = Tenant(name="Race Roofing", slug=f"race-{uuid.uuid4().hex[:10]}",
                        timezone="America/Chicago")  # fmt: skip
        session.add(tenant)
        await session.flush()
        number = f"+1555{uuid.uuid4().int % 10**7:07d}"
        session.add(ChannelAccount(tenant_id=tenant.id, kind=ChannelKind.sms, address=number))
        contact = ContactCard(tenant_id=tenant.id, first_name="Ray")
        session.add(contact)
        await session.flush()
        phone = f"+1312{uuid.uuid4().int % 10**7:07d}"
        session.add(ContactPhone(tenant_id=tenant.id, contact_id=contact.id, number=phone,
                                 is_primary=True))  # fmt: skip
        starts = local(23, "14:00")
        appointment = Appointment(tenant_id=tenant.id, contact_id=contact.id, starts_at=starts,
                                  ends_at=starts + timedelta(hours=1))  # fmt: skip
        session.add(appointment)
    try:
        yield db, appointment
    finally:
        async with db.transaction() as session:
            await session.execute(delete(Tenant).where(Tenant.id == tenant.id))
        await db.dispose()


async def _two_workers(db: Database) -> None:
    first, second = Worker(db, concurrency=4), Worker(db, concurrency=4)
    await asyncio.gather(first.drain(), second.drain())


async def _count(db: Database, model: Any, *where: Any) -> int:
    async with db.transaction() as session:
        stmt = select(func.count()).select_from(model)
        for condition in where:
            stmt = stmt.where(condition)
        return int((await session.execute(stmt)).scalar_one())


async def test_two_workers_send_each_text_once(
    committed: tuple[Database, Appointment], frozen_clock: Any
) -> None:
    db, appointment = committed
    tenant_id, appointment_id = appointment.tenant_id, appointment.id
    plan = {"tenant_id": str(tenant_id), "appointment_id": str(appointment_id), "booked": True}
    async with db.transaction() as session:
        await enqueue_many(session, [NewJob(PLAN_JOB, plan, tenant_id)] * 3)
    await _two_workers(db)

    otto = (Message.contact_id == appointment.contact_id, Message.sender == Sender.otto)
    ours = AppointmentText.appointment_id == appointment_id
    assert await _count(db, Message, *otto) == 1  # one confirmation
    assert await _count(db, AppointmentText, ours) == 3  # it, and a reminder per offset

    async with db.transaction() as session:
        hour_before = (
            await session.execute(
                select(AppointmentText).where(ours, AppointmentText.offset_minutes == 60)
            )
        ).scalar_one()
    frozen_clock.now = hour_before.due_at
    send = {"tenant_id": str(tenant_id), "text_id": str(hour_before.id)}
    async with db.transaction() as session:  # the reminder's own job, and five more
        await enqueue_many(session, [NewJob(SEND_JOB, send, tenant_id)] * 5)
    await _two_workers(db)

    assert await _count(db, Message, *otto) == 2
    sent = (ours, AppointmentText.status == TextStatus.sent)
    assert await _count(db, AppointmentText, *sent) == 2
    # The day-before reminder's job ran too, 23 hours late: skipped, not sent out of step.
    late = (ours, AppointmentText.offset_minutes == 24 * 60)
    assert (
        await _count(db, AppointmentText, *late, AppointmentText.status == TextStatus.skipped) == 1
    )
