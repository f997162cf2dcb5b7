"""Background jobs kept in the database: enqueued in the caller's transaction, run after it
commits by a worker with its own session, retried with backoff, never lost."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
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
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.dml import Insert

from switchboard.kit.bulk import as_arrays, unnest_rows
from switchboard.kit.clock import utcnow
from switchboard.kit.db import Database, after_commit
from switchboard.kit.models import Base, RecordMixin
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
    locked_by: Mapped[str | None] = mapped_column(String(128))
    locked_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]


class PermanentJobError(Exception):
    """A failure that retrying cannot fix: the job ends `failed` at once."""


JobHandler = Callable[[AsyncSession, Job], Awaitable[None]]
_HANDLERS: dict[str, JobHandler] = {}
_wakeups: list[asyncio.Event] = []


def job_handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    def register(fn: JobHandler) -> JobHandler:
        _HANDLERS[kind] = fn
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


class Worker:
    """Claims due jobs and runs them; several workers (and processes) can share one table."""

    STALE_AFTER = timedelta(minutes=5)

    def __init__(self, db: Database, *, poll_seconds: float = 1.0, concurrency: int = 4) -> None:
        self.db = db
        self.poll_seconds = poll_seconds
        self.concurrency = concurrency
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._wakeup = asyncio.Event()
        self._stopping = False

    async def run_forever(self) -> None:
        _wakeups.append(self._wakeup)
        try:
            while not self._stopping:
                ran = await self.run_due()
                if ran:
                    continue
                self._wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), timeout=self.poll_seconds)
        finally:
            _wakeups.remove(self._wakeup)

    def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()

    async def run_due(self) -> int:
        """Run the jobs that are due now; returns how many ran."""
        jobs = await self._claim(self.concurrency)
        if jobs:
            await asyncio.gather(*(self._run(job) for job in jobs))
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

    async def _claim(self, limit: int) -> list[Job]:
        now = utcnow()
        async with self.db.transaction() as session:
            due = (
                select(Job.id)
                .where(
                    or_(
                        (Job.status == JobStatus.queued) & (Job.run_after <= now),
                        (Job.status == JobStatus.running)
                        & (Job.locked_at < now - self.STALE_AFTER),
                    )
                )
                .order_by(Job.run_after)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            ids = list((await session.execute(due)).scalars())
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

    async def _run(self, job: Job) -> None:
        handler = _HANDLERS.get(job.kind)
        try:
            if handler is None:
                raise PermanentJobError(f"no handler for job kind {job.kind!r}")
            async with self.db.transaction() as session:
                await handler(session, job)
                await session.execute(
                    update(Job)
                    .where(Job.id == job.id)
                    .values(status=JobStatus.done, finished_at=utcnow(), locked_by=None)
                )
        except Exception as exc:
            await self._record_failure(job, exc)

    async def _record_failure(self, job: Job, exc: Exception) -> None:
        final = isinstance(exc, PermanentJobError) or job.attempts >= job.max_attempts
        log.warning("job %s (%s) attempt %d failed: %s", job.id, job.kind, job.attempts, exc)
        async with self.db.transaction() as session:
            await session.execute(
                update(Job)
                .where(Job.id == job.id)
                .values(
                    status=JobStatus.failed if final else JobStatus.queued,
                    run_after=utcnow() + backoff(job.attempts),
                    last_error=f"{type(exc).__name__}: {exc}"[:2000],
                    locked_by=None,
                    finished_at=utcnow() if final else None,
                )
            )
