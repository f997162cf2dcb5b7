"""Job leases on both databases: the job of a worker that died is taken by another within
30 s, a heartbeat keeps a long job's lease, a run that lost its lease can neither finish nor
fail the job over the run that holds it now, a run past its kind's timeout is cancelled and
retried with backoff, and finished jobs are pruned after their retention."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.ai.autoresponder import AUTO_REPLY_JOB
from switchboard.config import Settings
from switchboard.kit.clock import utcnow
from switchboard.kit.db import Database
from switchboard.kit.jobs import Job, JobStatus, Worker, enqueue, job_handler
from switchboard.kit.resources import Resources
from switchboard.tenancy.models import Tenant
from tests.factories import Factory

RECORDED = "tests.leases.recorded"  # records which run did it, as a job row of its own
SIDE_EFFECT = "tests.leases.side_effect"
PARKED = "tests.leases.parked"  # waits for the test to let it go
SLOW = "tests.leases.slow"


class Gate:
    """Lets a test hold a running handler where it is and let it go."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.cancelled = 0


gates: dict[str, Gate] = {}
slow_attempts: list[int] = []


@job_handler(RECORDED)
async def _recorded(session: AsyncSession, job: Job, resources: Resources) -> None:
    enqueue(session, SIDE_EFFECT, {"by_attempt": job.attempts}, tenant_id=job.tenant_id)
    if job.payload.get("fail"):
        raise RuntimeError("this run fails")


@job_handler(SIDE_EFFECT)
async def _side_effect(session: AsyncSession, job: Job, resources: Resources) -> None:
    return None


@job_handler(PARKED)
async def _parked(session: AsyncSession, job: Job, resources: Resources) -> None:
    gate = gates[job.payload["gate"]]
    gate.started.set()
    try:
        await gate.release.wait()
    except asyncio.CancelledError:
        gate.cancelled += 1
        raise
    enqueue(session, SIDE_EFFECT, {"by_attempt": job.attempts}, tenant_id=job.tenant_id)


@job_handler(SLOW, timeout=timedelta(seconds=0.2))
async def _slow(session: AsyncSession, job: Job, resources: Resources) -> None:
    slow_attempts.append(job.attempts)
    # What a run did before it was cancelled is rolled back with it.
    enqueue(session, SIDE_EFFECT, {"by_attempt": job.attempts}, tenant_id=job.tenant_id)
    await session.flush()
    if job.attempts == 1:
        await asyncio.sleep(30)


async def _job(session: AsyncSession, job_id: uuid.UUID) -> Job:
    stmt = select(Job).where(Job.id == job_id).execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one()


async def _side_effects(session: AsyncSession, tenant_id: uuid.UUID | None) -> list[int]:
    stmt = select(Job.payload).where(Job.kind == SIDE_EFFECT, Job.tenant_id == tenant_id)
    return sorted(payload["by_attempt"] for payload in (await session.execute(stmt)).scalars())


async def _queued(session: AsyncSession, factory: Factory, kind: str, **payload: Any) -> Job:
    tenant = await factory.tenant()
    job = enqueue(session, kind, payload, tenant_id=tenant.id)
    await session.flush()
    return job


# --- a worker that died ---------------------------------------------------------------------


async def test_a_killed_workers_job_is_taken_by_another_within_30_seconds(
    db: Database, session: AsyncSession, factory: Factory, frozen_clock: Any
) -> None:
    queued = await _queued(session, factory, RECORDED)
    killed = Worker(db)
    [claimed] = await killed.claim(1)  # ...and the process dies: no heartbeat, no finish
    assert claimed.id == queued.id

    other = Worker(db)
    frozen_clock.advance(10)
    assert await other.run_due() == 0  # its lease still runs: it may be alive

    frozen_clock.advance(19)  # 29 s after the claim
    assert await other.run_due() == 1
    job = await _job(session, queued.id)
    assert (job.status, job.attempts, job.locked_by) == (JobStatus.done, 2, None)
    assert await _side_effects(session, queued.tenant_id) == [2]


async def test_a_job_that_loses_its_worker_on_the_last_attempt_fails(
    db: Database, session: AsyncSession, factory: Factory, frozen_clock: Any
) -> None:
    queued = await _queued(session, factory, RECORDED)
    queued.max_attempts = 1
    await session.flush()
    await Worker(db).claim(1)
    frozen_clock.advance(20)

    assert await Worker(db).run_due() == 0
    job = await _job(session, queued.id)
    assert job.status == JobStatus.failed and job.attempts == 1
    assert "LeaseLost" in (job.last_error or "") and job.finished_at == utcnow()


# --- two runs of one job --------------------------------------------------------------------


