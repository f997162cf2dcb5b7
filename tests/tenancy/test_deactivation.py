"""A deactivated person is signed out everywhere at once: their bearer token, their web
session cookie and their open live socket; a new role is read by an open socket too."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from switchboard.app import create_app
from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.realtime.connection import CLOSE_RECONNECT, CLOSE_UNAUTHORIZED
from switchboard.tenancy.models import Role
from switchboard.tenancy.security import SESSION_COOKIE
from switchboard.tenancy.service import issue_token
from tests.factories import Factory
from tests.kit.helpers import AsUser
from tests.realtime.asgi_websocket import ASGIWebSocket, Refused

ORIGIN = "http://test"


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    return create_app(settings, db=db)


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with web_client(app) as client:
        yield client


def web_client(app: FastAPI, session_token: str | None = None) -> httpx.AsyncClient:
    """A client of the app; with `session_token`, a browser signed in to the web app."""
    cookies = {SESSION_COOKIE: session_token} if session_token else None
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url=ORIGIN, cookies=cookies)


def cookie_socket(app: FastAPI, token: str) -> ASGIWebSocket:
    """/ws as the web app opens it: the session cookie, from our own origin."""
    return ASGIWebSocket(
        app, "/ws", headers={"origin": ORIGIN, "cookie": f"{SESSION_COOKIE}={token}"}
    )


async def test_deactivation_ends_token_cookie_and_live_socket(
    app: FastAPI, api: httpx.AsyncClient, settings: Settings, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    manager = await factory.user(tenant, Role.manager)
    csr = await factory.user(tenant, Role.csr)
    colleague = await factory.user(tenant, Role.rep)
    token = issue_token(settings, csr)
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await api.get("/api/tasks", headers=bearer)).status_code == 200
    browser = web_client(app, token)
    assert (await browser.get("/inbox")).status_code == 200

    async with (
        cookie_socket(app, token) as socket,
        cookie_socket(app, issue_token(settings, colleague)) as bystander,
    ):
        assert (await socket.receive_json())["type"] == "ready"
        assert (await bystander.receive_json())["type"] == "ready"
        response = await api.patch(
            f"/api/users/{csr.id}", json={"active": False}, headers=as_user(manager)
        )
        assert response.status_code == 200 and response.json()["active"] is False
        with pytest.raises(Refused) as closed:
            await socket.receive_json()
        assert closed.value.code == CLOSE_UNAUTHORIZED  # the page goes to sign in
        await bystander.assert_silent()  # everyone else's socket carries on, told nothing

    assert (await api.get("/api/tasks", headers=bearer)).status_code == 401
    signed_out = await browser.get("/inbox")
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == "/login?next=/inbox"
    with pytest.raises(Refused) as refused:
        async with cookie_socket(app, token) as again:
            await again.receive_json()
    assert refused.value.code == CLOSE_UNAUTHORIZED
    login = await api.post("/api/auth/token", data={"username": csr.email, "password": "secret"})
    assert login.status_code == 401

    back = await api.patch(f"/api/users/{csr.id}", json={"active": True}, headers=as_user(manager))
    assert back.json()["active"] is True
    assert (await api.get("/api/tasks", headers=bearer)).status_code == 200
    await browser.aclose()


async def test_a_new_role_reconnects_an_open_socket(
    app: FastAPI, api: httpx.AsyncClient, settings: Settings, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    manager = await factory.user(tenant, Role.manager)
    rep = await factory.user(tenant, Role.rep)
    async with cookie_socket(app, issue_token(settings, rep)) as socket:
        await socket.receive_json()
        renamed = await api.patch(
            f"/api/users/{rep.id}", json={"name": "Rey"}, headers=as_user(manager)
        )
        assert renamed.status_code == 200
        await socket.assert_silent()  # a new name changes nothing the socket decides
        await api.patch(f"/api/users/{rep.id}", json={"role": "csr"}, headers=as_user(manager))
        with pytest.raises(Refused) as closed:
            await socket.receive_json()
        assert closed.value.code == CLOSE_RECONNECT  # reconnects and is read as a CSR
