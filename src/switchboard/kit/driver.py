"""Hot statements run on PostgreSQL's driver (asyncpg) directly, in the session's transaction.

SQLAlchemy's async execution path costs more CPU than the statement it runs when that
statement is small and the server is busy: every execution goes through a greenlet, the
compiled cache's lookup, the bind processors of every parameter (element by element for
an array) and a result object that wraps each row. For the few statements that every
inbound webhook runs, `DriverStatement` compiles the Core statement once, for asyncpg, and
runs it on the session's own connection (so in its transaction), with the parameters as
the driver takes them. The statement is still written, typed and
reviewed as SQLAlchemy Core; only its execution skips a layer.

What it gives up, deliberately: no bind processors run (values must already be what
asyncpg encodes: aware datetimes, UUIDs, str, int, lists of those, JSON as text), no result
processors run (rows are asyncpg Records, UUIDs are asyncpg's UUID, a subclass of
uuid.UUID), and the driver's errors reach the caller unwrapped (asyncpg exceptions, not
SQLAlchemy's), and the session does not autoflush first: flush what the statement must
see. Used only on PostgreSQL; SQLite keeps the ordinary path."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast

from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

_DIALECT = PGDialect_asyncpg(paramstyle="numeric_dollar")


@dataclass(frozen=True)
class _Compiled:
    sql: str  # with $1, $2, ... placeholders
    names: Sequence[str]  # the bind parameter of each placeholder
    defaults: Mapping[str, Any]  # values the statement carries itself (a LIMIT, a literal)


class DriverStatement:
    """A Core statement compiled once for asyncpg; `fetch` runs it in a session's
    transaction. Compiled on first use from `build`, so a module can declare it before
    every table it names is mapped."""

    def __init__(self, build: Callable[[], ClauseElement]) -> None:
        self._build = build

    @cached_property
    def _compiled(self) -> _Compiled:
        compiled = cast(SQLCompiler, self._build().compile(dialect=_DIALECT))
        return _Compiled(compiled.string, compiled.positiontup or (), compiled.params)

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        """The positional arguments for `params`, by bind parameter name."""
        compiled = self._compiled
        return [
            params[name] if name in params else compiled.defaults[name] for name in compiled.names
        ]

    async def fetch(self, session: AsyncSession, params: Mapping[str, Any]) -> list[Any]:
        """The statement's rows (asyncpg Records), run on the session's connection."""
        driver, arguments = await self._prepare(session, params)
        return list(await driver.fetch(self._compiled.sql, *arguments))

    async def fetchval(self, session: AsyncSession, params: Mapping[str, Any]) -> Any:
        """The first column of the first row."""
        driver, arguments = await self._prepare(session, params)
        return await driver.fetchval(self._compiled.sql, *arguments)

    async def _prepare(
        self, session: AsyncSession, params: Mapping[str, Any]
    ) -> tuple[Any, list[Any]]:
        """The asyncpg connection under the session's transaction (begun if need be), and
        the arguments. The engine's `before_cursor_execute` listeners still see the
        statement (SQL echo, statement counts in tests), without a cursor or context."""
        sync, driver = await _connections(session)
        arguments = self.arguments(params)
        if sync.engine.echo:  # as SQLAlchemy's own echo writes it
            sync.engine.logger.info("%s\n[driver] %r", self._compiled.sql, arguments)
        for listener in sync.dispatch.before_cursor_execute:
            listener(sync, None, self._compiled.sql, arguments, None, False)
        return driver, arguments


_CONNECTIONS = "switchboard.driver_connections"


async def _connections(session: AsyncSession) -> tuple[Connection, Any]:
    """The session's connection and the asyncpg connection under it, looked up once per
    transaction: each lookup is two greenlet round trips through SQLAlchemy."""
    transaction = session.sync_session.get_transaction()
    cached = session.info.get(_CONNECTIONS)
    if transaction is not None and cached is not None and cached[0] is transaction:
        return cached[1], cached[2]
    connection = await session.connection()  # begins the transaction if need be
    raw = await connection.get_raw_connection()
    sync = connection.sync_connection
    assert sync is not None
    session.info[_CONNECTIONS] = (
        session.sync_session.get_transaction(),
        sync,
        raw.driver_connection,
    )
    return sync, raw.driver_connection
