"""Appointment-text job handlers: plan one appointment's texts, plan a company's again,
send one text when its time comes."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.appointment_texts import service
from switchboard.kit.jobs import Job, job_handler
from switchboard.kit.resources import Resources

RETIME_BATCH = 50


@job_handler(service.PLAN_JOB)
async def plan_appointment(session: AsyncSession, job: Job, resources: Resources) -> None:
    await service.plan_appointment_texts(
        session,
        uuid.UUID(job.payload["tenant_id"]),
        uuid.UUID(job.payload["appointment_id"]),
        booked=bool(job.payload.get("booked")),
    )


@job_handler(service.RETIME_JOB, timeout=timedelta(minutes=10))
async def plan_company(session: AsyncSession, job: Job, resources: Resources) -> None:
    """Every upcoming appointment of the company, planned again a batch per transaction, so
    a large calendar neither holds one long transaction (on SQLite, the whole service's
    write lock) nor starts over from nothing when a run is cut short: planning is
    idempotent, and a re-run finds the batches done already in line."""
    tenant_id = uuid.UUID(job.payload["tenant_id"])
    ids = await service.upcoming_appointments(session, tenant_id)
    for start in range(0, len(ids), RETIME_BATCH):
        for appointment_id in ids[start : start + RETIME_BATCH]:
            await service.plan_appointment_texts(session, tenant_id, appointment_id, booked=False)
        await session.commit()


@job_handler(service.SEND_JOB)
async def send_text(session: AsyncSession, job: Job, resources: Resources) -> None:
    """Runs in one transaction with marking the job done: the message and its send job are
    queued together with the text's `sent`, or nothing is."""
    await service.send_text(
        session, uuid.UUID(job.payload["tenant_id"]), uuid.UUID(job.payload["text_id"])
    )
