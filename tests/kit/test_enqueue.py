"""`enqueue_many` writes the same job row `enqueue` does, and its job runs once committed."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kit.db import Database
from switchboard.kit.jobs import Job, JobStatus, NewJob, Worker, enqueue, enqueue_many, job_handler
from switchboard.kit.resources import Resources
from tests.factories import Factory

KIND = "tests.enqueue_many"
ran: list[dict[str, object]] = []


@job_handler(KIND)
async def _record(session: AsyncSession, job: Job, resources: Resources) -> None:
    ran.append(job.payload)


async def test_enqueue_many_matches_enqueue_and_runs(
    db: Database, session: AsyncSession, factory: Factory, frozen_clock: object
) -> None:
    tenant = await factory.tenant()
    async with db.transaction() as tx:
        [direct] = await enqueue_many(
            tx, [NewJob(KIND, {"n": 1}, tenant_id=tenant.id, max_attempts=3)]
        )
        flushed = enqueue(tx, KIND, {"n": 2}, tenant_id=tenant.id, max_attempts=3)
    rows = {
        job.id: job
        for job in (await session.execute(select(Job).where(Job.kind == KIND))).scalars()
    }
    assert isinstance(direct, uuid.UUID) and set(rows) == {direct, flushed.id}
    columns = [c.key for c in Job.__table__.columns if c.key != "id"]
    assert {c: getattr(rows[direct], c) for c in columns if c != "payload"} == {
        c: getattr(rows[flushed.id], c) for c in columns if c != "payload"
    }
    assert rows[direct].status == JobStatus.queued
    assert rows[direct].run_after == frozen_clock.now  # type: ignore[attr-defined]

    ran.clear()
    assert await Worker(db, concurrency=1).drain() == 2
    assert sorted(payload["n"] for payload in ran) == [1, 2]  # type: ignore[type-var]
