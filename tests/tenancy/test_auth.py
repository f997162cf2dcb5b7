from __future__ import annotations

import httpx

from switchboard.tenancy.models import Role
from tests.factories import Factory


async def test_health(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "up"
    assert "switchboard_http_requests_total" in (await client.get("/metrics")).text


async def test_login_and_me(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.csr, email="ann@example.test")
    bad = await client.post(
        "/api/auth/token", data={"username": "ann@example.test", "password": "x"}
    )
    assert bad.status_code == 401
    token = await client.post(
        "/api/auth/token", data={"username": "ANN@example.test", "password": "secret"}
    )
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    me = await client.get("/api/me", headers=headers)
    assert me.json()["id"] == str(user.id) and me.json()["tenant"]["slug"] == tenant.slug
    assert (await client.get("/api/me")).status_code == 401
