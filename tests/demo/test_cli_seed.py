"""`switchboard seed --demo` end to end: a fresh SQLite file, migrated, seeded twice.

A plain sync test without the database fixtures: the CLI runs its own event loop and its
own engine, exactly as it does from a shell.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from switchboard.cli import app
from switchboard.config import get_settings


@pytest.fixture
def fresh_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "demo.db"
    monkeypatch.setenv("SWITCHBOARD_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("SWITCHBOARD_DEMO", "true")
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def test_seed_demo_twice_adds_nothing_the_second_time(fresh_database: Path) -> None:
    runner = CliRunner()
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output

    first = runner.invoke(app, ["seed", "--demo"])
    assert first.exit_code == 0, first.output
    assert "Summit Roofing & Solar" in first.output and "69 calls" in first.output
    assert "Lakeside Heating & Air" in first.output

    second = runner.invoke(app, ["seed", "--demo"])
    assert second.exit_code == 0, second.output
    assert "nothing was added" in second.output
    assert "69 calls" not in second.output


def test_seed_without_demo_flag_refuses(fresh_database: Path) -> None:
    result = CliRunner().invoke(app, ["seed"])
    assert result.exit_code == 2