@pytest.mark.parametrize("fails", [False, True], ids=["finishes", "fails"])
async def test_a_run_that_lost_its_lease_cannot_finish_or_fail_the_job(
    db: Database, session: AsyncSession, factory: Factory, frozen_clock: Any, fails: bool
) -> None:
    queued = await _queued(session, factory, RECORDED, fail=fails)
    stalled, other = Worker(db), Worker(db)
    [first] = await stalled.claim(1)
    frozen_clock.advance(20)  # the first worker stalled past its lease
    [second] = await other.claim(1)
    assert second.attempts == 2

    await stalled.run(first)  # it wakes up and runs what it had claimed

    job = await _job(session, queued.id)
    assert (job.status, job.locked_by, job.attempts) == (JobStatus.running, other.name, 2)
    assert job.last_error is None and job.finished_at is None
    assert await _side_effects(session, queued.tenant_id) == []

    await other.run(second)
    job = await _job(session, queued.id)
    assert job.status == (JobStatus.queued if fails else JobStatus.done)
    assert await _side_effects(session, queued.tenant_id) == ([] if fails else [2])


async def test_the_heartbeat_stops_a_run_whose_job_was_taken(
    db: Database, session: AsyncSession, factory: Factory, frozen_clock: Any
) -> None:
    gates["taken"] = gate = Gate()
    queued = await _queued(session, factory, PARKED, gate="taken")
    stalled, other = Worker(db, heartbeat_seconds=3600), Worker(db)
    [first] = await stalled.claim(1)
    running = asyncio.create_task(stalled.run(first))
    await gate.started.wait()
    frozen_clock.advance(20)
    [second] = await other.claim(1)

    await stalled.heartbeat()  # finds the job is no longer its own

    await asyncio.wait_for(running, 5)  # the run ended, quietly
    assert gate.cancelled == 1
    job = await _job(session, queued.id)
    assert (job.status, job.locked_by, job.attempts) == (JobStatus.running, other.name, 2)
    assert second.attempts == 2


async def test_a_heartbeat_keeps_a_long_jobs_lease(database_url: str, frozen_clock: Any) -> None:
    """Two workers as two processes would be: each its own engine, real commits."""
    runner_db, other_db = Database.from_url(database_url), Database.from_url(database_url)
    gates["long"] = gate = Gate()
    try:
        async with committed_tenant(other_db) as tenant:
            async with runner_db.transaction() as session:
                queued = enqueue(session, PARKED, {"gate": "long"}, tenant_id=tenant.id)
            runner = Worker(runner_db, heartbeat_seconds=0.02)
            other = Worker(other_db)
            running = asyncio.create_task(runner.run_due())
            await asyncio.wait_for(gate.started.wait(), 10)
            for _ in range(6):  # a minute: four leases
                frozen_clock.advance(10)
                await _renewed(other_db, queued.id)
                assert await other.run_due() == 0
            gate.release.set()
            assert await asyncio.wait_for(running, 10) == 1
            async with other_db.transaction() as session:
                job = await _job(session, queued.id)
                assert (job.status, job.attempts) == (JobStatus.done, 1)
                assert await _side_effects(session, tenant.id) == [1]
            assert gate.cancelled == 0
    finally:
        gate.release.set()
        await runner_db.dispose()
        await other_db.dispose()


async def _renewed(db: Database, job_id: uuid.UUID) -> None:
    """Wait until the job's lease was renewed at the clock's "now"."""
    for _ in range(500):
        async with db.transaction() as session:
            if (await _job(session, job_id)).locked_at == utcnow():
                return
        await asyncio.sleep(0.01)
    raise AssertionError("the heartbeat did not renew the lease")


# --- timeouts -------------------------------------------------------------------------------


async def test_a_run_past_its_timeout_is_cancelled_and_retried_with_backoff(
    db: Database, session: AsyncSession, factory: Factory, frozen_clock: Any
) -> None:
    slow_attempts.clear()
    queued = await _queued(session, factory, SLOW)
    worker = Worker(db)

    assert await asyncio.wait_for(worker.run_due(), 10) == 1  # not the handler's 30 s
    job = await _job(session, queued.id)
    assert (job.status, job.attempts, job.locked_by) == (JobStatus.queued, 1, None)
    assert "JobTimedOut" in (job.last_error or "")
    assert job.run_after == utcnow() + timedelta(seconds=1)
    assert await _side_effects(session, queued.tenant_id) == []

    assert await worker.run_due() == 0  # the backoff
    frozen_clock.advance(1)
    assert await worker.run_due() == 1
    job = await _job(session, queued.id)
    assert (job.status, job.attempts) == (JobStatus.done, 2)
    assert slow_attempts == [1, 2]
    assert await _side_effects(session, queued.tenant_id) == [2]


# --- retention ------------------------------------------------------------------------------


