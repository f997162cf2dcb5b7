"""Database engine, sessions and the unit of work that commits and then runs after-commit hooks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from switchboard.config import DEFAULT_DATABASE_URL, Settings
from switchboard.kit.errors import DatabaseUnavailable
from switchboard.kit.events import EventBus, take_pending

AfterCommit = Callable[[], Awaitable[None]]
_AFTER_COMMIT = "switchboard.after_commit"


def _configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys, and transactions SQLite can actually nest.

    pysqlite's own transaction handling breaks SAVEPOINT, so we take it over; writers start
    with BEGIN IMMEDIATE so two transactions never deadlock upgrading a read lock.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# How long a SQLite transaction may wait for the connection before it fails.
SQLITE_QUEUE_SECONDS = 60
# A pooled PostgreSQL connection older than this is replaced at checkout, before a server
# or proxy idle timeout can have closed it under us.
POOL_RECYCLE_SECONDS = 1800


def _sqlite_pool(url: str) -> dict[str, Any]:
    """One connection for a SQLite file. Every transaction takes the write lock at BEGIN
    IMMEDIATE, so only one can run at a time whatever the pool holds: with one connection the
    others queue for it in the pool, in order, instead of polling in SQLite's busy handler
    (naps of up to 100 ms while the lock may sit free) and failing after its timeout. The
    busy timeout still covers other processes (the CLI, a separate worker) on the same file."""
    if ":memory:" in url or url.rstrip("/").endswith(":"):
        return {}  # an in-memory database already has its single static connection
    return {"pool_size": 1, "max_overflow": 0, "pool_timeout": SQLITE_QUEUE_SECONDS}


def create_engine(
    url: str, *, echo: bool = False, pool_size: int = 10, pre_ping: bool = False
) -> AsyncEngine:
    """The engine. On PostgreSQL, `pre_ping` pings every connection as it is checked out:
    three round trips on every transaction (BEGIN, the ping, ROLLBACK), so it is off by
    default. Without it a connection the server dropped (a restart, a failover) fails the
    one transaction that meets it, and that error invalidates the rest of the pool at once
    (SQLAlchemy's disconnect handling)."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, **_sqlite_pool(url))
        _configure_sqlite(engine.sync_engine)
        return engine
    return create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=pre_ping,
        pool_recycle=POOL_RECYCLE_SECONDS,
    )


class Database:
    """The engine and the session factory the app, the worker and the CLI share, and the
    event bus that a committed transaction's events go to."""

    def __init__(self, engine: AsyncEngine, bind: AsyncConnection | None = None) -> None:
        self.engine = engine
        self.bus: EventBus | None = None
        # Whether two transactions can run at once: not on one bound connection (tests), and
        # not on SQLite, whose transactions take the write lock at BEGIN.
        self.parallel_transactions = bind is None and self.dialect != "sqlite"
        if bind is None:
            self.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        else:
            # Tests: every session joins the test's outer transaction through a savepoint.
            self.sessionmaker = async_sessionmaker(
                bind=bind, expire_on_commit=False, join_transaction_mode="create_savepoint"
            )

    @classmethod
    def from_url(
        cls, url: str, *, echo: bool = False, pool_size: int = 10, pre_ping: bool = False
    ) -> Database:
        return cls(create_engine(url, echo=echo, pool_size=pool_size, pre_ping=pre_ping))

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        """The database as configured: how the app, the worker and the CLI all build it."""
        return cls.from_url(
            settings.database_url,
            echo=settings.database_echo,
            pool_size=settings.database_pool_size,
            pre_ping=settings.database_pre_ping,
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """Commit on success, roll back on error, then run the after-commit hooks."""
        async with self.sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            await run_after_commit(session)
            await self.publish_pending(session)

    async def publish_pending(self, session: AsyncSession) -> None:
        pending = take_pending(session)
        if pending and self.bus is not None:
            await self.bus.publish_many(pending)

    async def ping(self) -> None:
        """One round trip to the database; raises whatever the driver raises if it is down."""
        async with self.sessionmaker() as session:
            await session.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def dialect_of(session: AsyncSession) -> str:
    """ "postgresql" or "sqlite": the database a session talks to."""
    return session.get_bind().dialect.name


def after_commit(session: AsyncSession, hook: AfterCommit) -> None:
    """Run `hook` once the session's transaction has committed; never if it rolls back."""
    session.info.setdefault(_AFTER_COMMIT, []).append(hook)


async def run_after_commit(session: AsyncSession) -> None:
    hooks: list[AfterCommit] = session.info.pop(_AFTER_COMMIT, [])
    for hook in hooks:
        await hook()


# PostgreSQL's SQLSTATEs for a connection it refused, and what the user should fix.
_REFUSALS = {
    "3D000": "create the database or fix its name",  # invalid_catalog_name
    "28000": "fix the user",  # invalid_authorization_specification (no such role)
    "28P01": "fix the password",  # invalid_password
}


def unavailable(exc: BaseException, url: str | URL) -> DatabaseUnavailable | None:
    """The one line a person should read for an error met while connecting to `url`: what
    went wrong and what to fix. None when `exc` is not a failure to connect."""
    if isinstance(exc, DatabaseUnavailable):
        return exc
    parsed = make_url(url)
    # A DBAPI error without a statement was raised by the connect itself.
    refused = exc.orig if isinstance(exc, DBAPIError) and exc.statement is None else None
    if parsed.get_backend_name() == "sqlite":
        if refused is None:
            return None
        path = Path(parsed.database or "")
        if not path.parent.is_dir():
            return missing_directory(path)
        return DatabaseUnavailable(f"cannot open the SQLite database {path}: {refused}")
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    if isinstance(exc, OSError):  # refused, unknown host, timed out
        reason = (
            "connection refused"
            if isinstance(exc, ConnectionRefusedError)
            else exc.strerror or str(exc) or type(exc).__name__
        )
        return DatabaseUnavailable(
            f"cannot reach PostgreSQL at {where} ({reason}): start it, or fix the host and "
            "port in SWITCHBOARD_DATABASE_URL"
        )
    if refused is not None:
        fix = _REFUSALS.get(getattr(refused, "sqlstate", None) or "", "fix the URL")
        return DatabaseUnavailable(
            f"PostgreSQL at {where} refused the connection ({refused}): {fix} in "
            "SWITCHBOARD_DATABASE_URL"
        )
    return None


def missing_directory(path: Path) -> DatabaseUnavailable:
    return DatabaseUnavailable(
        f"the directory {path.parent} for the SQLite database does not exist: create it "
        f"(mkdir -p {path.parent}) or point SWITCHBOARD_DATABASE_URL elsewhere"
    )


def prepare_sqlite_directory(settings: Settings) -> None:
    """Make the default database's directory (`var/`) on first use. Any other missing
    directory is refused: a mistyped path would otherwise get a new, empty database."""
    path = settings.sqlite_path()
    if path is None or path.parent.is_dir():
        return
    if settings.database_url != DEFAULT_DATABASE_URL:
        raise missing_directory(path)
    path.parent.mkdir(parents=True, exist_ok=True)
