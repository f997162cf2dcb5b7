"""Setting up a company from the command line (`tenant create`, `channel add`, `user
create`) against a fresh, migrated SQLite file.

Sync tests: the CLI runs its own event loop with asyncio.run."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from switchboard.cli import app
from switchboard.config import get_settings
from switchboard.kit import migrate
from switchboard.kit.db import Database
from switchboard.tenancy.models import ChannelAccount, Tenant, User
from switchboard.tenancy.security import verify_password

runner = CliRunner()
M = TypeVar("M")


@dataclass
class Cli:
    url: str
    slug: str

    def run(self, *args: str, input: str | None = None) -> tuple[int, str]:
        result = runner.invoke(app, list(args), input=input)
        return result.exit_code, result.output

    def user(self, *args: str, input: str | None = None) -> tuple[int, str]:
        return self.run("user", "create", *args, input=input)

    def users(self) -> list[User]:
        return self.rows(User)

    def rows(self, model: type[M]) -> list[M]:
        async def read() -> list[M]:
            db = Database.from_url(self.url)
            try:
                async with db.transaction() as session:
                    return list((await session.execute(select(model))).scalars())
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
        input="pw-12345678\npw-12345678\n",
    )  # fmt: skip
    assert code == 0, output
    assert verify_password("pw-12345678", cli.users()[0].password_hash)


def test_invalid_role_fails_with_a_message(cli: Cli) -> None:
    code, output = cli.user(
        "--email", "x@example.com", "--name", "X", "--role", "boss",
        "--tenant", "acme", "--password", "pw-12345678",
    )  # fmt: skip
    assert code != 0
    assert "role" in output
    assert cli.users() == []


def test_duplicate_email_is_an_error(cli: Cli) -> None:
    args = ["--name", "Ann", "--role", "manager", "--tenant", "acme", "--password", "pw-12345678"]
    assert cli.user("--email", "ann@example.com", *args)[0] == 0
    code, output = cli.user("--email", "ANN@example.com", *args)
    assert code == 1
    assert "already exists" in output
    assert len(cli.users()) == 1


def test_unknown_tenant_and_bad_email(cli: Cli) -> None:
    base = ["--name", "Ann", "--role", "csr", "--password", "pw-12345678"]
    code, output = cli.user("--email", "ann@example.com", "--tenant", "nope", *base)
    assert code == 1 and "no tenant" in output
    code, output = cli.user("--email", "not-an-email", "--tenant", "acme", *base)
    assert code != 0 and "email" in output
    assert cli.users() == []


def test_test_domain_addresses_are_accepted(cli: Cli) -> None:
    # The demo logins live on .test; a staff account there must be creatable too.
    args = ["--name", "Dee", "--role", "csr", "--tenant", "acme", "--password", "pw-12345678"]
    assert cli.user("--email", "dee@demo.test", *args)[0] == 0
    assert [u.email for u in cli.users()] == ["dee@demo.test"]


def test_setting_up_a_company_from_scratch(cli: Cli) -> None:
    """What the README's "Running in production" does: a company, its number, its manager."""
    code, output = cli.run(
        "tenant", "create", "--name", "Summit Roofing", "--slug", "summit", "--timezone", "America/Denver"
    )  # fmt: skip
    assert code == 0, output
    assert "created tenant Summit Roofing (summit, America/Denver)" in output
    code, output = cli.run(
        "channel", "add", "--tenant", "summit", "--kind", "sms", "--address", "(720) 555-0100"
    )  # fmt: skip
    assert code == 0, output
    assert "added SMS +17205550100 to Summit Roofing" in output
    code, output = cli.run(
        "channel", "add", "--tenant", "summit", "--kind", "whatsapp", "--address", "+17205550100",
        "--label", "WhatsApp line",
    )  # fmt: skip
    assert code == 0 and "whatsapp:+17205550100" in output
    code, output = cli.user(
        "--tenant", "summit", "--email", "mona@summit.test", "--name", "Mona", "--role", "manager",
        "--password-stdin", input="a long secret\n",
    )  # fmt: skip
    assert code == 0, output
    assert "a long secret" not in output

    summit = next(t for t in cli.rows(Tenant) if t.slug == "summit")
    assert (summit.name, summit.timezone) == ("Summit Roofing", "America/Denver")
    accounts = sorted((a.kind, a.address, a.label) for a in cli.rows(ChannelAccount))
    assert accounts == [
        ("sms", "+17205550100", None),
        ("whatsapp", "whatsapp:+17205550100", "WhatsApp line"),
    ]
    assert all(a.tenant_id == summit.id for a in cli.rows(ChannelAccount))
    [mona] = cli.users()
    assert (mona.tenant_id, mona.role) == (summit.id, "manager")
    assert verify_password("a long secret", mona.password_hash)


def test_tenant_create_refuses_a_taken_slug_and_an_unknown_zone(cli: Cli) -> None:
    code, output = cli.run("tenant", "create", "--name", "Acme Again", "--slug", "acme")
    assert code == 1 and "already exists" in output
    code, output = cli.run(
        "tenant", "create", "--name", "Nowhere", "--slug", "nowhere", "--timezone", "Mars/Base"
    )
    assert code == 2 and "not a time zone" in output
    code, output = cli.run("tenant", "create", "--name", "Caps", "--slug", "Has Spaces")
    assert code == 2 and "slug" in output
    assert [t.slug for t in cli.rows(Tenant)] == ["acme"]


def test_channel_add_refuses_another_companys_number(cli: Cli) -> None:
    assert cli.run("tenant", "create", "--name", "Rival", "--slug", "rival")[0] == 0
    add = ["channel", "add", "--kind", "sms", "--address", "+13035550100"]
    assert cli.run(*add, "--tenant", "rival")[0] == 0
    code, output = cli.run(*add, "--tenant", "acme")
    assert code == 1
    assert "+13035550100 belongs to another company" in output
    code, output = cli.run(
        "channel", "add", "--tenant", "acme", "--kind", "voice", "--address", "+13035550100"
    )
    assert code == 1 and "belongs to another company" in output  # on any channel
    code, output = cli.run(
        "channel", "add", "--tenant", "acme", "--kind", "fax", "--address", "+13035550101"
    )
    assert code == 2 and "kind" in output
    code, output = cli.run(
        "channel", "add", "--tenant", "nope", "--kind", "sms", "--address", "+13035550101"
    )
    assert code == 1 and "no tenant with slug 'nope'" in output
    assert len(cli.rows(ChannelAccount)) == 1


def test_password_from_stdin_and_its_mistakes(cli: Cli) -> None:
    base = ["--email", "pat@example.com", "--name", "Pat", "--role", "csr", "--tenant", "acme"]
    code, output = cli.user(*base, "--password-stdin", input="")
    assert code == 2 and "password" in output
    code, output = cli.user(*base, "--password-stdin", input="short\n")
    assert code == 2 and "at least 8 characters" in output
    code, output = cli.user(*base, "--password", "x" * 10, "--password-stdin", input="y" * 10)
    assert code == 2 and "not both" in output
    assert cli.users() == []
    code, output = cli.user(*base, "--password-stdin", input="with spaces inside\r\n")
    assert code == 0, output
    assert verify_password("with spaces inside", cli.users()[0].password_hash)
