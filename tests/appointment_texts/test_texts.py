"""Appointment texts through the API and the worker, on both databases: the confirmation on
booking, reminders at the company's offsets, and what a move, a cancel, an opt-out, missing
consent, quiet hours and a time-zone change do to them. Sender Otto, kind automated, through
messaging's outbound pipeline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.appointment_texts.models import TextPurpose, TextStatus
from switchboard.appointment_texts.service import plan_appointment_texts, send_text
from switchboard.kit.db import Database
from switchboard.kit.jobs import Job, JobStatus
from switchboard.messaging.models import MessageKind, MessageStatus
from switchboard.messaging.optouts import record_opt_out
from switchboard.tenancy.models import Role
from tests.appointment_texts.support import (
    book,
    change,
    drain,
    job_of,
    local,
    otto_texts,
    reminders,
    texts_of,
)
from tests.factories import Factory
from tests.kit.helpers import AsUser
from tests.messaging.support import CUSTOMER, OUR_NUMBER, Inbox

# The frozen clock says Saturday 21 November 2026, 09:00 in Chicago.
MONDAY_2PM = local(23, "14:00")
DAY, HOUR = 24 * 60, 60


async def test_booking_texts_a_confirmation_and_plans_the_reminders(
    client: httpx.AsyncClient,
    as_user: AsUser,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    db: Database,
    frozen_clock: Any,
) -> None:
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER, first_name="Dana")
    appointment_id = await book(
        client, as_user, inbox.csr, contact, MONDAY_2PM, rep_id=str(inbox.rep.id)
    )
    assert await otto_texts(session, contact) == []  # nothing inside the request
    await drain(db)

    [confirmation] = await otto_texts(session, contact)
    assert confirmation.body == (
        "Hi Dana, your appointment with Summit Roofing is booked for Monday, November 23 at "
        "2:00 PM. Reply to this text if you need to change it."
    )
    assert (confirmation.kind, confirmation.direction) == (MessageKind.automated, "outbound")
    assert (confirmation.from_address, confirmation.to_address) == (OUR_NUMBER, CUSTOMER)
    assert confirmation.status == MessageStatus.sending  # through the send job, like any text

    texts = await texts_of(session, appointment_id)
    sent = next(t for t in texts if t.purpose == TextPurpose.confirmation)
    assert (sent.status, sent.message_id) == (TextStatus.sent, confirmation.id)
    planned = reminders(texts)
    assert set(planned) == {(DAY, MONDAY_2PM), (HOUR, MONDAY_2PM)}
    for (offset, _), text in planned.items():
        assert text.status == TextStatus.scheduled
        assert text.due_at == MONDAY_2PM - timedelta(minutes=offset)
        job = await job_of(session, text)
        assert job is not None and job.status == JobStatus.queued and job.run_after == text.due_at

    listed = await client.get(
        f"/api/appointments/{appointment_id}/texts", headers=as_user(inbox.csr)
    )
    assert listed.status_code == 200
    assert [(t["purpose"], t["status"]) for t in listed.json()] == [
        ("confirmation", "sent"), ("reminder", "scheduled"), ("reminder", "scheduled"),
    ]  # fmt: skip


async def test_each_reminder_goes_once_at_its_time(
    client: httpx.AsyncClient,
    as_user: AsUser,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    db: Database,
    frozen_clock: Any,
) -> None:
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER)
    appointment_id = await book(client, as_user, inbox.csr, contact, MONDAY_2PM)
    await drain(db)

    frozen_clock.now = MONDAY_2PM - timedelta(days=1, minutes=1)
    await drain(db)
    assert len(await otto_texts(session, contact)) == 1  # not yet
    frozen_clock.now = MONDAY_2PM - timedelta(days=1)
    await drain(db)
    day_before = (await otto_texts(session, contact))[-1]
    assert day_before.body.startswith(
        "Reminder: your appointment with Summit Roofing is tomorrow, Monday, November 23 at 2:00 PM."
    )
    assert day_before.kind == MessageKind.automated

    frozen_clock.now = MONDAY_2PM - timedelta(minutes=59)  # the worker is a minute late
    await drain(db)
    await drain(db)
    messages = await otto_texts(session, contact)
    assert len(messages) == 3
    assert "is in 1 hour, Monday, November 23 at 2:00 PM" in messages[-1].body
    statuses = [t.status for t in await texts_of(session, appointment_id)]
    assert statuses == [TextStatus.sent] * 3


async def test_moving_an_appointment_moves_its_pending_reminders(
    client: httpx.AsyncClient,
    as_user: AsUser,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    db: Database,
    frozen_clock: Any,
) -> None:
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER)
    appointment_id = await book(client, as_user, inbox.csr, contact, MONDAY_2PM)
    await drain(db)
    frozen_clock.now = MONDAY_2PM - timedelta(days=1)
    await drain(db)  # the day-before reminder went
    frozen_clock.now = MONDAY_2PM - timedelta(hours=20)
    before = reminders(await texts_of(session, appointment_id))
    hour_before = before[(HOUR, MONDAY_2PM)]
    old_job = hour_before.job_id

    wednesday = MONDAY_2PM + timedelta(days=2)
    await change(client, as_user, inbox.csr, appointment_id, starts_at=wednesday,
                 ends_at=wednesday + timedelta(hours=1))  # fmt: skip
    await drain(db)

    after = reminders(await texts_of(session, appointment_id))
    assert after[(DAY, MONDAY_2PM)].status == TextStatus.sent  # told for Monday; kept
    moved = after[(HOUR, wednesday)]
    assert moved.id == hour_before.id  # the same reminder, moved: never two
    assert (moved.status, moved.due_at, moved.job_id) == (
        TextStatus.scheduled, wednesday - timedelta(hours=1), old_job,
    )  # fmt: skip
    job = await job_of(session, moved)
    assert job is not None and job.run_after == wednesday - timedelta(hours=1)
    new_day_before = after[(DAY, wednesday)]
    assert (new_day_before.status, new_day_before.due_at) == (
        TextStatus.scheduled, wednesday - timedelta(days=1),
    )  # fmt: skip
    assert len(after) == 3

    frozen_clock.now = MONDAY_2PM - timedelta(hours=1)  # Monday's old reminder time
    await drain(db)
    assert len(await otto_texts(session, contact)) == 2  # confirmation + Monday's day-before
    frozen_clock.now = wednesday - timedelta(days=1)
    await drain(db)
    frozen_clock.now = wednesday - timedelta(hours=1)
    await drain(db)
    bodies = [m.body for m in await otto_texts(session, contact)]
    assert len(bodies) == 4
    assert "tomorrow, Wednesday, November 25 at 2:00 PM" in bodies[2]
    assert "in 1 hour, Wednesday, November 25" in bodies[3]


async def test_cancelling_withdraws_pending_reminders(
    client: httpx.AsyncClient,
    as_user: AsUser,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    db: Database,
    frozen_clock: Any,
) -> None:
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER)
    appointment_id = await book(client, as_user, inbox.csr, contact, MONDAY_2PM)
    await drain(db)
    jobs = [t.job_id for t in reminders(await texts_of(session, appointment_id)).values()]

    await change(client, as_user, inbox.csr, appointment_id, status="cancelled")
    await drain(db)
    withdrawn = reminders(await texts_of(session, appointment_id)).values()
    assert {(t.status, t.reason) for t in withdrawn} == {
        (TextStatus.withdrawn, "the appointment was cancelled")
    }
    assert (await session.execute(select(Job).where(Job.id.in_(jobs)))).first() is None

    frozen_clock.now = MONDAY_2PM - timedelta(minutes=30)
    await drain(db)
    assert len(await otto_texts(session, contact)) == 1  # the confirmation only


async def test_an_opted_out_contact_is_never_texted_and_the_text_says_why(
    client: httpx.AsyncClient,
    as_user: AsUser,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    db: Database,
    frozen_clock: Any,
) -> None:
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER)
    appointment_id = await book(client, as_user, inbox.csr, contact, MONDAY_2PM)
    await drain(db)
    assert len(await otto_texts(session, contact)) == 1

    await record_opt_out(session, inbox.tenant.id, CUSTOMER, "sms", "STOP", source="keyword")
    await session.commit()
    frozen_clock.now = MONDAY_2PM - timedelta(days=1)
    await drain(db)
    day_before = reminders(await texts_of(session, appointment_id))[(DAY, MONDAY_2PM)]
    assert day_before.status == TextStatus.skipped and day_before.message_id is None
    assert day_before.reason is not None and day_before.reason.startswith("opted out:")
    assert "replied STOP" in day_before.reason
    assert len(await otto_texts(session, contact)) == 1

    # Booked after opting out: the confirmation is skipped the same way.
    later = await book(client, as_user, inbox.csr, contact, MONDAY_2PM + timedelta(days=7))
    await drain(db)
    [confirmation] = [t for t in await texts_of(session, later) if t.purpose == "confirmation"]
    assert confirmation.status == TextStatus.skipped and "opted out" in (confirmation.reason or "")
    assert len(await otto_texts(session, contact)) == 1


async def test_a_contact_without_sms_consent_is_not_texted(
    client: httpx.AsyncClient,
    as_user: AsUser,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    db: Database,
    frozen_clock: Any,
) -> None:
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER, consent={"sms": False})
    appointment_id = await book(client, as_user, inbox.csr, contact, MONDAY_2PM)
    await drain(db)
    [confirmation, *_] = await texts_of(session, appointment_id)
    assert (confirmation.status, confirmation.reason) == (
        TextStatus.skipped, "the contact has not consented to texts",
    )  # fmt: skip
    assert await otto_texts(session, contact) == []


async def test_quiet_hours_and_a_time_zone_change(
    client: httpx.AsyncClient,
    as_user: AsUser,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    db: Database,
    frozen_clock: Any,
) -> None:
    """08:30 in Chicago: the hour-before reminder (07:30) waits for quiet hours to end at
    08:00. The company moves to Los Angeles: the same instant is 06:30 there, so that
    reminder goes just before quiet hours begin the evening before (20:59), and the
    day-before one (06:30 there) when they end at 08:00."""
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER)
    starts = local(23, "08:30")
    appointment_id = await book(client, as_user, inbox.csr, contact, starts)
    await drain(db)
    planned = reminders(await texts_of(session, appointment_id))
    assert planned[(HOUR, starts)].due_at == local(23, "08:00")
    assert planned[(DAY, starts)].due_at == local(22, "08:30")

    los_angeles = "America/Los_Angeles"
    response = await client.patch(
        "/api/tenant", json={"timezone": los_angeles}, headers=as_user(inbox.manager)
    )
    assert response.status_code == 200
    await drain(db)
    pacific = ZoneInfo(los_angeles)
    planned = reminders(await texts_of(session, appointment_id))
    hour_before, day_before = planned[(HOUR, starts)], planned[(DAY, starts)]
    assert hour_before.due_at == local(22, "20:59", pacific)
    assert day_before.due_at == local(22, "08:00", pacific)
    for text in (hour_before, day_before):
        job = await job_of(session, text)
        assert job is not None and job.run_after == text.due_at

    for moment in ("07:59", "08:00", "20:58", "20:59"):
        frozen_clock.now = local(22, moment, pacific)
        await drain(db)
    bodies = [m.body for m in await otto_texts(session, contact)]
    assert len(bodies) == 3
    for body in bodies[1:]:  # read in the new zone
        assert "tomorrow, Monday, November 23 at 6:30 AM" in body


async def test_a_reminder_that_would_only_fit_in_quiet_hours_is_not_planned(
    client: httpx.AsyncClient,
    as_user: AsUser,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    db: Database,
    frozen_clock: Any,
) -> None:
    frozen_clock.now = local(21, "22:00")  # Saturday night, in quiet hours
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER)
    starts = local(22, "07:00")  # Sunday 07:00: quiet until 08:00, and 20:59 has passed
    appointment_id = await book(client, as_user, inbox.csr, contact, starts)
    await drain(db)
    texts = await texts_of(session, appointment_id)
    # The confirmation answers the booking and goes at once; no reminder can be sent.
    assert [(t.purpose, t.status) for t in texts] == [("confirmation", "sent")]
    assert len(await otto_texts(session, contact)) == 1


async def test_an_appointments_texts_are_read_within_the_readers_scope(
    client: httpx.AsyncClient,
    as_user: AsUser,
    inbox: Inbox,
    factory: Factory,
    db: Database,
    frozen_clock: Any,
) -> None:
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER)
    theirs = await book(client, as_user, inbox.csr, contact, MONDAY_2PM, rep_id=str(inbox.rep.id))
    await drain(db)
    url = f"/api/appointments/{theirs}/texts"
    assert len((await client.get(url, headers=as_user(inbox.rep))).json()) == 3
    other_rep = await factory.user(inbox.tenant, Role.rep)
    assert (await client.get(url, headers=as_user(other_rep))).status_code == 404
    elsewhere = await factory.user(await factory.tenant(), Role.manager)
    assert (await client.get(url, headers=as_user(elsewhere))).status_code == 404


async def test_a_text_whose_appointment_moved_before_its_plan_ran(
    inbox: Inbox, factory: Factory, session: AsyncSession, frozen_clock: Any
) -> None:
    """The send job may run between a move's commit and the move's plan job: the
    confirmation still goes, with the new time, and a reminder is planned again, not sent
    for the old time nor lost."""
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER)
    appointment = await factory.appointment(inbox.tenant, contact, starts_at=MONDAY_2PM)
    confirmation, day_before, hour_before = await plan_appointment_texts(
        session, inbox.tenant.id, appointment.id, booked=True
    )
    tuesday = MONDAY_2PM + timedelta(days=1)
    appointment.starts_at, appointment.ends_at = tuesday, tuesday + timedelta(hours=1)
    await session.flush()

    await send_text(session, inbox.tenant.id, confirmation.id)
    assert confirmation.status == TextStatus.sent
    [message] = await otto_texts(session, contact)
    assert "Tuesday, November 24 at 2:00 PM" in message.body

    frozen_clock.now = day_before.due_at
    await send_text(session, inbox.tenant.id, day_before.id)
    assert len(await otto_texts(session, contact)) == 1
    assert (day_before.status, day_before.appointment_starts_at) == (TextStatus.scheduled, tuesday)
    assert day_before.due_at == tuesday - timedelta(days=1)
    assert hour_before.due_at == tuesday - timedelta(hours=1)
