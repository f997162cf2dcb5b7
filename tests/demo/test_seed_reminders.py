"""The demo's upcoming appointments come with their reminders, planned by the appointment-text
rules (at the offsets, out of quiet hours, none for a past or cancelled visit), each with
the queued job that sends it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.appointment_texts.models import AppointmentText, TextPurpose, TextStatus
from switchboard.appointment_texts.schedule import QuietHours
from switchboard.crm.models import Appointment, AppointmentStatus
from switchboard.demo.seed import seed_demo
from switchboard.kit.clock import utcnow
from switchboard.kit.jobs import Job, JobStatus
from switchboard.tenancy.repository import tenant_by_slug


async def test_upcoming_demo_appointments_have_their_reminders_scheduled(
    session: AsyncSession,
) -> None:
    report = await seed_demo(session)
    summit = await tenant_by_slug(session, "summit-demo")
    assert summit is not None
    texts = list(
        (
            await session.execute(
                select(AppointmentText).where(AppointmentText.tenant_id == summit.id)
            )
        ).scalars()
    )
    appointments = {
        a.id: a
        for a in (
            await session.execute(select(Appointment).where(Appointment.tenant_id == summit.id))
        ).scalars()
    }
    now = utcnow()
    upcoming = [
        a for a in appointments.values()
        if a.starts_at > now + timedelta(days=1, hours=1)
        and a.status in (AppointmentStatus.scheduled, AppointmentStatus.confirmed)
    ]  # fmt: skip
    assert upcoming  # tomorrow's and later visits: both reminders are still to come
    planned = {(t.appointment_id, t.offset_minutes) for t in texts}
    for appointment in upcoming:
        assert {(appointment.id, 1440), (appointment.id, 60)} <= planned
    quiet = QuietHours.of("21:00", "08:00")
    assert quiet is not None
    for text in texts:
        appointment = appointments[text.appointment_id]
        assert text.purpose == TextPurpose.reminder and text.status == TextStatus.scheduled
        assert appointment.status not in (AppointmentStatus.cancelled, AppointmentStatus.completed)
        assert now < text.due_at < appointment.starts_at
        assert quiet.window_at(text.due_at, summit.zone) is None
        job = await session.get(Job, text.job_id)
        assert job is not None and (job.status, job.run_after) == (JobStatus.queued, text.due_at)
    counts = report.created[f"{summit.name} ({summit.slug})"]
    assert counts["scheduled reminders"] == len(texts)
    assert isinstance(texts[0].due_at, datetime)
