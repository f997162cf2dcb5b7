from __future__ import annotations

import httpx

from switchboard.config import Settings
from switchboard.tenancy.models import Role
from switchboard.tenancy.security import create_access_token
from tests.factories import Factory
from tests.kit.helpers import AsUser


async def test_health(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "up"
    assert "switchboard_http_requests_total" in (await client.get("/metrics")).text
    assert (await client.get("/docs")).status_code == 200
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert {"/api/tasks", "/api/contacts", "/api/chat/conversations"} <= set(paths)


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


async def test_token_expiry_follows_the_app_clock(
    client: httpx.AsyncClient,
    factory: Factory,
    as_user: AsUser,
    settings: Settings,
    frozen_clock: object,
) -> None:
    user = await factory.user(await factory.tenant(), Role.csr)
    headers = as_user(user)  # issued at the frozen "now"
    assert (await client.get("/api/me", headers=headers)).status_code == 200
    frozen_clock.advance(settings.access_token_minutes * 60 - 1)  # type: ignore[attr-defined]
    assert (await client.get("/api/me", headers=headers)).status_code == 200
    frozen_clock.advance(2)  # type: ignore[attr-defined]
    expired = await client.get("/api/me", headers=headers)
    assert expired.status_code == 401
    assert expired.headers["WWW-Authenticate"] == "Bearer"


async def test_forged_or_stale_tokens_are_refused(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, settings: Settings
) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.manager)
    forged = create_access_token(
        user_id=user.id,
        tenant_id=user.tenant_id,
        role="manager",
        secret="another-secret-that-is-long-enough-0123456789",
        minutes=10,
    )
    other_tenant = create_access_token(
        user_id=user.id,
        tenant_id=(await factory.tenant()).id,
        role="manager",
        secret=settings.secret_key,
        minutes=10,
    )
    for token in (forged, other_tenant, "not-a-jwt", ""):
        response = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token

    headers = as_user(user)
    user.active = False
    await factory.session.flush()
    assert (await client.get("/api/me", headers=headers)).status_code == 401
    login = await client.post(
        "/api/auth/token", data={"username": user.email, "password": "secret"}
    )
    assert login.status_code == 401


async def test_a_json_login_body_gets_the_error_shape(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    user = await factory.user(await factory.tenant(), Role.csr)
    response = await client.post(
        "/api/auth/token", json={"username": user.email, "password": "secret"}
    )
    assert response.status_code == 415
    body = response.json()
    assert body["error"] == "unsupported_media_type"
    assert "application/x-www-form-urlencoded" in body["message"]
    assert "username" in body["message"] and "password" in body["message"]
    # A form, with or without a charset, signs in as before.
    form = await client.post(
        "/api/auth/token",
        content=f"username={user.email}&password=secret",
        headers={"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    assert form.status_code == 200, form.text
