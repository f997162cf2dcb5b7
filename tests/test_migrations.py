"""Migrations: one head, up to head, down to base and up again on fresh databases of both
kinds, and the models match the migrated schema (what `alembic check` would say)."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from switchboard.kit import migrate
from switchboard.kit.db import create_engine
from switchboard.models import Base

PG_ADMIN_URL = os.environ.get(
    "SWITCHBOARD_TEST_PG_ADMIN_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


def _made_by_migrations_only(name: str | None) -> bool:
    """Full-text search objects are raw SQL in 0002_assistant, not part of the models."""
    return name is not None and (
        name.startswith("chat_messages_fts") or name.startswith("ix_chat_messages_fts")
    )


def _include_object(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
    return not _made_by_migrations_only(name)


async def _inspect(url: str) -> tuple[set[str], list[Any]]:
    """The tables in the database, and how the models differ from them."""
    engine = create_engine(url)

    def look(connection: Connection) -> tuple[set[str], list[Any]]:
        tables = set(inspect(connection).get_table_names())
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": _include_object}
        )
        return tables, compare_metadata(context, Base.metadata)

    try:
        async with engine.connect() as connection:
            return await connection.run_sync(look)
    finally:
        await engine.dispose()


def _round_trip(url: str) -> None:
    model_tables = set(Base.metadata.tables)

    migrate.upgrade(url)
    tables, diff = asyncio.run(_inspect(url))
    assert model_tables <= tables
    assert diff == [], f"the models and the migrations disagree: {diff}"

    migrate.downgrade(url, "base")
    tables, _ = asyncio.run(_inspect(url))
    assert {t for t in tables if not _made_by_migrations_only(t)} <= {"alembic_version"}
    assert not any(_made_by_migrations_only(t) for t in tables)

    migrate.upgrade(url)
    tables, diff = asyncio.run(_inspect(url))
    assert model_tables <= tables
    assert diff == []


def test_there_is_one_head() -> None:
    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    heads = scripts.get_heads()
    assert len(heads) == 1, f"migrations branch: {heads}; merge them or rebase the new one"
    revisions = list(scripts.walk_revisions())
    assert revisions[-1].down_revision is None  # one root


def test_sqlite_round_trip(tmp_path: Path) -> None:
    _round_trip(f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}")


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(
        PG_ADMIN_URL.replace("postgresql+asyncpg", "postgresql"), timeout=5
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.mark.postgres
def test_postgres_round_trip() -> None:
    name = f"switchboard_migrations_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, TimeoutError) as exc:
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    try:
        _round_trip(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
