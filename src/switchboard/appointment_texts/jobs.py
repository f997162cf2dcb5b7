"""Appointment-text job handlers: plan one appointment's texts, plan a company's again,
send one text when its time comes."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.appointment_texts import service
from switchboard.kit.jobs import Job, job_handler


@job_handler(service.PLAN_JOB)
async def plan_appointment(session: AsyncSession, job: Job) -> None:
    await service.plan_appointment_texts(
        session,
        uuid.UUID(job.payload["tenant_id"]),
        uuid.UUID(job.payload["appointment_id"]),
        booked=bool(job.payload.get("booked")),
    )


@job_handler(service.RETIME_JOB)
async def plan_company(session: AsyncSession, job: Job) -> None:
    await service.plan_company_texts(session, uuid.UUID(job.payload["tenant_id"]))


@job_handler(service.SEND_JOB)
async def send_text(session: AsyncSession, job: Job) -> None:
    """Runs in one transaction with marking the job done: the message and its send job are
    queued together with the text's `sent`, or nothing is."""
    await service.send_text(
        session, uuid.UUID(job.payload["tenant_id"]), uuid.UUID(job.payload["text_id"])
    )
