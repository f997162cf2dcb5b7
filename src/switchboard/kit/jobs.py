"""Background jobs kept in the database: enqueued in the caller's transaction, run after it
commits by a worker with its own session, retried with backoff, never lost.

A worker claims a job with a short lease (`locked_at` is when it was last renewed) and
renews it by a heartbeat while the job runs, so the job of a worker that died is taken by
another within a lease. Each claim counts an attempt, and the attempt number is the run's
token: a run that lost its lease can neither mark the job done nor record a failure over
the run that holds it now (its last transaction rolls back), and its heartbeat stops it.
Each kind has a timeout after which its run is cancelled and retried with backoff.
Finished jobs are deleted after a retention period."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.dml import Insert

from switchboard.config import Settings
from switchboard.kit.bulk import as_arrays, unnest_rows
from switchboard.kit.clock import utcnow
from switchboard.kit.db import Database, after_commit
from switchboard.kit.models import Base, RecordMixin
from switchboard.kit.resources import Resources
from switchboard.kit.types import JSONDoc

log = logging.getLogger(__name__)


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class Job(RecordMixin, Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_run_after", "status", "run_after"),)

    tenant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    status: Mapped[JobStatus] = mapped_column(String(16), default=JobStatus.queued)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(128))  # the worker running it
    locked_at: Mapped[datetime | None]  # its lease, last renewed at
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]


class PermanentJobError(Exception):
    """A failure that retrying cannot fix: the job ends `failed` at once."""


class JobTimedOut(Exception):
    """A run went past its kind's timeout and was cancelled; it is retried with backoff."""


class LeaseLost(Exception):
    """This run no longer holds the job: its lease ran out and another worker took it."""


# A handler gets its transaction, its job, and the app's resources (settings, sender, model).
JobHandler = Callable[[AsyncSession, Job, Resources], Awaitable[None]]
DEFAULT_TIMEOUT = timedelta(minutes=1)


@dataclass(frozen=True)
class RegisteredHandler:
    run: JobHandler
    timeout: timedelta


_HANDLERS: dict[str, RegisteredHandler] = {}
_wakeups: list[asyncio.Event] = []


def job_handler(
    kind: str, *, timeout: timedelta = DEFAULT_TIMEOUT
) -> Callable[[JobHandler], JobHandler]:
    """Register the handler of `kind`. It runs in a transaction the worker commits together
    with marking the job done; a handler that waits on something outside the database (a
    provider, a model) commits the session first, so no transaction is held meanwhile. A run
    that takes longer than `timeout` is cancelled and retried with backoff."""

    def register(fn: JobHandler) -> JobHandler:
        _HANDLERS[kind] = RegisteredHandler(fn, timeout)
        return fn

    return register


def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    tenant_id: uuid.UUID | None = None,
    run_after: datetime | None = None,
    max_attempts: int = 5,
) -> Job:
    """Add a job to the caller's transaction; workers in this process wake once it commits."""
    job = Job(
        kind=kind,
        payload=payload,
        tenant_id=tenant_id,
        run_after=run_after or utcnow(),
        max_attempts=max_attempts,
    )
    session.add(job)
    wake_workers_after_commit(session)
    return job


@dataclass(frozen=True)
class NewJob:
    """A job for `enqueue_many` (several at once, as Core statements)."""

    kind: str
    payload: dict[str, Any]
    tenant_id: uuid.UUID | None = None
    run_after: datetime | None = None
    max_attempts: int = 5


async def enqueue_many(session: AsyncSession, jobs: Sequence[NewJob]) -> list[uuid.UUID]:
    """`enqueue` for several jobs as one Core INSERT, with no ORM objects to track and flush
    (a batch's jobs); workers in this process wake once the transaction commits. Returns
    the jobs' ids, in order."""
    if not jobs:
        return []
    rows = job_rows(jobs)
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(insert_jobs_postgres(), job_arrays(rows))
    else:
        await session.execute(_INSERT_JOB, rows)
    wake_workers_after_commit(session)
    return [row["id"] for row in rows]


def job_rows(jobs: Sequence[NewJob]) -> list[dict[str, Any]]:
    """Complete `jobs` rows, queued now (or at their run_after)."""
    now = utcnow()
    return [
        {
            "id": uuid.uuid4(),
            "created_at": now,
            "updated_at": now,
            "tenant_id": job.tenant_id,
            "kind": job.kind,
            "payload": job.payload,
            "status": JobStatus.queued,
            "attempts": 0,
            "max_attempts": job.max_attempts,
            "run_after": job.run_after or now,
            "locked_by": None,
            "locked_at": None,
            "last_error": None,
            "finished_at": None,
        }
        for job in jobs
    ]


