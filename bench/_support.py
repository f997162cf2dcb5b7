"""What the benchmarks share: a scratch database per run, its company and user, the app
driven in-process or served on a loopback port, and the database's share of a request (its
query captured from the app, replayed alone, explained)."""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, text

from switchboard.app import create_app
from switchboard.config import Settings
from switchboard.kit import migrate
from switchboard.kit.db import Database
from switchboard.tenancy.models import Role, Tenant, User
from switchboard.tenancy.security import hash_password
from switchboard.tenancy.service import issue_token

PG_ADMIN_URL = os.environ.get(
    "SWITCHBOARD_BENCH_PG_ADMIN_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
Query = tuple[str, Any]
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Series:
    """Timings of one thing, in seconds; percentiles and means reported in milliseconds."""

    label: str
    samples: list[float]

    def pct(self, q: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000

    @property
    def p50(self) -> float:
        return self.pct(0.50)

    @property
    def p95(self) -> float:
        return self.pct(0.95)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples) * 1000


async def pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def scratch_database(backend: str) -> Iterator[str]:
    """A migrated, empty database for one run (a temporary SQLite file or a PostgreSQL
    database named switchboard_bench_*), removed afterwards even on failure."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="switchboard-bench-") as scratch:
            url = f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
            migrate.upgrade(url)
            yield url
        return
    name = f"switchboard_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        migrate.upgrade(url)
        yield url
    finally:
        asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def bench_user(db: Database, role: Role, name: str) -> User:
    """A new company with one user of `role` in it, committed."""
    async with db.transaction() as session:
        tenant = Tenant(name="Bench Roofing", slug=f"bench-{uuid.uuid4().hex[:8]}")
        session.add(tenant)
        await session.flush()
        user = User(
            tenant_id=tenant.id,
            email=f"bench-{uuid.uuid4().hex[:8]}@example.com",
            name=name,
            role=role,
            password_hash=hash_password("bench"),
        )
        session.add(user)
    return user


async def analyze(db: Database, table: str | None = None) -> None:
    """Planner statistics after a bulk load: of `table` on PostgreSQL (every table without
    one), of every table on SQLite."""
    only = f" {table}" if table and db.dialect == "postgresql" else ""
    async with db.transaction() as session:
        await session.execute(text(f"ANALYZE{only}"))


@asynccontextmanager
async def app_client(
    settings: Settings, db: Database, user: User
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app (`create_app`) driven in-process through httpx over ASGI, no sockets,
    every request carrying `user`'s bearer token."""
    app = create_app(settings, db=db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://bench",
        headers={"Authorization": f"Bearer {issue_token(settings, user)}"},
    ) as client:
        yield client


async def capture_query(db: Database, request: Awaitable[Any], table: str) -> Query:
    """The last ordered SELECT from `table` (SQL and parameters) that `request` ran."""
    captured: list[Query] = []

    def grab(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if f"FROM {table}" in statement and "ORDER BY" in statement:
            captured.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", grab)
    try:
        await request
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", grab)
    return captured[-1]


async def explain(db: Database, query: Query) -> str:
    statement, parameters = query
    prefix = "EXPLAIN ANALYZE " if db.dialect == "postgresql" else "EXPLAIN QUERY PLAN "
    async with db.engine.connect() as conn:
        result = await conn.exec_driver_sql(prefix + statement, parameters)
        return "\n".join(" ".join(str(v) for v in row) for row in result.all())


async def time_sql(db: Database, query: Query, runs: int) -> list[float]:
    """The database's share: the query alone, rows fetched, no ORM, no HTTP."""
    statement, parameters = query
    samples = []
    async with db.engine.connect() as conn:
        for _ in range(runs):
            started = time.perf_counter()
            (await conn.exec_driver_sql(statement, parameters)).all()
            samples.append(time.perf_counter() - started)
    return samples


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(base: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Until the served app answers /readyz, or fail if it exits or takes too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not become ready")
