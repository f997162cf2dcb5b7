"""The CLI against a database it cannot use: one line on stderr that says what to fix and a
non-zero exit, never a traceback; `serve` refuses to start; reverting to base asks first.

Sync tests: the CLI runs its own event loop. The wrong-URL cases run the real program in
subprocesses, as a shell would; the others go through typer's CliRunner."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from switchboard import cli
from switchboard.cli import app
from switchboard.config import get_settings
from switchboard.kit import migrate, runtime
from switchboard.kit.db import create_engine
from tests.conftest import PG_ADMIN_URL

runner = CliRunner()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens once it is closed


def _run_all(
    cwd: Path, cases: list[tuple[str, list[str]]]
) -> list[subprocess.CompletedProcess[str]]:
    """Run `switchboard ARGS` with each SWITCHBOARD_DATABASE_URL, all at once."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "switchboard.cli", *args],
            env={
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "SWITCHBOARD_DEMO": "true",
                "SWITCHBOARD_DATABASE_URL": url,
                # Should a `serve` start after all, not on a port someone else is using.
                "SWITCHBOARD_PORT": str(_closed_port()),
            },
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        for url, args in cases
    ]
    done = []
    for process in processes:
        try:
            out, err = process.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        done.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return done


def _assert_one_line(result: subprocess.CompletedProcess[str], code: int, says: str) -> None:
    assert result.returncode == code, (result.args, result.stderr[-2000:])
    assert result.stderr.splitlines() == [result.stderr.strip()], result.stderr[-2000:]
    assert result.stderr.startswith("error: ") and says in result.stderr, result.stderr
    assert result.stdout == ""


def test_a_wrong_database_url_is_one_line_with_the_fix(tmp_path: Path) -> None:
    port = _closed_port()
    closed = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/switchboard"
    cases: list[tuple[str, list[str], int, str]] = [
        ("notaurl", ["db", "upgrade"], 2, "not a database URL; write postgresql+asyncpg://"),
        ("mysql://sb:pw@127.0.0.1/sb", ["db", "upgrade"], 2, "mysql is not supported"),
        ("sqlite:///sb.db", ["db", "upgrade"], 2, "write sqlite+aiosqlite:///sb.db"),
        ("sqlite:///sb.db", ["serve"], 2, "write sqlite+aiosqlite:///sb.db"),
        (closed, ["db", "upgrade"], 1, f"cannot reach PostgreSQL at 127.0.0.1:{port}"),
        (closed, ["seed", "--demo"], 1, "(connection refused): start it"),
        # It used to start anyway and answer 500 on every sign-in.
        (closed, ["serve"], 1, f"cannot reach PostgreSQL at 127.0.0.1:{port}"),
    ]
    results = _run_all(tmp_path, [(url, args) for url, args, _, _ in cases])
    for (_, _, code, says), result in zip(cases, results, strict=True):
        _assert_one_line(result, code, says)
    assert not (tmp_path / "sb.db").exists()


@pytest.mark.postgres
def test_a_wrong_role_or_database_on_postgres_is_one_line(tmp_path: Path) -> None:
    server = PG_ADMIN_URL.rsplit("@", 1)[1].rsplit("/", 1)[0]
    cases = [
        (f"postgresql+asyncpg://no_such_role@{server}/postgres", ["db", "upgrade"]),
        (f"postgresql+asyncpg://no_such_role@{server}/postgres", ["serve"]),
        (f"postgresql+asyncpg://postgres@{server}/no_such_database", ["db", "upgrade"]),
    ]
    role, serve, database = _run_all(tmp_path, cases)
    if "cannot reach PostgreSQL" in role.stderr:
        pytest.skip(f"PostgreSQL not reachable at {server}")
    for result in (role, serve):
        _assert_one_line(result, 1, 'role "no_such_role" does not exist): fix the user')
    _assert_one_line(database, 1, "create the database or fix its name")


