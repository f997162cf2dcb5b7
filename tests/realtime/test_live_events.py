"""The /ws live socket: opened with a ticket, fed only the user's own tenant's committed
events, answering pings, and leaving the hub when the client leaves."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import httpx
import pytest
from fastapi import FastAPI

from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.kit.events import RESYNC, Event, LocalBus, emit
from switchboard.realtime.connection import CLOSE_UNAUTHORIZED
from switchboard.tenancy.models import Role
from switchboard.tenancy.service import issue_token
from tests.factories import Factory
from tests.realtime.asgi_websocket import ASGIWebSocket, Refused
from tests.realtime.conftest import live, ticket_for


async def test_task_created_reaches_own_tenant_only(
    app: FastAPI, api: httpx.AsyncClient, settings: Settings, factory: Factory
) -> None:
    tenant, other_tenant = await factory.tenant(), await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    manager = await factory.user(tenant, Role.manager)
    outsider = await factory.user(other_tenant, Role.manager)

    async with (
        await live(app, api, settings, csr) as mine,
        await live(app, api, settings, manager) as teammate,
        await live(app, api, settings, outsider) as theirs,
    ):
        for socket, user in ((mine, csr), (teammate, manager), (theirs, outsider)):
            ready = await socket.receive_json()
            assert ready == {
                "type": "ready",
                "data": {"user_id": str(user.id), "tenant_id": str(user.tenant_id)},
            }
        headers = {"Authorization": f"Bearer {issue_token(settings, csr)}"}
        created = await api.post("/api/tasks", json={"title": "Call back"}, headers=headers)
        assert created.status_code == 201, created.text

        for socket in (mine, teammate):
            event = await socket.receive_json()
            assert event["type"] == "task.created"
            assert event["data"]["task"]["id"] == created.json()["id"]
            assert event["data"]["task"]["title"] == "Call back"
        await theirs.assert_silent()


async def test_refused_without_a_valid_ticket_or_session(
    app: FastAPI, api: httpx.AsyncClient, settings: Settings, factory: Factory
) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.csr)
    retired = await factory.user(tenant, Role.csr)
    retired_ticket = await ticket_for(api, settings, retired)
    retired.active = False
    await factory.session.flush()
    for query in (
        {},
        {"ticket": "not-a-ticket"},
        {"ticket": retired_ticket},
        # A JWT never travels in a URL: the old ?token= opens nothing, even a valid one.
        {"token": issue_token(settings, user)},
    ):
        with pytest.raises(Refused) as refused:
            async with ASGIWebSocket(app, "/ws", **query) as socket:
                await socket.receive_json()
        assert refused.value.code == CLOSE_UNAUTHORIZED
    assert app.state.hub.socket_count(tenant.id) == 0


async def test_ping_pong_and_clean_disconnect(
    app: FastAPI, api: httpx.AsyncClient, settings: Settings, factory: Factory
) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.manager)
    hub = app.state.hub
    async with await live(app, api, settings, user) as socket:
        assert (await socket.receive_json())["type"] == "ready"
        assert hub.socket_count(tenant.id) == 1
        await socket.send_json({"type": "ping"})
        assert await socket.receive_json() == {"type": "pong", "data": {}}
        await socket.send_text("not json")
        await socket.send_json({"type": "ping"})
        assert await socket.receive_json() == {"type": "pong", "data": {}}
    assert hub.socket_count(tenant.id) == 0


async def test_events_are_published_only_after_commit(
    app: FastAPI, api: httpx.AsyncClient, db: Database, settings: Settings, factory: Factory
) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.csr)
    async with await live(app, api, settings, user) as socket:
        await socket.receive_until("ready")
        with pytest.raises(RuntimeError):
            async with db.transaction() as session:
                emit(session, Event("task.created", tenant.id, {"task": {"id": "rolled-back"}}))
                raise RuntimeError("the request failed")
        await socket.assert_silent()

        async with db.transaction() as session:
            emit(session, Event("task.created", tenant.id, {"task": {"id": "kept"}}))
        assert (await socket.receive_json())["data"] == {"task": {"id": "kept"}}


async def test_a_slow_subscriber_is_told_to_resync() -> None:
    bus = LocalBus(queue_size=2)
    tenant_id = uuid.uuid4()
    subscription = bus.subscribe(tenant_id)
    for n in range(4):
        await bus.publish(Event("task.updated", tenant_id, {"n": n}))
    received = [await anext(subscription) for _ in range(3)]
    assert [e.data.get("n") for e in received[:2]] == [0, 1]
    assert received[2].type == RESYNC
    bus.unsubscribe(subscription)
    assert bus.subscriber_count(tenant_id) == 0
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(anext(subscription), 1)


async def test_unsubscribing_ends_an_iteration_waiting_for_events() -> None:
    bus = LocalBus()
    subscription = bus.subscribe(uuid.uuid4())
    waiting = asyncio.ensure_future(anext(subscription))
    await asyncio.sleep(0)
    bus.unsubscribe(subscription)
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(waiting, 1)


async def test_a_transaction_publishes_its_events_in_one_call(db: Database) -> None:
    published: list[list[Event]] = []

    class Recorder(LocalBus):
        async def publish_many(self, events: Sequence[Event]) -> None:
            published.append(list(events))

    db.bus = Recorder()
    tenant_id = uuid.uuid4()
    async with db.transaction() as session:
        emit(session, Event("message.created", tenant_id, {"n": 1}))
        emit(session, Event("session.updated", tenant_id, {"n": 2}))
    assert [[event.data["n"] for event in batch] for batch in published] == [[1, 2]]
