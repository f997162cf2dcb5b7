"""The `switchboard user create` command against a fresh, migrated SQLite file.

Sync tests: the CLI runs its own event loop with asyncio.run."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from switchboard.cli import app
from switchboard.config import get_settings
from switchboard.kit import migrate
from switchboard.kit.db import Database
from switchboard.tenancy.models import Tenant, User
from switchboard.tenancy.security import verify_password

runner = CliRunner()


@dataclass
class Cli:
    url: str
    slug: str

    def user(self, *args: str, input: str | None = None) -> tuple[int, str]:
        result = runner.invoke(app, ["user", "create", *args], input=input)
        return result.exit_code, result.output

    def users(self) -> list[User]:
        async def read() -> list[User]:
            db = Database.from_url(self.url)
            try:
                async with db.transaction() as session:
                    return list((await session.execute(select(User))).scalars())
            finally:
                await db.dispose()

        return asyncio.run(read())


async def _create_tenant(url: str, slug: str) -> None:
    db = Database.from_url(url)
    try:
        async with db.transaction() as session:
            session.add(Tenant(name="Acme Roofing", slug=slug))
    finally:
        await db.dispose()


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    migrate.upgrade(url)
    asyncio.run(_create_tenant(url, "acme"))
    monkeypatch.setenv("SWITCHBOARD_DATABASE_URL", url)
    monkeypatch.setenv("SWITCHBOARD_DEMO", "true")
    get_settings.cache_clear()
    yield Cli(url, "acme")
    get_settings.cache_clear()


def test_user_create(cli: Cli) -> None:
    code, output = cli.user(
        "--email", "Ann@Example.com", "--name", "Ann Lee", "--role", "csr",
        "--tenant", "acme", "--password", "s3cret-pw",
    )  # fmt: skip
    assert code == 0, output
    assert "created csr ann@example.com" in output
    [user] = cli.users()
    assert (user.email, user.name, user.role, user.active) == (
        "ann@example.com",
        "Ann Lee",
        "csr",
        True,
    )
    assert verify_password("s3cret-pw", user.password_hash)
    assert "s3cret-pw" not in output


def test_password_is_prompted_twice(cli: Cli) -> None:
    code, output = cli.user(
        "--email", "rep@example.com", "--name", "Rey", "--role", "rep", "--tenant", "acme",
        input="pw-1234\npw-1234\n",
    )  # fmt: skip
    assert code == 0, output
    assert verify_password("pw-1234", cli.users()[0].password_hash)


def test_invalid_role_fails_with_a_message(cli: Cli) -> None:
    code, output = cli.user(
        "--email", "x@example.com", "--name", "X", "--role", "boss",
        "--tenant", "acme", "--password", "pw-1234",
    )  # fmt: skip
    assert code != 0
    assert "role" in output
    assert cli.users() == []


def test_duplicate_email_is_an_error(cli: Cli) -> None:
    args = ["--name", "Ann", "--role", "manager", "--tenant", "acme", "--password", "pw-1234"]
    assert cli.user("--email", "ann@example.com", *args)[0] == 0
    code, output = cli.user("--email", "ANN@example.com", *args)
    assert code == 1
    assert "already exists" in output
    assert len(cli.users()) == 1


def test_unknown_tenant_and_bad_email(cli: Cli) -> None:
    base = ["--name", "Ann", "--role", "csr", "--password", "pw-1234"]
    code, output = cli.user("--email", "ann@example.com", "--tenant", "nope", *base)
    assert code == 1 and "no tenant" in output
    code, output = cli.user("--email", "not-an-email", "--tenant", "acme", *base)
    assert code != 0 and "email" in output
    assert cli.users() == []


def test_test_domain_addresses_are_accepted(cli: Cli) -> None:
    # The demo logins live on .test; a staff account there must be creatable too.
    args = ["--name", "Dee", "--role", "csr", "--tenant", "acme", "--password", "pw-1234"]
    assert cli.user("--email", "dee@demo.test", *args)[0] == 0
    assert [u.email for u in cli.users()] == ["dee@demo.test"]