def job_arrays(rows: Sequence[dict[str, Any]], prefix: str = "") -> dict[str, list[Any]]:
    """`job_rows` as the parameters of `insert_jobs_postgres(prefix)`."""
    return as_arrays(_jobs, rows, _JOB_COLUMNS, prefix)


@functools.cache
def insert_jobs_postgres(prefix: str = "") -> Insert:
    """INSERT INTO jobs SELECT ... FROM unnest(...), the rows bound by `job_arrays` (the
    arrays named with `prefix`, so it can join other statements). Built on first use:
    tenant_id's type comes from tenants.id, which may not be mapped yet when this module
    is imported."""
    return insert(_jobs).from_select(_JOB_COLUMNS, unnest_rows(_jobs, _JOB_COLUMNS, prefix))


async def move_queued(session: AsyncSession, job_id: uuid.UUID, run_after: datetime) -> bool:
    """Move a job that is still queued to `run_after` (a reminder whose appointment moved);
    False when it is no longer queued (it runs, or ran): enqueue another one then."""
    moved = await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.queued)
        .values(run_after=run_after)
        .execution_options(synchronize_session=False)
    )
    wake_workers_after_commit(session)
    return bool(moved.rowcount)  # type: ignore[attr-defined]


async def drop_queued(session: AsyncSession, job_id: uuid.UUID) -> None:
    """Delete a job that is still queued (what it would do is withdrawn); one already
    running is left to its run, which must find nothing to do."""
    await session.execute(
        delete(Job)
        .where(Job.id == job_id, Job.status == JobStatus.queued)
        .execution_options(synchronize_session=False)
    )


def wake_workers_after_commit(session: AsyncSession) -> None:
    """Wake this process's workers once the session's transaction (with new jobs) commits."""
    after_commit(session, _wake_workers)


_jobs = cast(Table, Job.__table__)
_JOB_COLUMNS = tuple(column.name for column in _jobs.c)
_INSERT_JOB = insert(_jobs)


async def _wake_workers() -> None:
    for event in _wakeups:
        event.set()


def backoff(attempt: int) -> timedelta:
    return timedelta(seconds=min(2 ** (attempt - 1), 300))


PRUNE_EVERY_SECONDS = 600.0
PRUNE_BATCH = 1000


@dataclass
class _Run:
    """A job this worker is running: the claim it holds and the task that runs it."""

    job: Job
    task: asyncio.Task[Any] | None
    renewed_at: datetime
    lost: bool = False

    def lose(self) -> None:
        """The lease is gone: stop the run (a second run of the job may be under way)."""
        if not self.lost and self.task is not None:
            self.lost = True
            self.task.cancel()


