"""Live events across processes: two app instances, each with its own RedisBus, share
events through Redis; a socket held by one hears a change committed through the other."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Sequence

import httpx
import pytest
from fastapi import FastAPI

from switchboard.app import create_app
from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.kit.events import Event, RedisBus
from switchboard.realtime.hub import CLOSE_UNAUTHORIZED
from switchboard.realtime.tickets import Grant
from switchboard.tenancy.models import Role
from switchboard.tenancy.service import issue_token
from tests.factories import Factory
from tests.realtime.asgi_websocket import ASGIWebSocket, Refused
from tests.realtime.conftest import ticket_for

pytestmark = pytest.mark.redis


async def test_an_event_crosses_between_two_buses(redis_url: str) -> None:
    tenant_id, other_tenant = uuid.uuid4(), uuid.uuid4()
    publisher, listener = RedisBus(redis_url), RedisBus(redis_url)
    await publisher.start()
    await listener.start()
    try:
        subscription = listener.subscribe(tenant_id)
        await publisher.publish(Event("session.updated", other_tenant, {"id": "not yours"}))
        await publisher.publish(Event("session.updated", tenant_id, {"id": "s1"}))
        received = await anext(subscription)
        assert received == Event("session.updated", tenant_id, {"id": "s1"})
    finally:
        await publisher.stop()
        await listener.stop()


async def test_publish_many_reaches_another_bus_in_order(redis_url: str) -> None:
    tenant_id = uuid.uuid4()
    publisher, listener = RedisBus(redis_url), RedisBus(redis_url)
    await publisher.start()
    await listener.start()
    try:
        subscription = listener.subscribe(tenant_id)
        sent = [Event("message.created", tenant_id, {"n": n}) for n in range(5)]
        await publisher.publish_many(sent)
        received = [await asyncio.wait_for(anext(subscription), 5) for _ in sent]
        assert received == sent
    finally:
        await publisher.stop()
        await listener.stop()


async def test_publishing_is_a_hand_off_and_stop_sends_what_is_queued(redis_url: str) -> None:
    """A committed request hands its events over and answers; it never waits on Redis.
    Events still queued when the bus stops go out before it closes."""
    tenant_id = uuid.uuid4()
    publisher, listener = RedisBus(redis_url), RedisBus(redis_url)
    await publisher.start()
    await listener.start()
    try:
        subscription = listener.subscribe(tenant_id)
        sent = [Event("message.created", tenant_id, {"n": n}) for n in range(3)]
        sends: list[int] = []
        real_send = publisher._send

        async def counted(events: Sequence[Event]) -> None:
            sends.append(len(events))
            await real_send(events)

        publisher._send = counted  # type: ignore[method-assign]
        for event in sent:
            await publisher.publish(event)
        assert sends == []  # handed off: nothing sent while the caller waited
        await publisher.stop()
        assert sends == [3]  # one round trip for the three, on stop at the latest
        received = [await asyncio.wait_for(anext(subscription), 5) for _ in sent]
        assert received == sent
    finally:
        await publisher.stop()
        await listener.stop()


@pytest.fixture
async def two_apps(
    settings: Settings, db: Database, redis_url: str
) -> AsyncIterator[tuple[FastAPI, FastAPI]]:
    """Two instances as two processes would run them: each its own RedisBus, started as the
    app's lifespan starts it (the rest of the lifespan, MCP and the worker, is not needed)."""
    redis_settings = settings.model_copy(update={"redis_url": redis_url})
    first, second = create_app(redis_settings, db=db), create_app(redis_settings, db=db)
    assert db.bus is first.state.bus  # commits in this test publish through the first app
    started = []
    try:
        for app in (first, second):
            await app.state.bus.start()
            started.append(app)
        yield first, second
    finally:
        for app in started:
            await app.state.hub.stop()
            await app.state.bus.stop()
            await app.state.tickets.aclose()


async def test_a_task_created_on_one_instance_reaches_a_socket_on_another(
    two_apps: tuple[FastAPI, FastAPI], settings: Settings, factory: Factory
) -> None:
    api_app, socket_app = two_apps
    assert isinstance(api_app.state.bus, RedisBus)
    assert isinstance(socket_app.state.bus, RedisBus)
    tenant, other_tenant = await factory.tenant(), await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    outsider = await factory.user(other_tenant, Role.csr)

    tickets = []
    for user in (csr, outsider):
        # Asked of one process, redeemed on the other: the tickets live in Redis.
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=api_app), base_url="http://test"
        ) as api:
            tickets.append(await ticket_for(api, settings, user))
    async with (
        ASGIWebSocket(socket_app, "/ws", ticket=tickets[0]) as mine,
        ASGIWebSocket(socket_app, "/ws", ticket=tickets[1]) as theirs,
    ):
        await mine.receive_until("ready")
        await theirs.receive_until("ready")
        transport = httpx.ASGITransport(app=api_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as api:
            created = await api.post(
                "/api/tasks",
                json={"title": "Confirm Tuesday"},
                headers={"Authorization": f"Bearer {issue_token(settings, csr)}"},
            )
        assert created.status_code == 201, created.text
        event = await mine.receive_until("task.created")
        assert event["data"]["task"]["id"] == created.json()["id"]
        await theirs.assert_silent(0.3)


async def test_a_ticket_from_one_instance_opens_one_socket_on_either(
    two_apps: tuple[FastAPI, FastAPI], settings: Settings, factory: Factory
) -> None:
    first, second = two_apps
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    transport = httpx.ASGITransport(app=first)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as api:
        ticket = await ticket_for(api, settings, csr)
    async with ASGIWebSocket(second, "/ws", ticket=ticket) as socket:
        ready = await socket.receive_until("ready")
        assert ready["data"]["user_id"] == str(csr.id)
    for app in (first, second):  # used once, on the other process: gone for both
        with pytest.raises(Refused) as refused:
            async with ASGIWebSocket(app, "/ws", ticket=ticket) as socket:
                await socket.receive_json()
        assert refused.value.code == CLOSE_UNAUTHORIZED


async def test_two_processes_redeeming_one_ticket_at_once_get_it_once(
    two_apps: tuple[FastAPI, FastAPI],
) -> None:
    first, second = two_apps
    grant = Grant(uuid.uuid4(), uuid.uuid4(), time.time() + 60)
    for _ in range(20):
        ticket = await first.state.tickets.issue(grant)
        redeemed = await asyncio.gather(
            first.state.tickets.redeem(ticket),
            second.state.tickets.redeem(ticket),
            second.state.tickets.redeem(ticket),
        )
        assert [found for found in redeemed if found is not None] == [grant]
