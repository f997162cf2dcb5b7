from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from switchboard.app import create_app
from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.tenancy.models import User
from switchboard.tenancy.security import SESSION_COOKIE
from switchboard.tenancy.service import issue_token
from tests.realtime.asgi_websocket import ASGIWebSocket

ORIGIN = "http://test"  # the ASGI harness's own origin (Host: test, over ws)


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    return create_app(settings, db=db)


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
        yield client


async def ticket_for(api: httpx.AsyncClient, settings: Settings, user: User) -> str:
    """A one-time /ws ticket, asked for with the user's bearer token as an API client does."""
    answer = await api.post(
        "/api/realtime/ticket",
        headers={"Authorization": f"Bearer {issue_token(settings, user)}"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["expires_in"] == 30
    return str(body["ticket"])


async def live(
    app: FastAPI, api: httpx.AsyncClient, settings: Settings, user: User
) -> ASGIWebSocket:
    """/ws as an API client opens it: with a fresh ticket."""
    return ASGIWebSocket(app, "/ws", ticket=await ticket_for(api, settings, user))


def cookie_socket(app: FastAPI, token: str, origin: str | None = ORIGIN) -> ASGIWebSocket:
    """/ws as the web app opens it: the session cookie, from `origin`."""
    headers = {"cookie": f"{SESSION_COOKIE}={token}"}
    if origin is not None:
        headers["origin"] = origin
    return ASGIWebSocket(app, "/ws", headers=headers)
