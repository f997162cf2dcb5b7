"""Test fixtures: the same suite on SQLite and PostgreSQL, migrations applied once per
database, each test inside a transaction that is rolled back."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from switchboard.app import create_app
from switchboard.config import Settings
from switchboard.kit import migrate
from switchboard.kit.clock import set_clock
from switchboard.kit.db import Database, create_engine
from switchboard.kit.resources import Resources
from switchboard.tenancy.models import User
from tests.factories import Factory

PG_ADMIN_URL = os.environ.get(
    "SWITCHBOARD_TEST_PG_ADMIN_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("SWITCHBOARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BACKENDS = ["sqlite", "postgres"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Mark the tests that need a server, so CI can tell when one was skipped.
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec and callspec.params.get("database_url") == "postgres":
            item.add_marker(pytest.mark.postgres)
        if "redis_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.redis)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped PostgreSQL, Redis or browser test is a failure: they must be there."""
    if os.environ.get("CI", "").lower() != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    needed = [r for r in skipped if {"postgres", "redis", "browser"} & set(r.keywords)]
    if needed:
        reporter.write_line(
            f"CI: {len(needed)} PostgreSQL, Redis or browser tests were skipped; that fails the run.",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


async def _create_pg_database() -> str:
    import asyncpg

    name = f"switchboard_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    dsn = PG_ADMIN_URL.replace("postgresql+asyncpg", "postgresql")
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def _drop_pg_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session", params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A migrated, empty database of each kind, for the whole session."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        await asyncio.to_thread(migrate.upgrade, url)
        yield url
        return
    try:
        name = await _create_pg_database()
    except (TimeoutError, OSError) as exc:
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    await asyncio.to_thread(migrate.upgrade, url)
    yield url
    await _drop_pg_database(name)


@pytest.fixture(scope="session")
def backend(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgres"


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncIterator[Database]:
    """A Database whose every session joins one transaction, rolled back after the test."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        yield Database(engine, bind=connection)
        await transaction.rollback()


@pytest.fixture
async def session(db: Database) -> AsyncIterator[AsyncSession]:
    async with db.sessionmaker() as session:
        yield session


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        demo=True,
        database_url=database_url,
        run_worker=False,
        public_url="https://switchboard.test",
    )


@pytest.fixture
async def redis_url() -> str:
    """The test Redis (database 15), or a skip when it is unreachable (a failure in CI)."""
    import redis.asyncio as redis

    client = redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (OSError, redis.RedisError) as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    finally:
        await client.aclose()
    return REDIS_URL


@pytest.fixture
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    """The test app's settings and clients (sender, model): give it to a `Worker` that
    should send or answer as the test's app would."""
    resources = Resources(settings)
    yield resources
    await resources.aclose()


@pytest.fixture
async def client(
    settings: Settings, db: Database, resources: Resources
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, db=db, resources=resources)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
async def factory(session: AsyncSession, settings: Settings) -> Factory:
    return Factory(session, settings)


@pytest.fixture
def as_user(settings: Settings) -> object:
    """`headers = as_user(user)`: bearer headers for a user."""
    from switchboard.tenancy.service import issue_token

    def headers(user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(settings, user)}"}

    return headers


@pytest.fixture
def frozen_clock() -> Iterator[object]:
    """Pin "now"; `frozen_clock.advance(seconds)` moves it."""
    from datetime import UTC, datetime, timedelta

    class Clock:
        def __init__(self) -> None:
            self.now = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)

        def __call__(self) -> datetime:
            return self.now

        def advance(self, seconds: float) -> None:
            self.now += timedelta(seconds=seconds)

    clock = Clock()
    set_clock(clock)
    yield clock
    set_clock(None)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never reach the internet: only loopback and local sockets may be dialled."""
    import socket

    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and not str(host).startswith(("127.", "::1", "localhost")):
            raise RuntimeError(f"tests may not reach the network ({host})")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Forget what FastAPI learnt of each endpoint. It caches that by the function object
    (4,096 of them), and the docs pages fastapi-offline adds are closures over their app, so
    every app a test built stayed alive: 8 million objects by the end of the suite, whose
    full collections took 90 of its seconds. A server builds one app and never needs this."""
    import fastapi.dependencies.models as fastapi_dependencies

    for value in vars(fastapi_dependencies).values():
        cache_clear = getattr(value, "cache_clear", None)
        if callable(cache_clear):
            cache_clear()


ROOT = Path(__file__).resolve().parents[1]
