"""The request's transaction commits before the response leaves, so reads see writes."""

from __future__ import annotations

import httpx

from switchboard.tenancy.models import Role
from tests.factories import Factory


async def test_write_is_visible_to_the_next_request(
    client: httpx.AsyncClient, factory: Factory, as_user: object
) -> None:
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.csr))  # type: ignore[operator]
    created = await client.post("/api/tasks", json={"title": "Call back"}, headers=headers)
    assert created.status_code == 201
    fetched = await client.get(f"/api/tasks/{created.json()['id']}", headers=headers)
    assert fetched.status_code == 200 and fetched.json()["title"] == "Call back"
