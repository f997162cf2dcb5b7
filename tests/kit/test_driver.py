"""`DriverStatement` runs a Core statement on asyncpg itself, inside the session's transaction."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Integer, Uuid, bindparam, event, func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from switchboard.kit.db import Database
from switchboard.kit.driver import DriverStatement
from switchboard.tenancy.models import Tenant
from tests.factories import Factory

_TENANTS = Tenant.__table__


# asyncpg runs PostgreSQL only; SQLite keeps the ordinary path.
pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


_NAMES = DriverStatement(
    lambda: (
        select(_TENANTS.c.name)
        .where(_TENANTS.c.id == func.any(bindparam("ids", type_=postgresql.ARRAY(Uuid()))))
        .order_by(_TENANTS.c.name)
        .limit(2)
    )
)


async def test_binds_by_name_and_fills_in_the_statements_own_values(
    session: AsyncSession, factory: Factory
) -> None:
    tenants = [await factory.tenant(name=name) for name in ("Cedar", "Alder", "Birch")]
    await session.flush()
    rows = await _NAMES.fetch(session, {"ids": [tenant.id for tenant in tenants]})
    # The LIMIT's value is the statement's own, not a parameter the caller gives.
    assert [row["name"] for row in rows] == ["Alder", "Birch"]
    assert _NAMES.arguments({"ids": []}) == [[], 2]


async def test_runs_in_the_sessions_transaction(db: Database, session: AsyncSession) -> None:
    await session.execute(text("CREATE TEMPORARY TABLE driver_probe (n integer)"))
    insert = DriverStatement(lambda: text("INSERT INTO driver_probe VALUES (:n) RETURNING n"))
    count = text("SELECT count(*) FROM driver_probe")
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            assert await insert.fetchval(tx, {"n": 7}) == 7
            # The ORM session sees the row the driver wrote: one transaction, one connection.
            assert (await tx.execute(count)).scalar_one() == 1
            raise RuntimeError("roll back")
    async with db.transaction() as tx:
        assert (await tx.execute(count)).scalar_one() == 0


async def test_the_engines_listeners_see_each_statement(
    session: AsyncSession, engine: AsyncEngine
) -> None:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        seen.append((statement, parameters))

    statement = DriverStatement(lambda: select(bindparam("n", type_=Integer) + 1))
    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        assert await statement.fetchval(session, {"n": 41}) == 42
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    ours = [(sql, args) for sql, args in seen if not sql.startswith("SAVEPOINT")]
    assert ours == [("SELECT $1::INTEGER + $2::INTEGER AS anon_1", [41, 1])]


async def test_after_a_commit_the_session_begins_again(db: Database) -> None:
    backend_pid = DriverStatement(lambda: select(func.pg_backend_pid()))
    async with db.sessionmaker() as session:
        first = await backend_pid.fetchval(session, {})
        assert await backend_pid.fetchval(session, {}) == first  # one connection per transaction
        await session.commit()
        assert not session.in_transaction()
        # Not the connection remembered from the last transaction: the session's own, begun.
        await backend_pid.fetchval(session, {})
        assert session.in_transaction()
