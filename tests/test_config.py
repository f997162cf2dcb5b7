"""Settings: the service refuses the public demo secrets outside demo mode, and a database URL
it cannot run on."""

from __future__ import annotations

import re
import socket
import subprocess
import sys

import pytest
from pydantic import ValidationError

from switchboard.config import DEMO_SECRET_KEY, DEMO_TWILIO_AUTH_TOKEN, Settings

OWN_SECRET = "x" * 40
OWN_TOKEN = "our-own-twilio-auth-token"


def test_demo_secret_is_refused_outside_demo_mode() -> None:
    with pytest.raises(ValidationError, match="demo key"):
        Settings(demo=False, secret_key=DEMO_SECRET_KEY)
    assert Settings(demo=True).secret_key == DEMO_SECRET_KEY
    own = Settings(demo=False, secret_key=OWN_SECRET, twilio_auth_token=OWN_TOKEN)
    assert own.secret_key == OWN_SECRET


def test_short_secret_and_demo_twilio_token_are_refused() -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(demo=False, secret_key="short")
    with pytest.raises(ValidationError, match="demo token"):
        Settings(demo=False, secret_key=OWN_SECRET, twilio_account_sid="AC123")


@pytest.mark.parametrize(
    "others",
    [{}, {"twilio_account_sid": "AC123"}, {"sms_sender": "simulated"}, {"sms_sender": "twilio"}],
)
def test_demo_twilio_token_is_refused_outside_demo_mode_whatever_else_is_set(
    others: dict[str, str],
) -> None:
    # Without an account SID the demo token used to pass, and verified forged webhooks.
    with pytest.raises(ValidationError, match="SWITCHBOARD_TWILIO_AUTH_TOKEN is the public demo"):
        Settings(demo=False, secret_key=OWN_SECRET, **others)
    assert Settings(demo=True, **others).twilio_auth_token == DEMO_TWILIO_AUTH_TOKEN
    assert Settings(demo=False, secret_key=OWN_SECRET, twilio_auth_token=OWN_TOKEN, **others)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("notaurl", "not a database URL; write postgresql+asyncpg://"),
        ("mysql://u:pw@127.0.0.1/sb", "mysql is not supported"),
        ("sqlite:///var/sb.db", "write sqlite+aiosqlite:///var/sb.db"),
        ("postgresql://ann:pw@db/sb", "write postgresql+asyncpg://ann:***@db/sb"),
        ("postgres://ann@db/sb", "write postgresql+asyncpg://ann@db/sb"),
        ("postgresql+psycopg://ann@db/sb", "write postgresql+asyncpg://ann@db/sb"),
    ],
)
def test_a_database_url_it_cannot_run_on_is_refused_with_the_fix(url: str, says: str) -> None:
    with pytest.raises(ValidationError, match=r"(?s)database_url.*" + re.escape(says)) as refused:
        Settings(demo=True, database_url=url)
    assert "pw" not in str(refused.value.errors()[0]["msg"])


def test_usable_database_urls_pass() -> None:
    for url in (
        "sqlite+aiosqlite:///var/switchboard.db",
        "sqlite+aiosqlite:////abs/path.db",
        "sqlite+aiosqlite://",
        "postgresql+asyncpg://ann:pw@db:5432/sb",
    ):
        assert Settings(demo=True, database_url=url).database_url == url


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_DEMO", "true")
    monkeypatch.setenv("SWITCHBOARD_DATABASE_URL", "postgresql+asyncpg://db/sb")
    monkeypatch.setenv("SWITCHBOARD_SESSION_GAP_SECONDS", "120")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    settings = Settings()
    assert (settings.database_url, settings.session_gap_seconds, settings.openai_api_key) == (
        "postgresql+asyncpg://db/sb",
        120,
        "sk-test",
    )
    assert not settings.is_sqlite


def _serve(tmp_path: object, **env: str) -> subprocess.CompletedProcess[str]:
    with socket.socket() as probe:  # should it start after all, not on a port in use
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    return subprocess.run(
        [sys.executable, "-m", "switchboard.cli", "serve"],
        env={"PATH": "/usr/bin:/bin", "SWITCHBOARD_DEMO": "false", "SWITCHBOARD_PORT": port, **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=str(tmp_path),
    )


def test_serve_refuses_to_start_with_the_demo_secret(tmp_path: object) -> None:
    result = _serve(tmp_path)
    assert result.returncode == 2
    assert "demo key" in result.stderr and "Traceback" not in result.stderr


def test_serve_refuses_to_start_with_the_demo_twilio_token(tmp_path: object) -> None:
    # An own secret and no Twilio account: the published token would still sign webhooks.
    result = _serve(tmp_path, SWITCHBOARD_SECRET_KEY=OWN_SECRET)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: SWITCHBOARD_TWILIO_AUTH_TOKEN is the public demo token, which anyone can sign "
        "webhooks with; set your Twilio account's auth token"
    ]
