"""Signing in to the web app from a test: the session cookie and the page's CSRF token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from switchboard.app import create_app
from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.tenancy.models import User
from switchboard.tenancy.security import SESSION_COOKIE
from switchboard.tenancy.service import issue_token

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
ORIGIN = "https://switchboard.test"  # the tests' SWITCHBOARD_PUBLIC_URL: cookies are Secure


@pytest.fixture
async def client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """Like the API tests' client, on the site's own https origin, as a browser would be."""
    app = create_app(settings, db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
        yield client


@dataclass
class Browser:
    """An httpx client that holds one signed-in user's cookies, like a browser tab."""

    client: httpx.AsyncClient
    csrf: str = ""

    async def get(self, url: str, **kwargs: object) -> httpx.Response:
        response = await self.client.get(url, **kwargs)  # type: ignore[arg-type]
        found = TOKEN.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    async def post(
        self, url: str, data: dict[str, str] | None = None, *, htmx: bool = False
    ) -> httpx.Response:
        headers = {"Origin": ORIGIN}
        if htmx:
            headers.update({"HX-Request": "true", "X-CSRF-Token": self.csrf})
        form = {"csrf_token": self.csrf, **(data or {})}
        return await self.client.post(url, data=form, headers=headers)


@pytest.fixture
def sign_in(client: httpx.AsyncClient, settings: Settings) -> object:
    """`browser = await sign_in(user)`: the client signed in as `user`, with a CSRF token."""

    async def signed_in(user: User) -> Browser:
        client.cookies.clear()
        client.cookies.set(SESSION_COOKIE, issue_token(settings, user))
        browser = Browser(client)
        await browser.get("/tasks")  # any page: sets the CSRF cookie and gives its token
        return browser

    return signed_in
