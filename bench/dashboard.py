"""The manager's /dashboard over 90 days beside the 7-day view, for a company with 100,000
calls in those 90 days (and the leads, texts, appointments, tasks and assistant chats a
company that busy has). Aim: the 90-day page under 200 ms on PostgreSQL, from indexes, with
no cache. The app runs in-process (httpx over ASGI), signed in with the web session cookie
as a browser is, on a scratch database thrown away afterwards.

    .venv/bin/python bench/dashboard.py [--backend postgres|sqlite|both] [--calls N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from _support import Series, analyze, app_client, bench_user, explain, scratch_database
from sqlalchemy import Table, event, insert

from switchboard.assistant.models import ChatMessage, ChatRole, Conversation
from switchboard.config import Settings
from switchboard.crm.models import (
    Appointment,
    AppointmentStatus,
    Call,
    CallDirection,
    CallOutcome,
    ContactCard,
    HandledByRole,
    Lead,
    LeadStatus,
)
from switchboard.kit.db import Database
from switchboard.messaging.models import (
    Channel,
    Direction,
    Message,
    MessageStatus,
    MessagingSession,
    Sender,
)
from switchboard.tasks.models import AssignedRole, Task, TaskPriority, TaskSource, TaskStatus
from switchboard.tenancy.models import Role, User
from switchboard.tenancy.security import SESSION_COOKIE
from switchboard.tenancy.service import issue_token

BATCH = 5_000
DAYS = 90
AIM_MS = 200.0


@dataclass(frozen=True)
class Volume:
    """Everything else scales with the calls, as in a busy contact centre."""

    calls: int

    @property
    def contacts(self) -> int:
        return max(100, self.calls // 20)

    @property
    def leads(self) -> int:
        return self.calls // 7

    @property
    def messages(self) -> int:
        return self.calls // 3

    @property
    def appointments(self) -> int:
        return self.calls // 25

    @property
    def tasks(self) -> int:
        return self.calls // 20

    @property
    def chats(self) -> int:
        return max(10, self.calls // 200)


async def _insert(db: Database, table: Any, rows: list[dict[str, Any]]) -> None:
    target: Table = table.__table__
    for start in range(0, len(rows), BATCH):
        async with db.transaction() as session:
            await session.execute(insert(target), rows[start : start + BATCH])


def _spread(n: int, count: int, now: datetime) -> datetime:
    """The n-th of `count` instants spread evenly over the last DAYS days."""
    return now - timedelta(seconds=(DAYS * 86_400 - 60) * (count - n) / count)


async def load(db: Database, volume: Volume) -> tuple[User, float]:
    started = time.perf_counter()
    user = await bench_user(db, Role.manager, "Bench Manager")
    tenant_id, now = user.tenant_id, datetime.now(UTC)

    def row(at: datetime, **fields: Any) -> dict[str, Any]:
        return {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "created_at": at,
            "updated_at": at,
            **fields,
        }

    contacts = [
        row(now - timedelta(days=120), first_name=f"Customer {n}", tags=[], consent={})
        for n in range(volume.contacts)
    ]
    await _insert(db, ContactCard, contacts)
    contact_ids = [c["id"] for c in contacts]

    outcomes = list(CallOutcome)
    roles = [HandledByRole.csr, HandledByRole.csr, HandledByRole.rep, HandledByRole.ai, None]
    await _insert(
        db,
        Call,
        [
            row(
                at := _spread(n, volume.calls, now),
                contact_id=contact_ids[n % len(contact_ids)] if n % 4 else None,
                direction=CallDirection.inbound if n % 3 else CallDirection.outbound,
                from_number=f"+1720{n % 10_000_000:07d}",
                to_number="+15555550100",
                started_at=at,
                duration_seconds=n % 600,
                outcome=outcomes[n % len(outcomes)] if n % 11 else None,
                handled_by_role=roles[n % len(roles)],
                provider="manual",
                provider_call_id=f"bench-{n}",
            )
            for n in range(volume.calls)
        ],
    )

    statuses, sources = list(LeadStatus), ["web", "call", "referral", "google", None]
    await _insert(
        db,
        Lead,
        [
            row(
                at := _spread(n, volume.leads, now),
                contact_id=contact_ids[n % len(contact_ids)],
                status=statuses[n % len(statuses)],
                source=sources[n % len(sources)],
                estimated_value=Decimal(5_000 + (n % 20) * 1_000),
                first_response_at=at + timedelta(seconds=30 + n % 3_000) if n % 5 else None,
            )
            for n in range(volume.leads)
        ],
    )

    sessions = [
        row(
            now - timedelta(days=DAYS),
            contact_id=contact_id,
            channel=Channel.sms,
            counterpart_address=f"+1303{n:07d}",
            our_address="+15555550100",
            first_message_at=now - timedelta(days=DAYS),
            last_message_at=now - timedelta(days=1),
        )
        for n, contact_id in enumerate(contact_ids)
    ]
    await _insert(db, MessagingSession, sessions)
    message_statuses = [
        MessageStatus.delivered,
        MessageStatus.read,
        MessageStatus.sent,
        MessageStatus.failed,
        MessageStatus.delivered,
    ]
    await _insert(
        db,
        Message,
        [
            row(
                _spread(n, volume.messages, now),
                session_id=sessions[n % len(sessions)]["id"],
                contact_id=sessions[n % len(sessions)]["contact_id"],
                direction=Direction.outbound if n % 2 else Direction.inbound,
                sender=(Sender.otto if n % 4 == 1 else Sender.csr) if n % 2 else Sender.customer,
                kind="manual",
                channel=Channel.sms,
                body=f"Message {n}",
                media=[],
                provider_message_id=f"SMbench{n}",
                status=message_statuses[n % len(message_statuses)] if n % 2 else "received",
            )
            for n in range(volume.messages)
        ],
    )

    appointment_statuses = list(AppointmentStatus)
    await _insert(
        db,
        Appointment,
        [
            row(
                at := _spread(n, volume.appointments, now),
                contact_id=contact_ids[n % len(contact_ids)],
                rep_id=user.id,
                starts_at=at,
                ends_at=at + timedelta(hours=1),
                status=appointment_statuses[n % len(appointment_statuses)],
            )
            for n in range(volume.appointments)
        ],
    )

    task_sources = list(TaskSource)
    await _insert(
        db,
        Task,
        [
            row(
                at := _spread(n, volume.tasks, now),
                title=f"Follow up #{n}",
                status=TaskStatus.completed if n % 3 == 0 else TaskStatus.open,
                completed_at=at + timedelta(hours=2) if n % 3 == 0 else None,
                priority=list(TaskPriority)[n % 3],
                due_at=at + timedelta(days=1),
                assigned_role=AssignedRole.csr,
                source=task_sources[n % len(task_sources)],
            )
            for n in range(volume.tasks)
        ],
    )

    conversations, chat = [], []
    questions = ["What is overdue?", "Who needs a call back?", "Summarise my day", "New leads?"]
    for n in range(volume.chats):
        at = _spread(n, volume.chats, now)
        conversation = row(at, owner_id=user.id, title=f"Chat {n}", last_message_at=at)
        conversations.append(conversation)
        for seq in range(3):
            common = {"conversation_id": conversation["id"], "tool_calls": [], "context": None}
            chat.append(
                row(at, seq=2 * seq, role=ChatRole.user, content=questions[(n + seq) % 4], **common)
            )
            chat.append(
                row(
                    at,
                    seq=2 * seq + 1,
                    role=ChatRole.assistant,
                    content="An answer.",
                    model="builtin" if n % 2 else "gpt-4o-mini",
                    prompt_tokens=900,
                    completion_tokens=120,
                    **{
                        **common,
                        "tool_calls": [
                            {"name": "create_task", "status": "ok" if n % 9 else "error"}
                        ],
                    },
                )
            )
    await _insert(db, Conversation, conversations)
    await _insert(db, ChatMessage, chat)
    await settle(db)
    return user, time.perf_counter() - started


async def settle(db: Database) -> None:
    """What autovacuum does after a bulk load: planner statistics, and on PostgreSQL the
    visibility map that lets an index-only scan skip the table."""
    if db.dialect != "postgresql":
        await analyze(db)
        return
    async with db.engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.exec_driver_sql("VACUUM (ANALYZE)")


@dataclass
class Timing:
    backend: str
    period: str
    http: Series
    queries: int
    sql_ms: float
    slowest: list[tuple[float, str]]
    cpu_ms: float | None


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


async def backend_cpu(db: Database) -> float | None:
    """CPU seconds used so far by this database's PostgreSQL backends (from /proc: the
    server runs on this machine), or None when they cannot be read."""
    async with db.engine.connect() as conn:
        pids = (
            await conn.exec_driver_sql(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            )
        ).scalars()
        return _cpu_of(list(pids))


def _cpu_of(pids: list[int]) -> float | None:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
    return total


async def cpu_per_page(
    db: Database, client: httpx.AsyncClient, url: str, runs: int
) -> float | None:
    """CPU milliseconds one page costs, the app's and the database's together: what it would
    take on an idle machine, whatever else shares this one."""
    if db.dialect != "postgresql":
        return None
    before_db, before_app = await backend_cpu(db), time.process_time()
    for _ in range(runs):
        await client.get(url)
    after_app, after_db = time.process_time(), await backend_cpu(db)
    if before_db is None or after_db is None:
        return None
    return ((after_app - before_app) + (after_db - before_db)) / runs * 1000


async def per_query(
    db: Database,
    client: httpx.AsyncClient,
    url: str,
    runs: int,
    explain_to: list[str] | None = None,
) -> tuple[int, float, list[tuple[float, str]]]:
    """How many statements one page runs and the database's time in them (mean over runs),
    the slowest three named by their first words."""
    spent: dict[str, float] = defaultdict(float)
    started_at: dict[int, float] = {}
    counted: list[str] = []
    params: dict[str, Any] = {}

    def before(_conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        started_at[id(cursor)] = time.perf_counter()

    def after(_conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        spent[statement] += time.perf_counter() - started_at.pop(id(cursor), time.perf_counter())
        counted.append(statement)
        params[statement] = parameters

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        for _ in range(runs):
            await client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    total = sum(spent.values()) / runs * 1000
    ranked = sorted(spent.items(), key=lambda item: -item[1])[:3]
    if explain_to is not None:
        for sql, _ in ranked:
            explain_to.append(f"{sql}\n{await explain(db, (sql, params[sql]))}")
    slowest = [(ms / runs * 1000, " ".join(sql.split())[:90]) for sql, ms in ranked]
    return len(counted) // runs, total, slowest


async def run_backend(
    url: str, backend: str, args: argparse.Namespace
) -> tuple[list[Timing], float]:
    settings = Settings(demo=True, database_url=url, run_worker=False)
    db = Database.from_url(url)
    try:
        user, load_seconds = await load(db, Volume(args.calls))
        periods = ["7d", "90d"]
        samples: dict[str, list[float]] = {p: [] for p in periods}
        async with app_client(settings, db, user) as client:
            client.cookies.set(SESSION_COOKIE, issue_token(settings, user))
            for period in periods:  # the page renders, and holds the period's numbers
                page = await client.get(f"/dashboard?period={period}")
                assert page.status_code == 200 and 'role="img"' in page.text, page.text[:400]
            for i in range(args.warmup + args.requests):
                for period in periods:  # in turn, so load on the machine falls on both alike
                    started = time.perf_counter()
                    response = await client.get(f"/dashboard?period={period}")
                    elapsed = time.perf_counter() - started
                    if response.status_code != 200:
                        raise SystemExit(f"unexpected answer {response.status_code}")
                    if i >= args.warmup:
                        samples[period].append(elapsed)
            timings = []
            for period in periods:
                plans: list[str] | None = [] if args.explain and period == "90d" else None
                queries, sql_ms, slowest = await per_query(
                    db, client, f"/dashboard?period={period}", 5, plans
                )
                for plan in plans or []:
                    print(f"{backend} plan:\n{plan}\n", file=sys.stderr)
                cpu = await cpu_per_page(db, client, f"/dashboard?period={period}", args.requests)
                timings.append(
                    Timing(
                        backend,
                        period,
                        Series(period, samples[period]),
                        queries,
                        sql_ms,
                        slowest,
                        cpu,
                    )
                )
        return timings, load_seconds
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="postgres")
    parser.add_argument("--calls", type=int, default=100_000, help="calls in the 90 days")
    parser.add_argument("--requests", type=int, default=40, help="timed requests per period")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--explain", action="store_true", help="plans of the 90d's slowest three")
    args = parser.parse_args()

    results: list[Timing] = []
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    volume = Volume(args.calls)
    for backend in backends:
        with scratch_database(backend) as url:
            timings, load_seconds = asyncio.run(run_backend(url, backend, args))
        print(
            f"{backend}: loaded {volume.calls:,} calls, {volume.leads:,} leads, "
            f"{volume.messages:,} messages, {volume.appointments:,} appointments, "
            f"{volume.tasks:,} tasks, {volume.chats:,} assistant chats in {load_seconds:.1f}s",
            file=sys.stderr,
        )
        results += timings

    print(f"GET /dashboard (manager), {args.requests} requests per period, in-process")
    print(
        f"{'backend':<9} {'period':>6} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'queries':>8} {'SQL ms':>8}"
        f" {'CPU ms':>8}"
    )
    for t in results:
        print(
            f"{t.backend:<9} {t.period:>6} {t.http.p50:>8.1f} {t.http.p95:>8.1f} {t.http.mean:>8.1f}"
            f" {t.queries:>8} {t.sql_ms:>8.1f} {'-' if t.cpu_ms is None else f'{t.cpu_ms:.1f}':>8}"
        )
    for t in results:
        print(f"{t.backend} {t.period} slowest statements:")
        for ms, sql in t.slowest:
            print(f"  {ms:7.1f} ms  {sql}")
    for backend in backends:
        week, quarter = (t for t in results if t.backend == backend)
        verdict = "met" if quarter.http.p50 < AIM_MS else "NOT met"
        print(
            f"{backend}: 90d p50 {quarter.http.p50:.1f} ms (aim < {AIM_MS:.0f} ms: {verdict}), "
            f"{quarter.http.p50 / week.http.p50:.2f}x the 7-day view"
        )
        if quarter.cpu_ms is not None:
            verdict = "met" if quarter.cpu_ms < AIM_MS else "NOT met"
            print(
                f"{backend}: 90d CPU {quarter.cpu_ms:.1f} ms per page, app and database "
                f"(aim < {AIM_MS:.0f} ms on an idle machine: {verdict}); load average "
                f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores during the run"
            )


if __name__ == "__main__":
    main()
