"""GET /api/tasks latency with 100,000 tasks in one company: page 1 against page 1,000.

Keyset pagination should make a deep page cost what the first one does. The app runs
in-process (httpx over ASGI, no sockets), on a scratch SQLite file and a scratch
PostgreSQL database that are thrown away afterwards.

    .venv/bin/python bench/tasks_list.py [--backend sqlite|postgres|both] [--rows N]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from _support import (
    Series,
    analyze,
    app_client,
    bench_user,
    capture_query,
    explain,
    scratch_database,
    time_sql,
)
from sqlalchemy import insert, select

from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.kit.pagination import encode_values
from switchboard.tasks.models import AssignedRole, Task, TaskPriority, TaskSource, TaskStatus
from switchboard.tenancy.models import Role, User

BATCH = 5_000


@dataclass
class Timing:
    backend: str
    rows: int
    page: int
    http: Series
    sql: Series


async def load(db: Database, rows: int) -> tuple[User, float]:
    """One company, one manager, `rows` tasks with distinct creation times; seconds taken."""
    started = time.perf_counter()
    user = await bench_user(db, Role.manager, "Bench Manager")
    base = datetime.now(UTC) - timedelta(days=365)
    statuses = [TaskStatus.open, TaskStatus.open, TaskStatus.completed, TaskStatus.cancelled]
    priorities = list(TaskPriority)
    for start in range(0, rows, BATCH):
        batch: list[dict[str, Any]] = []
        for n in range(start, min(rows, start + BATCH)):
            created = base + timedelta(seconds=n * 300)
            batch.append(
                {
                    "id": uuid.uuid4(),
                    "tenant_id": user.tenant_id,
                    "created_at": created,
                    "updated_at": created,
                    "title": f"Follow up #{n}",
                    "description": None,
                    "status": statuses[n % len(statuses)],
                    "priority": priorities[n % len(priorities)],
                    "due_at": created + timedelta(days=2),
                    "assigned_role": AssignedRole.csr,
                    "assignee_id": user.id if n % 3 == 0 else None,
                    "source": TaskSource.manual,
                    "created_by_id": user.id,
                }
            )
        async with db.transaction() as session:
            await session.execute(insert(Task.__table__), batch)
    await analyze(db, "tasks")
    return user, time.perf_counter() - started


async def cursor_for_page(db: Database, user: User, page: int, limit: int) -> str | None:
    """The cursor the list hands out at the end of page `page - 1`."""
    if page == 1:
        return None
    async with db.transaction() as session:
        row = (
            await session.execute(
                select(Task.created_at, Task.id)
                .where(Task.tenant_id == user.tenant_id)
                .order_by(Task.created_at.desc(), Task.id.desc())
                .offset((page - 1) * limit - 1)
                .limit(1)
            )
        ).one()
    return encode_values([row.created_at, row.id])


async def measure(
    client: httpx.AsyncClient,
    pages: list[dict[str, Any]],
    requests: int,
    warmup: int,
) -> list[list[float]]:
    """Time each page's request, taking the pages in turn so load on the machine falls on
    all of them alike."""
    samples: list[list[float]] = [[] for _ in pages]
    for i in range(warmup + requests):
        for params, kept in zip(pages, samples, strict=True):
            started = time.perf_counter()
            response = await client.get("/api/tasks", params=params)
            elapsed = time.perf_counter() - started
            if response.status_code != 200 or len(response.json()["items"]) != params["limit"]:
                raise SystemExit(f"unexpected answer: {response.status_code} {response.text[:300]}")
            if i >= warmup:
                kept.append(elapsed)
    return samples


async def check_cursor(client: httpx.AsyncClient, db: Database, user: User, limit: int) -> None:
    """The constructed cursor is the one the API itself returns (pages 2 and 3)."""
    cursor = None
    for page in (2, 3):
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        cursor = (await client.get("/api/tasks", params=params)).json()["next_cursor"]
        assert cursor == await cursor_for_page(db, user, page, limit), "cursor mismatch"


async def run_backend(
    url: str, backend: str, args: argparse.Namespace
) -> tuple[list[Timing], float, str]:
    settings = Settings(demo=True, database_url=url, run_worker=False)
    db = Database.from_url(url)
    try:
        user, load_seconds = await load(db, args.rows)
        timings = []
        async with app_client(settings, db, user) as client:
            await check_cursor(client, db, user, args.limit)
            deep_cursor = await cursor_for_page(db, user, args.page, args.limit)
            pages = [{"limit": args.limit}, {"limit": args.limit, "cursor": deep_cursor}]
            queries = [
                await capture_query(db, client.get("/api/tasks", params=params), "tasks")
                for params in pages
            ]
            plan = f"{queries[1][0]}\n{await explain(db, queries[1])}" if args.explain else ""
            http = await measure(client, pages, args.requests, args.warmup)
            for page, samples, query in zip((1, args.page), http, queries, strict=True):
                sql = await time_sql(db, query, args.requests)
                timings.append(
                    Timing(backend, args.rows, page, Series("http", samples), Series("sql", sql))
                )
        return timings, load_seconds, plan
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=1_000, help="the deep page to time")
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--explain", action="store_true", help="print the deep page's plan")
    args = parser.parse_args()
    if args.page * args.limit > args.rows:
        parser.error(f"--rows must be at least --page x --limit ({args.page * args.limit})")

    results: list[Timing] = []
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        with scratch_database(backend) as url:
            timings, load_seconds, plan = asyncio.run(run_backend(url, backend, args))
        print(f"{backend}: loaded {args.rows:,} tasks in {load_seconds:.1f}s", file=sys.stderr)
        if plan:
            print(f"{backend} plan for page {args.page}:\n{plan}\n", file=sys.stderr)
        results += timings

    print(f"GET /api/tasks?limit={args.limit}: {args.requests} requests per page, in-process")
    print(
        f"{'backend':<9} {'rows':>8} {'page':>5} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}"
        f" {'SQL p50 ms':>11}"
    )
    for t in results:
        print(
            f"{t.backend:<9} {t.rows:>8,} {t.page:>5} {t.http.p50:>8.2f} {t.http.p95:>8.2f}"
            f" {t.http.mean:>8.2f} {t.sql.p50:>11.2f}"
        )
    for backend in backends:
        first, deep = (t for t in results if t.backend == backend)
        print(
            f"{backend}: page {deep.page} / page 1 = {deep.http.p50 / first.http.p50:.2f}x at p50, "
            f"{deep.http.p95 / first.http.p95:.2f}x at p95"
            f" (SQL alone {deep.sql.p50 / first.sql.p50:.2f}x)"
        )


if __name__ == "__main__":
    main()
