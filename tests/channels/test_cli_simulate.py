"""`switchboard sms simulate`: its signature is the one Twilio's validator expects, and it
delivers a text to a live server (uvicorn on a loopback port, real commits)."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from sqlalchemy import delete, select
from twilio.request_validator import RequestValidator
from typer.testing import CliRunner

from switchboard.app import create_app
from switchboard.channels.twilio.cli import inbound_params, signature_for
from switchboard.cli import app as cli
from switchboard.config import Settings, get_settings
from switchboard.kit.db import Database
from switchboard.messaging.models import Message
from switchboard.tenancy.models import ChannelAccount, ChannelKind, Tenant


def test_the_signature_is_what_twilios_validator_accepts() -> None:
    url = "https://example.ngrok.app/webhooks/twilio/sms"
    params = inbound_params(
        sender="+13125550123",
        to="+15555550100",
        body="Hi & bye = ok?",
        whatsapp=True,
        profile_name="Jo",
        media=["https://example.test/a.png", "https://example.test/b.jpg"],
    )
    signature = signature_for("token-1", url, params)
    assert RequestValidator("token-1").validate(url, params, signature)
    assert not RequestValidator("token-2").validate(url, params, signature)
    assert params["From"] == "whatsapp:+13125550123"
    assert params["MediaContentType0"] == "image/png" and params["NumMedia"] == "2"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    settings: Settings


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    port = _free_port()
    served = settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}"})
    server = uvicorn.Server(
        uvicorn.Config(create_app(served), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield LiveServer(served.public_url, served)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
async def demo_number(database_url: str) -> AsyncIterator[tuple[Database, str]]:
    db = Database.from_url(database_url)
    number = f"+1555{uuid.uuid4().int % 10**7:07d}"
    async with db.transaction() as session:
        tenant = Tenant(name="CLI Co", slug=f"cli-{uuid.uuid4().hex[:10]}")
        session.add(tenant)
        await session.flush()
        session.add(ChannelAccount(tenant_id=tenant.id, kind=ChannelKind.sms, address=number))
    try:
        yield db, number
    finally:
        async with db.transaction() as session:
            await session.execute(delete(Tenant).where(Tenant.id == tenant.id))
        await db.dispose()


async def test_simulate_posts_a_signed_text_to_a_running_server(
    live_server: LiveServer, demo_number: tuple[Database, str]
) -> None:
    db, number = demo_number
    env = {
        "SWITCHBOARD_DEMO": "true",
        "SWITCHBOARD_PUBLIC_URL": live_server.url,
        "SWITCHBOARD_TWILIO_AUTH_TOKEN": live_server.settings.twilio_auth_token,
    }
    get_settings.cache_clear()
    try:
        args = ["sms", "simulate", "--from", "(312) 555-0199", "--to", number, "Need a quote"]
        result = CliRunner().invoke(cli, args, env=env)
        get_settings.cache_clear()
        wrong_token = CliRunner().invoke(
            cli, args, env={**env, "SWITCHBOARD_TWILIO_AUTH_TOKEN": "not-the-token"}
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert result.output.startswith("200 SM")
    assert wrong_token.exit_code == 1 and wrong_token.output.startswith("403")
    async with db.transaction() as session:
        stored = (
            await session.execute(select(Message).where(Message.to_address == number))
        ).scalar_one()
    assert (stored.body, stored.from_address) == ("Need a quote", "+13125550199")
