"""Run Alembic migrations from code (CLI, app start in demo mode, tests), and tell whether a
database is ready to serve: reachable and migrated to this version."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, Connection, make_url

from switchboard.kit.db import Database, missing_directory, unavailable
from switchboard.kit.errors import DatabaseUnavailable, SwitchboardError

ROOT = Path(__file__).resolve().parents[3]
VERSION_TABLE = "alembic_version"  # Alembic's default; migrations/env.py keeps it


def alembic_config(database_url: str | None = None, connection: Connection | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if database_url:
        config.attributes["database_url"] = database_url
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def revisions() -> list[str]:
    """Every revision, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def upgrade(database_url: str, revision: str = "head") -> None:
    with _explained(database_url):
        command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    require_existing_sqlite(database_url)
    with _explained(database_url):
        command.downgrade(alembic_config(database_url), revision)


@contextmanager
def _explained(database_url: str) -> Iterator[None]:
    """Alembic's and the driver's errors a person can fix, as one SwitchboardError line."""
    try:
        yield
    except CommandError as exc:  # an unknown revision, or one on the wrong side of "current"
        raise SwitchboardError(
            f"{exc}; the revisions, oldest first: {', '.join(revisions())} (or base, head, -1, +1)"
        ) from None
    except Exception as exc:
        problem = unavailable(exc, database_url)
        if problem is None:
            raise
        raise problem from None


def require_existing_sqlite(database_url: str | URL) -> None:
    """A SQLite file that is not there yet is a mistake everywhere but `db upgrade`:
    connecting would create it empty."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    path = Path(url.database)
    if not path.parent.is_dir():
        raise missing_directory(path)
    if not path.exists():
        raise DatabaseUnavailable(
            f"there is no database at {path}: run `switchboard db upgrade` "
            "(or `switchboard demo`) first"
        )


def _current_heads(connection: Connection) -> tuple[str, ...]:
    # Read directly: a MigrationContext would log its set-up into a command's one-line answer.
    if not inspect(connection).has_table(VERSION_TABLE):
        return ()
    return tuple(connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


async def check_ready(db: Database) -> None:
    """Raise DatabaseUnavailable, with the reason and the fix, when the service cannot run on
    `db`: it cannot be reached, or it is not migrated up to this version. A database at a
    revision this version does not know passes: a newer version migrated it, and old
    processes keep running beside new ones during a rolling deploy."""
    url = db.engine.url
    require_existing_sqlite(url)
    try:
        async with db.engine.connect() as connection:
            current = set(await connection.run_sync(_current_heads))
    except Exception as exc:
        problem = unavailable(exc, url)
        if problem is None:
            raise
        raise problem from None
    needed = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    if not current:
        raise DatabaseUnavailable(
            "the database has no Switchboard tables yet: run `switchboard db upgrade`"
        )
    if current != needed and current <= set(revisions()):
        raise DatabaseUnavailable(
            f"the database is at revision {', '.join(sorted(current))} but this version needs "
            f"{', '.join(sorted(needed))}: run `switchboard db upgrade`"
        )
