"""The process's fan-out: each event encoded once however many sockets hear it, a slow
socket dropped to a `resync` without holding up the others, and ingest never waiting for
the screens."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.kit.events import RESYNC, Event, LocalBus, emit
from switchboard.realtime import hub as hub_module
from switchboard.realtime.hub import Hub, Outbox
from switchboard.tenancy.models import Role, User
from tests.factories import Factory
from tests.messaging.support import OUR_NUMBER, post_webhook, sms_params
from tests.realtime.conftest import live

SMS = "/webhooks/twilio/sms"


async def test_each_event_is_encoded_once_for_every_socket_that_hears_it(
    app: FastAPI,
    api: httpx.AsyncClient,
    db: Database,
    settings: Settings,
    factory: Factory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    encoded: list[str] = []
    real_encode = hub_module.encode

    def counting(event_type: str, data: dict[str, Any]) -> hub_module.Frame:
        encoded.append(event_type)
        return real_encode(event_type, data)

    monkeypatch.setattr(hub_module, "encode", counting)
    tenant = await factory.tenant()
    staff = [await factory.user(tenant, role) for role in (Role.manager, Role.csr, Role.admin)]
    sockets = [await live(app, api, settings, user) for user in staff for _ in range(3)]
    for socket in sockets:
        await socket.__aenter__()
    try:
        for socket in sockets:
            await socket.receive_until("ready")
        events = 5
        async with db.transaction() as session:
            for n in range(events):
                emit(session, Event("task.updated", tenant.id, {"task": {"n": n}}))
        for socket in sockets:
            got = [(await socket.receive_json())["data"]["task"]["n"] for _ in range(events)]
            assert got == list(range(events))
        assert encoded == ["task.updated"] * events  # not once per socket: 9 sockets
    finally:
        for socket in sockets:
            await socket.__aexit__(None, None, None)


class StuckSocket:
    """A client whose network stalled: each send waits until the test lets it through."""

    def __init__(self) -> None:
        self.scope: dict[str, Any] = {}  # no direct writer: every frame through ASGI `send`
        self.sent: list[dict[str, Any]] = []
        self.gate = asyncio.Event()
        self.closed: tuple[int, str] | None = None

    async def send(self, message: dict[str, Any]) -> None:
        await self.gate.wait()
        self.sent.append(json.loads(message["text"]))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed = (code, reason)


class FreeSocket(StuckSocket):
    def __init__(self) -> None:
        super().__init__()
        self.gate.set()


def staff_user(tenant_id: uuid.UUID) -> User:
    return User(id=uuid.uuid4(), tenant_id=tenant_id, role=Role.csr, name="Desk", active=True)


async def test_a_socket_that_falls_behind_gets_resync_and_its_backlog_dropped() -> None:
    tenant_id = uuid.uuid4()
    hub = Hub(lambda: None)  # type: ignore[arg-type,return-value]
    bus = LocalBus()
    bus.tap(hub)
    stuck, free = StuckSocket(), FreeSocket()
    slow = Outbox(stuck, staff_user(tenant_id), limit=4)  # type: ignore[arg-type]
    quick = Outbox(free, staff_user(tenant_id), limit=4)  # type: ignore[arg-type]
    senders = [asyncio.create_task(outbox.run()) for outbox in (slow, quick)]
    for outbox in (slow, quick):
        hub.join(outbox)
    try:
        await bus.publish(Event("task.updated", tenant_id, {"task": {"n": 0}}))
        await hub.settled()
        await asyncio.sleep(0)  # the slow socket's sender takes frame 0 and is stuck on it
        for n in range(1, 11):
            await bus.publish(Event("task.updated", tenant_id, {"task": {"n": n}}))
            await hub.settled()
            await asyncio.sleep(0)
        # Memory stays bounded: never more than the queue's limit waits for the socket.
        assert slow.backlog <= 4 and slow.resyncs >= 1
        # The other socket was not held up at all.
        assert [e["data"]["task"]["n"] for e in free.sent] == list(range(11))

        stuck.gate.set()
        await bus.publish(Event("task.updated", tenant_id, {"task": {"n": 11}}))
        await hub.settled()
        for _ in range(20):
            await asyncio.sleep(0)
        kinds = [(e["type"], e["data"].get("task", {}).get("n")) for e in stuck.sent]
        # The frame in flight, then resync instead of the dropped backlog, then live again.
        assert kinds[0] == ("task.updated", 0)
        assert kinds[1] == (RESYNC, None)
        assert all(kind == "task.updated" for kind, _ in kinds[2:])
        assert kinds[-1] == ("task.updated", 11)
        assert len(kinds) <= 2 + 4
    finally:
        for task in senders:
            task.cancel()
        await hub.stop()


async def test_a_webhook_is_answered_while_the_fan_out_is_stuck(
    app: FastAPI,
    api: httpx.AsyncClient,
    settings: Settings,
    factory: Factory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant = await factory.tenant()
    await factory.channel(tenant, OUR_NUMBER)
    csr = await factory.user(tenant, Role.csr)
    hub: Hub = app.state.hub
    release = asyncio.Event()
    real_fan_out = hub.fan_out

    async def stuck_fan_out(batch: list[Event]) -> None:
        await release.wait()  # the screens are as slow as can be
        await real_fan_out(batch)

    monkeypatch.setattr(hub, "fan_out", stuck_fan_out)
    async with await live(app, api, settings, csr) as socket:
        await socket.receive_until("ready")
        answer = await asyncio.wait_for(
            post_webhook(api, settings, SMS, sms_params("Are you open Saturday?")), 10
        )
        assert answer.status_code == 200  # answered with the fan-out still waiting
        await socket.assert_silent()
        release.set()
        event = await socket.receive_until("message.created")
        assert event["data"]["message"]["body"] == "Are you open Saturday?"
