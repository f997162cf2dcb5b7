"""The /ws live socket: authenticated by token, fed only the user's own tenant's committed
events, answering pings, and letting go of its subscription when the client leaves."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence

import httpx
import pytest
from fastapi import FastAPI

from switchboard.app import create_app
from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.kit.events import RESYNC, Event, LocalBus, emit
from switchboard.realtime.connection import CLOSE_UNAUTHORIZED
from switchboard.tenancy.models import Role, User
from switchboard.tenancy.service import issue_token
from tests.factories import Factory
from tests.realtime.asgi_websocket import ASGIWebSocket, Refused


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    return create_app(settings, db=db)


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def live(app: FastAPI, settings: Settings, user: User) -> ASGIWebSocket:
    return ASGIWebSocket(app, "/ws", token=issue_token(settings, user))


async def test_task_created_reaches_own_tenant_only(
    app: FastAPI, api: httpx.AsyncClient, settings: Settings, factory: Factory
) -> None:
    tenant, other_tenant = await factory.tenant(), await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    colleague = await factory.user(tenant, Role.rep)
    outsider = await factory.user(other_tenant, Role.manager)

    async with (
        live(app, settings, csr) as mine,
        live(app, settings, colleague) as teammate,
        live(app, settings, outsider) as theirs,
    ):
        for socket, user in ((mine, csr), (teammate, colleague), (theirs, outsider)):
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


async def test_refused_without_a_valid_token(
    app: FastAPI, settings: Settings, factory: Factory
) -> None:
    tenant = await factory.tenant()
    retired = await factory.user(tenant, Role.csr, active=False)
    for query in ({}, {"token": "not-a-jwt"}, {"token": issue_token(settings, retired)}):
        with pytest.raises(Refused) as refused:
            async with ASGIWebSocket(app, "/ws", **query) as socket:
                await socket.receive_json()
        assert refused.value.code == CLOSE_UNAUTHORIZED
    assert isinstance(app.state.bus, LocalBus)
    assert app.state.bus.subscriber_count(tenant.id) == 0


async def test_ping_pong_and_clean_disconnect(
    app: FastAPI, settings: Settings, factory: Factory
) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.manager)
    bus: LocalBus = app.state.bus
    async with live(app, settings, user) as socket:
        assert (await socket.receive_json())["type"] == "ready"
        assert bus.subscriber_count(tenant.id) == 1
        await socket.send_json({"type": "ping"})
        assert await socket.receive_json() == {"type": "pong", "data": {}}
        await socket.send_text("not json")
        await socket.send_json({"type": "ping"})
        assert await socket.receive_json() == {"type": "pong", "data": {}}
    assert bus.subscriber_count(tenant.id) == 0


async def test_events_are_published_only_after_commit(
    app: FastAPI, db: Database, settings: Settings, factory: Factory
) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.csr)
    async with live(app, settings, user) as socket:
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
