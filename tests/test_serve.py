"""`switchboard serve` as its own process, the way it runs in production: it starts, answers
/readyz, and stores a burst of signed webhooks (the batched path, real commits). A fresh
interpreter imports the app in its own order, which the in-process tests never do."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import delete, func, select
from twilio.request_validator import RequestValidator

from switchboard.kit.db import Database
from switchboard.kit.jobs import Job
from switchboard.messaging.models import Message
from switchboard.tenancy.models import ChannelAccount, ChannelKind, Tenant

TOKEN = "serve-test-twilio-token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def company(database_url: str) -> AsyncIterator[tuple[Database, uuid.UUID, str]]:
    """A tenant with an SMS number, committed (the server is another process)."""
    db = Database.from_url(database_url)
    number = f"+1555{uuid.uuid4().int % 10**7:07d}"
    async with db.transaction() as session:
        tenant = Tenant(name="Served Roofing", slug=f"served-{uuid.uuid4().hex[:10]}")
        session.add(tenant)
        await session.flush()
        session.add(ChannelAccount(tenant_id=tenant.id, kind=ChannelKind.sms, address=number))
    try:
        yield db, tenant.id, number
    finally:
        async with db.transaction() as session:
            await session.execute(delete(Tenant).where(Tenant.id == tenant.id))
        await db.dispose()


async def test_the_served_process_stores_a_burst_of_webhooks(
    company: tuple[Database, uuid.UUID, str], database_url: str
) -> None:
    db, tenant_id, number = company
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "SWITCHBOARD_DEMO": "true",
        "SWITCHBOARD_DATABASE_URL": database_url,
        "SWITCHBOARD_PUBLIC_URL": base,
        "SWITCHBOARD_TWILIO_AUTH_TOKEN": TOKEN,
        "SWITCHBOARD_RUN_WORKER": "false",
        "SWITCHBOARD_LOG_LEVEL": "WARNING",
    }
    env.pop("SWITCHBOARD_REDIS_URL", None)
    command = [sys.executable, "-m", "switchboard.cli", "serve", "--port", str(port)]
    server = await asyncio.create_subprocess_exec(*command, env=env)
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            deadline = time.monotonic() + 30
            while True:
                assert server.returncode is None, "the server exited"
                assert time.monotonic() < deadline, "the server did not become ready"
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)

            async def post(n: int) -> httpx.Response:
                params = {
                    "MessageSid": f"SM{uuid.uuid4().hex}",
                    "From": f"+1312555{n % 3:04d}",
                    "To": number,
                    "Body": f"hello {n}",
                }
                url = f"{base}/webhooks/twilio/sms"
                signature = RequestValidator(TOKEN).compute_signature(url, params)
                headers = {"X-Twilio-Signature": signature}
                return await client.post("/webhooks/twilio/sms", data=params, headers=headers)

            responses = await asyncio.gather(*(post(n) for n in range(24)))
            assert [r.status_code for r in responses] == [200] * 24, responses[0].text
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), timeout=15)

    async with db.transaction() as session:
        stored = await session.scalar(
            select(func.count()).select_from(Message).where(Message.tenant_id == tenant_id)
        )
        jobs = await session.scalar(
            select(func.count()).select_from(Job).where(Job.tenant_id == tenant_id)
        )
    assert (stored, jobs) == (24, 24)
