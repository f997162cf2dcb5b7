"""Appointment texts at volume: N bookings planned (confirmation sent, reminders queued)
by two workers, the company's whole calendar planned again after a time-zone change, and
N due reminders sent by two workers, each exactly once.

    .venv/bin/python bench/appointment_texts.py [--backend sqlite|postgres|both] [--appointments N]
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import timedelta

from _support import bench_user, scratch_database
from sqlalchemy import func, select, update

from switchboard.appointment_texts.models import (
    AppointmentText,
    AppointmentTextSettings,
    TextPurpose,
    TextStatus,
)
from switchboard.appointment_texts.service import PLAN_JOB, RETIME_JOB
from switchboard.config import Settings
from switchboard.crm.models import Appointment, ContactCard, ContactPhone
from switchboard.handlers import register_job_handlers
from switchboard.kit.clock import utcnow
from switchboard.kit.db import Database
from switchboard.kit.jobs import Job, JobStatus, NewJob, Worker, enqueue_many
from switchboard.kit.resources import Resources
from switchboard.messaging.models import Message, Sender
from switchboard.messaging.senders import SimulatedSender, build_sender
from switchboard.tenancy.models import ChannelAccount, ChannelKind, Role, Tenant


async def load(db: Database, count: int) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """A company with an SMS number, no quiet hours, and `count` contacts, each with an
    appointment in the next two weeks."""
    user = await bench_user(db, Role.manager, "Bench Manager")
    tenant_id = user.tenant_id
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    ids = []
    async with db.transaction() as session:
        tenant = await session.get(Tenant, tenant_id)
        assert tenant is not None
        tenant.timezone = "America/Chicago"
        # No quiet hours: the due reminders of the last step go now, whatever the hour.
        session.add(AppointmentTextSettings(tenant_id=tenant_id, reminder_offsets=[1440, 60]))
        session.add(ChannelAccount(tenant_id=tenant_id, kind=ChannelKind.sms,
                                   address=f"+1555{uuid.uuid4().int % 10**7:07d}"))  # fmt: skip
        contacts = [
            ContactCard(id=uuid.uuid4(), tenant_id=tenant_id, first_name=f"Pat{n}")
            for n in range(count)
        ]
        session.add_all(contacts)
        await session.flush()  # rows linked by id alone are not ordered by the unit of work
        for n, contact in enumerate(contacts):
            session.add(ContactPhone(tenant_id=tenant_id, contact_id=contact.id,
                                     number=f"+1312{n:07d}", is_primary=True))  # fmt: skip
            starts = now + timedelta(days=2 + n % 12, hours=n % 9)
            appointment = Appointment(id=uuid.uuid4(), tenant_id=tenant_id, contact_id=contact.id,
                                      starts_at=starts, ends_at=starts + timedelta(hours=1))  # fmt: skip
            session.add(appointment)
            ids.append(appointment.id)
    return tenant_id, ids


async def two_workers(db: Database) -> float:
    started = time.perf_counter()
    resources = Resources(Settings(demo=True))
    # Delivery steps fall outside the run.
    resources.provide(build_sender, SimulatedSender(step_seconds=3600))
    workers = [Worker(db, concurrency=4, resources=resources) for _ in range(2)]
    await asyncio.gather(*(w.drain(max_rounds=100_000) for w in workers))
    return time.perf_counter() - started


async def count(db: Database, model: type, *where: object) -> int:
    async with db.transaction() as session:
        stmt = select(func.count()).select_from(model)
        for condition in where:
            stmt = stmt.where(condition)  # type: ignore[arg-type]
        return int((await session.execute(stmt)).scalar_one())


async def run_backend(url: str, backend: str, appointments: int) -> None:
    db = Database.from_url(url, pool_size=10)
    try:
        tenant_id, ids = await load(db, appointments)
        async with db.transaction() as session:
            await enqueue_many(session, [
                NewJob(PLAN_JOB, {"tenant_id": str(tenant_id), "appointment_id": str(i),
                                  "booked": True}, tenant_id)
                for i in ids
            ])  # fmt: skip
        booked = await two_workers(db)
        confirmations = await count(db, Message, Message.sender == Sender.otto)
        planned = await count(db, AppointmentText, AppointmentText.status == TextStatus.scheduled)

        async with db.transaction() as session:
            await enqueue_many(session, [NewJob(RETIME_JOB, {"tenant_id": str(tenant_id)},
                                                tenant_id)])  # fmt: skip
        retimed = await two_workers(db)

        # Every pending reminder due now: N x offsets sends, two workers.
        now = utcnow()
        async with db.transaction() as session:
            pending = AppointmentText.status == TextStatus.scheduled
            job_ids = select(AppointmentText.job_id).where(pending)
            await session.execute(update(AppointmentText).where(pending).values(due_at=now))
            await session.execute(update(Job).where(Job.id.in_(job_ids),
                                                    Job.status == JobStatus.queued)
                                  .values(run_after=now))  # fmt: skip
        sent_seconds = await two_workers(db)
        reminders = await count(db, AppointmentText, AppointmentText.purpose == TextPurpose.reminder,
                                AppointmentText.status == TextStatus.sent)  # fmt: skip
        messages = await count(db, Message, Message.sender == Sender.otto)
        assert messages == confirmations + reminders, "a text went twice"
        print(
            f"{backend:<9} {appointments:>6,} bookings planned + confirmed by 2 workers in "
            f"{booked:.1f}s ({appointments / booked:,.0f}/s; {confirmations:,} confirmations, "
            f"{planned:,} reminders queued)"
        )
        print(
            f"{backend:<9} calendar of {len(ids):,} planned again (time zone) in {retimed:.1f}s "
            f"({len(ids) / retimed:,.0f} appointments/s)"
        )
        print(
            f"{backend:<9} {reminders:,} due reminders sent by 2 workers in {sent_seconds:.1f}s "
            f"({reminders / sent_seconds:,.0f}/s), {messages:,} texts for "
            f"{confirmations + reminders:,} planned: none twice"
        )
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--appointments", type=int, default=1_000)
    args = parser.parse_args()
    register_job_handlers()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        with scratch_database(backend) as url:
            asyncio.run(run_backend(url, backend, args.appointments))


if __name__ == "__main__":
    main()
