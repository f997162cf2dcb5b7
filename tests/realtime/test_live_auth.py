"""How a /ws socket is opened and how long it lives: a one-time ticket or the web session
cookie from our own origin, never a token in the URL; closed when its session or token
expires."""

from __future__ import annotations

import time

import httpx
import pytest
from fastapi import FastAPI

from switchboard.config import Settings
from switchboard.realtime import connection
from switchboard.realtime.hub import CLOSE_UNAUTHORIZED
from switchboard.realtime.tickets import Grant, MemoryTickets
from switchboard.tenancy.models import Role
from switchboard.tenancy.security import create_access_token
from switchboard.tenancy.service import issue_token
from tests.factories import Factory
from tests.realtime.asgi_websocket import ASGIWebSocket, Refused
from tests.realtime.conftest import cookie_socket, ticket_for


async def refused_code(socket: ASGIWebSocket) -> int:
    with pytest.raises(Refused) as refused:
        async with socket:
            await socket.receive_json()
    return refused.value.code


async def test_a_ticket_opens_one_socket_once(
    app: FastAPI, api: httpx.AsyncClient, settings: Settings, factory: Factory
) -> None:
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    ticket = await ticket_for(api, settings, csr)
    async with ASGIWebSocket(app, "/ws", ticket=ticket) as socket:
        ready = await socket.receive_json()
        assert ready["type"] == "ready" and ready["data"]["user_id"] == str(csr.id)
    again = ASGIWebSocket(app, "/ws", ticket=ticket)
    assert await refused_code(again) == CLOSE_UNAUTHORIZED


async def test_a_ticket_needs_a_bearer_token(api: httpx.AsyncClient) -> None:
    assert (await api.post("/api/realtime/ticket")).status_code == 401
    bad = await api.post("/api/realtime/ticket", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401


async def test_an_expired_ticket_is_refused(
    app: FastAPI, api: httpx.AsyncClient, settings: Settings, factory: Factory
) -> None:
    app.state.tickets = MemoryTickets(seconds=0)  # expired the moment it is issued
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    ticket = await ticket_for(api, settings, csr)
    assert await refused_code(ASGIWebSocket(app, "/ws", ticket=ticket)) == CLOSE_UNAUTHORIZED


async def test_a_ticket_for_another_tenant_is_refused(app: FastAPI, factory: Factory) -> None:
    tenant, other = await factory.tenant(), await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    ticket = await app.state.tickets.issue(Grant(csr.id, other.id, time.time() + 600))
    assert await refused_code(ASGIWebSocket(app, "/ws", ticket=ticket)) == CLOSE_UNAUTHORIZED


async def test_no_token_in_the_url(app: FastAPI, settings: Settings, factory: Factory) -> None:
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    socket = ASGIWebSocket(app, "/ws", token=issue_token(settings, csr))
    assert await refused_code(socket) == CLOSE_UNAUTHORIZED


async def test_the_session_cookie_works_only_from_our_own_origin(
    app: FastAPI, settings: Settings, factory: Factory
) -> None:
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    token = issue_token(settings, csr)
    # This server's own origin, and the public URL's (behind a proxy that ends TLS).
    for origin in ("http://test", settings.public_url):
        async with cookie_socket(app, token, origin) as socket:
            assert (await socket.receive_json())["type"] == "ready"
    for origin in (None, "https://evil.example", "http://test.evil.example", "null"):
        socket = cookie_socket(app, token, origin)
        assert await refused_code(socket) == CLOSE_UNAUTHORIZED, origin
    assert app.state.hub.socket_count(tenant.id) == 0


async def test_a_socket_closes_when_its_session_expires(
    app: FastAPI, settings: Settings, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    token = create_access_token(
        user_id=csr.id, tenant_id=tenant.id, role=csr.role, secret=settings.secret_key, minutes=1
    )

    class Later:  # the socket's clock, 59.7 s on: the session has 0.3 s left
        @staticmethod
        def time() -> float:
            return time.time() + 59.7

    monkeypatch.setattr(connection, "time", Later)
    async with cookie_socket(app, token) as socket:
        assert (await socket.receive_json())["type"] == "ready"
        with pytest.raises(Refused) as closed:
            await socket.receive_json(within=5)
        assert closed.value.code == CLOSE_UNAUTHORIZED
        assert closed.value.reason == "session expired"
    assert app.state.hub.socket_count(tenant.id) == 0


async def test_a_ticket_socket_closes_when_the_bearer_token_expires(
    app: FastAPI, factory: Factory
) -> None:
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    ticket = await app.state.tickets.issue(Grant(csr.id, tenant.id, time.time() + 0.3))
    async with ASGIWebSocket(app, "/ws", ticket=ticket) as socket:
        assert (await socket.receive_json())["type"] == "ready"
        with pytest.raises(Refused) as closed:
            await socket.receive_json(within=5)
        assert closed.value.code == CLOSE_UNAUTHORIZED
