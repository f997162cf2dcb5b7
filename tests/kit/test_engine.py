"""Engine settings: SQLite transactions queue for one connection; PostgreSQL pings
connections only when asked to."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from switchboard.config import Settings
from switchboard.kit.db import Database, create_engine


async def test_concurrent_sqlite_transactions_queue_instead_of_failing(tmp_path: Path) -> None:
    db = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'queue.db'}")
    async with db.transaction() as session:
        await session.execute(text("CREATE TABLE hits (n INTEGER)"))

    async def write(n: int) -> None:
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO hits VALUES (:n)"), {"n": n})
            await asyncio.sleep(0.005)  # hold the write lock across an await, as requests do

    try:
        await asyncio.wait_for(asyncio.gather(*(write(n) for n in range(40))), timeout=20)
        async with db.transaction() as session:
            assert (await session.execute(text("SELECT count(*) FROM hits"))).scalar() == 40
        assert db.engine.pool.size() == 1  # type: ignore[attr-defined]
    finally:
        await db.dispose()


def test_postgres_pings_pooled_connections_only_when_asked() -> None:
    url = "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    assert create_engine(url).pool._pre_ping is False
    assert create_engine(url, pre_ping=True).pool._pre_ping is True


def test_the_database_is_built_with_every_database_setting() -> None:
    settings = Settings(
        demo=True,
        database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none",
        database_echo=True,
        database_pool_size=3,
        database_pre_ping=True,
    )
    engine = Database.from_settings(settings).engine
    assert engine.echo is True
    assert engine.pool.size() == 3  # type: ignore[attr-defined]
    assert engine.pool._pre_ping is True