async def test_finished_jobs_are_pruned_after_their_retention(
    db: Database, session: AsyncSession, factory: Factory, frozen_clock: Any
) -> None:
    tenant = await factory.tenant()
    now = utcnow()
    settings = Settings(demo=True, job_retention_hours=2, failed_job_retention_days=3)

    def job(status: JobStatus, finished_ago: timedelta | None) -> Job:
        row = Job(
            kind=SIDE_EFFECT,
            payload={},
            tenant_id=tenant.id,
            status=status,
            run_after=now - timedelta(days=10),
            finished_at=None if finished_ago is None else now - finished_ago,
        )
        session.add(row)
        return row

    rows = {
        "done long ago": job(JobStatus.done, timedelta(hours=2, seconds=1)),
        "done lately": job(JobStatus.done, timedelta(hours=1, minutes=59)),
        "failed a while ago": job(JobStatus.failed, timedelta(days=2)),
        "failed long ago": job(JobStatus.failed, timedelta(days=3, seconds=1)),
        "queued long ago": job(JobStatus.queued, None),
        "running": job(JobStatus.running, None),
    }
    await session.flush()

    assert await Worker.from_settings(db, Resources(settings)).prune() >= 2

    left = set((await session.execute(select(Job.id).where(Job.tenant_id == tenant.id))).scalars())
    assert {name for name, row in rows.items() if row.id in left} == {
        "done lately",
        "failed a while ago",
        "queued long ago",
        "running",
    }


@pytest.fixture(autouse=True)
def _forget_gates() -> Iterator[None]:
    yield
    for gate in gates.values():
        gate.release.set()
    gates.clear()


# --- slots ----------------------------------------------------------------------------------


async def test_a_long_job_does_not_hold_up_the_next_one(database_url: str) -> None:
    """`run_forever` claims into every free slot while a long job runs (committed jobs, on
    their own Database)."""
    db = Database.from_url(database_url)
    gates["slots"] = gate = Gate()
    worker = Worker(db, concurrency=2, poll_seconds=0.05)
    running = asyncio.create_task(worker.run_forever())
    try:
        async with committed_tenant(db) as tenant:
            async with db.transaction() as session:
                long = enqueue(session, PARKED, {"gate": "slots"}, tenant_id=tenant.id)
            await asyncio.wait_for(gate.started.wait(), 10)
            async with db.transaction() as session:
                quick = enqueue(session, SIDE_EFFECT, {"by_attempt": 0}, tenant_id=tenant.id)
            await _until_done(db, quick.id)
            async with db.transaction() as session:
                assert (await _job(session, long.id)).status == JobStatus.running
            worker.stop()
            gate.release.set()  # a stopping worker lets its running job finish
            await asyncio.wait_for(running, 10)
            async with db.transaction() as session:
                assert (await _job(session, long.id)).status == JobStatus.done
    finally:
        gate.release.set()
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await db.dispose()


# --- the worker process ---------------------------------------------------------------------


async def test_the_worker_process_runs_jobs_and_stops_on_sigterm(database_url: str) -> None:
    """`switchboard worker` as it runs in production: it takes a committed job, and SIGTERM
    lets it finish and exit cleanly (a job of a message that is gone: skipped, done)."""
    env = {
        **os.environ,
        "SWITCHBOARD_DEMO": "true",
        "SWITCHBOARD_DATABASE_URL": database_url,
        "SWITCHBOARD_WORKER_POLL_SECONDS": "0.2",
        "SWITCHBOARD_LOG_LEVEL": "WARNING",
    }
    env.pop("SWITCHBOARD_REDIS_URL", None)
    db = Database.from_url(database_url)
    try:
        async with committed_tenant(db) as tenant:
            async with db.transaction() as session:
                ids = {"session_id": str(uuid.uuid4()), "message_id": str(uuid.uuid4())}
                payload = {"tenant_id": str(tenant.id), **ids}
                queued = enqueue(session, AUTO_REPLY_JOB, payload, tenant_id=tenant.id)
            command = [sys.executable, "-m", "switchboard.cli", "worker"]
            process = await asyncio.create_subprocess_exec(*command, env=env)
            try:
                await _until_done(db, queued.id, within=30)
                assert process.returncode is None
                process.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(process.wait(), 15) == 0
            finally:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
    finally:
        await db.dispose()


# --- helpers --------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def committed_tenant(db: Database) -> AsyncIterator[Tenant]:
    """A tenant committed on `db` (not in the rolled-back test transaction), deleted with
    all its jobs afterwards."""
    async with db.transaction() as session:
        tenant = Tenant(name="Lease Co", slug=f"lease-{uuid.uuid4().hex[:10]}")
        session.add(tenant)
    try:
        yield tenant
    finally:
        async with db.transaction() as session:
            await session.execute(delete(Tenant).where(Tenant.id == tenant.id))


async def _until_done(db: Database, job_id: uuid.UUID, within: float = 5) -> None:
    deadline = time.monotonic() + within
    while True:
        async with db.transaction() as session:
            if (await _job(session, job_id)).status == JobStatus.done:
                return
        assert time.monotonic() < deadline, "the job was not done in time"
        await asyncio.sleep(0.02)