def test_an_unknown_revision_is_one_line(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sb.db'}"
    migrate.upgrade(url)
    down, up = _run_all(
        tmp_path,
        [(url, ["db", "downgrade", "--revision", "nope"]), (url, ["db", "upgrade", "--revision", "nope"])],
    )  # fmt: skip
    for result in (down, up):
        _assert_one_line(result, 1, "Can't locate revision identified by 'nope'")
        assert "0003_inbox" in result.stderr  # it names the revisions there are


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """SWITCHBOARD_DATABASE_URL set to a SQLite file in `tmp_path` that does not exist yet."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'sb.db'}"
    monkeypatch.setenv("SWITCHBOARD_DATABASE_URL", url)
    monkeypatch.setenv("SWITCHBOARD_DEMO", "true")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What `serve` handed to uvicorn: nothing when it refused to start. (Nor does it tune
    the test process's garbage collector for serving.)"""
    calls: list[Any] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **options: calls.append(app))
    monkeypatch.setattr(runtime, "settle_garbage_collector", lambda: None)
    return calls


def _tables(url: str) -> set[str]:
    async def read() -> set[str]:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_serve_refuses_a_database_that_is_not_migrated(sqlite_url: str, served: list[Any]) -> None:
    result = runner.invoke(app, ["serve"])
    assert (result.exit_code, served) == (1, [])
    assert "there is no database at" in result.output and "switchboard db upgrade" in result.output
    assert not Path(sqlite_url.split("///", 1)[1]).exists()  # and it made no empty file

    migrate.upgrade(sqlite_url, "0002_assistant")
    result = runner.invoke(app, ["serve"])
    assert (result.exit_code, served) == (1, [])
    assert "is at revision 0002_assistant" in result.output
    assert "run `switchboard db upgrade`" in result.output

    migrate.upgrade(sqlite_url)
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 0, result.output
    assert len(served) == 1


def test_a_sqlite_file_under_a_missing_directory_is_not_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "no" / "such" / "dir"
    monkeypatch.setenv("SWITCHBOARD_DATABASE_URL", f"sqlite+aiosqlite:///{missing / 'sb.db'}")
    monkeypatch.setenv("SWITCHBOARD_DEMO", "true")
    get_settings.cache_clear()
    try:
        for command in (["db", "upgrade"], ["seed", "--demo"], ["db", "downgrade", "--yes"]):
            result = runner.invoke(app, command)
            assert result.exit_code == 1, result.output
            assert f"the directory {missing} for the SQLite database does not exist" in (
                result.output
            )
            assert f"mkdir -p {missing}" in result.output
        assert not (tmp_path / "no").exists()
    finally:
        get_settings.cache_clear()


def test_the_default_var_directory_is_made_for_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served: list[Any]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SWITCHBOARD_DATABASE_URL", raising=False)
    monkeypatch.delenv("SWITCHBOARD_DEMO", raising=False)
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["demo"])
    finally:
        get_settings.cache_clear()
        os.environ.pop("SWITCHBOARD_DEMO", None)  # `demo` sets it for its own process
    assert result.exit_code == 0, result.output
    assert "manager@demo.test" in result.output and len(served) == 1
    assert (tmp_path / "var" / "switchboard.db").is_file()


def test_reverting_to_base_asks_first(sqlite_url: str) -> None:
    migrate.upgrade(sqlite_url)
    refused = runner.invoke(app, ["db", "downgrade"], input="n\n")
    assert refused.exit_code == 1
    assert "drops every Switchboard table" in refused.output
    assert "tasks" in _tables(sqlite_url)

    agreed = runner.invoke(app, ["db", "downgrade"], input="y\n")
    assert agreed.exit_code == 0, agreed.output
    assert _tables(sqlite_url) <= {"alembic_version"}

    migrate.upgrade(sqlite_url)
    unasked = runner.invoke(app, ["db", "downgrade", "--yes"])
    assert unasked.exit_code == 0, unasked.output
    assert "drops every" not in unasked.output
    assert _tables(sqlite_url) <= {"alembic_version"}


def test_one_step_down_does_not_ask(sqlite_url: str) -> None:
    migrate.upgrade(sqlite_url)
    result = runner.invoke(app, ["db", "downgrade", "--revision", "-1"])
    assert result.exit_code == 0, result.output
    assert "tasks" in _tables(sqlite_url)