class Worker:
    """Claims due jobs and runs them; several workers (and processes) can share one table.

    Every worker of one database must use the same lease: another takes a job whose lease
    was not renewed for that long. The heartbeat renews it three times a lease."""

    def __init__(
        self,
        db: Database,
        *,
        poll_seconds: float = 1.0,
        concurrency: int = 4,
        lease_seconds: float = 15.0,
        heartbeat_seconds: float | None = None,
        done_retention: timedelta = timedelta(hours=24),
        failed_retention: timedelta = timedelta(days=30),
        resources: Resources | None = None,
    ) -> None:
        self.db = db
        # A worker made without an app (a bench, a test of the queue itself) runs its jobs
        # on the demo defaults: the simulated sender and the built-in model.
        self.resources = resources or Resources(Settings(demo=True))
        self.poll_seconds = poll_seconds
        self.concurrency = concurrency
        self.lease = timedelta(seconds=lease_seconds)
        self.heartbeat_seconds = heartbeat_seconds or lease_seconds / 3
        self.done_retention = done_retention
        self.failed_retention = failed_retention
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._runs: dict[tuple[uuid.UUID, int], _Run] = {}
        self._pruned_at: float | None = None

    @classmethod
    def from_settings(cls, db: Database, resources: Resources) -> Worker:
        """The worker as configured: how the API process and `switchboard worker` build it."""
        settings = resources.settings
        return cls(
            db,
            resources=resources,
            poll_seconds=settings.worker_poll_seconds,
            concurrency=settings.worker_concurrency,
            lease_seconds=settings.job_lease_seconds,
            done_retention=timedelta(hours=settings.job_retention_hours),
            failed_retention=timedelta(days=settings.failed_job_retention_days),
        )

    async def run_forever(self) -> None:
        """Keep up to `concurrency` jobs running, claiming more as each one ends, until
        `stop()`; then let the running ones finish."""
        _wakeups.append(self._wakeup)
        running: set[asyncio.Task[None]] = set()

        def ended(task: asyncio.Task[None]) -> None:
            running.discard(task)
            self._wakeup.set()  # a slot is free

        try:
            async with self._heartbeat():
                while not self._stopping:
                    self._wakeup.clear()
                    free = self.concurrency - len(running)
                    try:
                        await self._prune_when_due()
                        jobs = await self.claim(free) if free > 0 else []
                    except Exception:
                        # The database is away (a restart, a failover): try again later
                        # rather than end the loop and leave this process without a worker.
                        log.exception("job worker %s could not claim jobs", self.name)
                        jobs = []
                    for job in jobs:
                        task = asyncio.create_task(self.run(job), name=f"job-{job.kind}-{job.id}")
                        running.add(task)
                        task.add_done_callback(ended)
                    if jobs and len(jobs) == free:
                        continue  # more may be due: claim again once a slot is free
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wakeup.wait(), timeout=self.poll_seconds)
                if running:
                    await asyncio.gather(*running, return_exceptions=True)
        finally:
            for task in running:  # cancelled itself: what still runs stops with it
                task.cancel()
            _wakeups.remove(self._wakeup)

    def stop(self) -> None:
        """Claim no more jobs; `run_forever` returns once the running ones have ended."""
        self._stopping = True
        self._wakeup.set()

    @property
    def stopping(self) -> bool:
        return self._stopping

    async def run_due(self) -> int:
        """Run the jobs that are due now; returns how many ran."""
        jobs = await self.claim(self.concurrency)
        if jobs:
            async with self._heartbeat():
                await asyncio.gather(*(self.run(job) for job in jobs))
        return len(jobs)

    async def drain(self, max_rounds: int = 50) -> int:
        """Run due jobs until none are left (tests, the CLI)."""
        total = 0
        for _ in range(max_rounds):
            ran = await self.run_due()
            if not ran:
                break
            total += ran
        return total

    async def claim(self, limit: int) -> list[Job]:
        """Lease up to `limit` due jobs: queued ones whose time has come, and running ones
        whose lease ran out (their worker died or stalled). Such a job on its last attempt
        is failed instead: a job that kills its worker must not do so forever."""
        now = utcnow()
        async with self.db.transaction() as session:
            due = (
                select(Job.id, Job.status, Job.attempts, Job.max_attempts)
                .where(
                    or_(
                        (Job.status == JobStatus.queued) & (Job.run_after <= now),
                        (Job.status == JobStatus.running) & (Job.locked_at < now - self.lease),
                    )
                )
                .order_by(Job.run_after)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            rows = (await session.execute(due)).all()
            abandoned = [
                row.id
                for row in rows
                if row.status == JobStatus.running and row.attempts >= row.max_attempts
            ]
            if abandoned:
                log.warning("jobs %s lost their worker on their last attempt", abandoned)
                await session.execute(
                    update(Job)
                    .where(Job.id.in_(abandoned))
                    .values(
                        status=JobStatus.failed,
                        last_error="LeaseLost: its worker stopped during the last attempt",
                        locked_by=None,
                        finished_at=now,
                    )
                    .execution_options(synchronize_session=False)
                )
            ids = [row.id for row in rows if row.id not in abandoned]
            if not ids:
                return []
            claimed = await session.execute(
                update(Job)
                .where(Job.id.in_(ids))
                .values(
                    status=JobStatus.running,
                    locked_by=self.name,
                    locked_at=now,
                    attempts=Job.attempts + 1,
                )
                .returning(Job)
            )
            return list(claimed.scalars())

    async def run(self, job: Job) -> None:
        """Run a job this worker claimed, to its end: done, retried with backoff, failed, or
        left alone when its lease was lost to another worker."""
        run = _Run(job, asyncio.current_task(), renewed_at=job.locked_at or utcnow())
        key = (job.id, job.attempts)
        self._runs[key] = run
        try:
            try:
                await self._attempt(job)
            finally:
                # From here on the heartbeat leaves this run alone: a failure is recorded
                # under the same token check, and nothing cancels it halfway.
                del self._runs[key]
        except LeaseLost:
            log.warning("job %s (%s) attempt %d lost its lease", job.id, job.kind, job.attempts)
        except asyncio.CancelledError:
            if not run.lost:
                raise  # the worker is stopping: the lease runs out and another takes it
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            log.warning(
                "job %s (%s) attempt %d stopped: lease lost", job.id, job.kind, job.attempts
            )
        except Exception as exc:
            await self._record_failure(job, exc)

    async def _attempt(self, job: Job) -> None:
        registered = _HANDLERS.get(job.kind)
        if registered is None:
            raise PermanentJobError(f"no handler for job kind {job.kind!r}")
        seconds = registered.timeout.total_seconds()
        try:
            async with asyncio.timeout(seconds) as deadline:
                async with self.db.transaction() as session:
                    await registered.run(session, job, self.resources)
                    await self._finish(session, job)
        except TimeoutError as exc:
            if deadline.expired():
                raise JobTimedOut(f"cancelled after its {seconds:g} s timeout") from exc
            raise

    def _holds(self, job: Job) -> Any:
        """This run still holds the job: running, by this worker, on this attempt."""
        return (
            (Job.id == job.id)
            & (Job.status == JobStatus.running)
            & (Job.locked_by == self.name)
            & (Job.attempts == job.attempts)
        )

    async def _finish(self, session: AsyncSession, job: Job) -> None:
        """Mark the job done in the handler's last transaction, or roll that back if the
        run lost its lease: the run that holds it now does the work."""
        done = await session.execute(
            update(Job)
            .where(self._holds(job))
            .values(status=JobStatus.done, finished_at=utcnow(), locked_by=None)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise LeaseLost(job.id)

    async def _record_failure(self, job: Job, exc: Exception) -> None:
        final = isinstance(exc, PermanentJobError) or job.attempts >= job.max_attempts
        log.warning("job %s (%s) attempt %d failed: %s", job.id, job.kind, job.attempts, exc)
        async with self.db.transaction() as session:
            recorded = await session.execute(
                update(Job)
                .where(self._holds(job))
                .values(
                    status=JobStatus.failed if final else JobStatus.queued,
                    run_after=utcnow() + backoff(job.attempts),
                    last_error=f"{type(exc).__name__}: {exc}"[:2000],
                    locked_by=None,
                    finished_at=utcnow() if final else None,
                )
                .execution_options(synchronize_session=False)
            )
        if recorded.rowcount != 1:  # type: ignore[attr-defined]
            log.warning("job %s attempt %d: not recorded, its lease was lost", job.id, job.attempts)

    # --- leases -----------------------------------------------------------------------------

    async def heartbeat(self) -> None:
        """Renew the lease of every job this worker runs, and stop the runs that lost theirs
        (or could not renew it before it ran out: another worker may have taken them)."""
        runs = list(self._runs.values())
        if not runs:
            return
        now = utcnow()
        try:
            async with self.db.transaction() as session:
                renewed = await session.execute(
                    update(Job)
                    .where(
                        Job.id.in_([run.job.id for run in runs]),
                        Job.status == JobStatus.running,
                        Job.locked_by == self.name,
                    )
                    .values(locked_at=now)
                    .returning(Job.id, Job.attempts)
                    .execution_options(synchronize_session=False)
                )
                held = {(row.id, row.attempts) for row in renewed}
        except Exception:
            for run in self._still_running(runs):
                if run.renewed_at + self.lease <= now:
                    run.lose()
            raise
        for run in self._still_running(runs):
            if (run.job.id, run.job.attempts) in held:
                run.renewed_at = now
            else:
                run.lose()

    def _still_running(self, runs: list[_Run]) -> list[_Run]:
        """Those of `runs` still under way (some may have ended while the heartbeat ran)."""
        return [run for run in runs if self._runs.get((run.job.id, run.job.attempts)) is run]

    @contextlib.asynccontextmanager
    async def _heartbeat(self) -> AsyncIterator[None]:
        """Renew this worker's leases every `heartbeat_seconds` while the block runs."""

        async def beat() -> None:
            while True:
                await asyncio.sleep(self.heartbeat_seconds)
                try:
                    await self.heartbeat()
                except Exception:
                    log.exception("job worker %s could not renew its leases", self.name)

        task = asyncio.create_task(beat(), name=f"job-heartbeat-{self.name}")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # --- retention --------------------------------------------------------------------------

    async def prune(self) -> int:
        """Delete done jobs older than `done_retention` and failed ones older than
        `failed_retention`, a batch per transaction; returns how many went."""
        now = utcnow()
        deleted = 0
        for status, kept in (
            (JobStatus.done, self.done_retention),
            (JobStatus.failed, self.failed_retention),
        ):
            while True:
                batch = (
                    select(Job.id)
                    .where(Job.status == status, Job.finished_at < now - kept)
                    .limit(PRUNE_BATCH)
                )
                async with self.db.transaction() as session:
                    gone = await session.execute(
                        delete(Job)
                        .where(Job.id.in_(batch))
                        .execution_options(synchronize_session=False)
                    )
                count: int = gone.rowcount  # type: ignore[attr-defined]
                deleted += count
                if count < PRUNE_BATCH:
                    break
        return deleted

    async def _prune_when_due(self) -> None:
        started = time.monotonic()
        if self._pruned_at is not None and started - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = started
        deleted = await self.prune()
        if deleted:
            log.info("pruned %d finished jobs", deleted)
