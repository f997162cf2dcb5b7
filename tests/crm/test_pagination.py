"""Keyset pagination over every list: no duplicates or omissions, bounded limits, bad cursors."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import httpx
import pytest

from switchboard.tenancy.models import Role
from tests.factories import Factory
from tests.kit.helpers import AsUser, assert_invalid, walk_pages

LISTS = [
    "/api/contacts",
    "/api/leads",
    "/api/calls",
    "/api/appointments",
    "/api/rep-shifts",
    "/api/recording-sessions",
    "/api/tasks",
]


def raw_cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


async def test_walking_every_list_two_at_a_time_sees_each_row_once(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, frozen_clock: object
) -> None:
    tenant = await factory.tenant()
    manager = await factory.user(tenant, Role.manager)
    rep = await factory.user(tenant, Role.rep)
    made: dict[str, set[str]] = {url: set() for url in LISTS}
    for n in range(7):
        # Pairs of rows share a timestamp, so the id must break ties.
        if n % 2 == 0:
            frozen_clock.advance(60)  # type: ignore[attr-defined]
        at = frozen_clock.now  # type: ignore[attr-defined]
        contact = await factory.contact(tenant)
        made["/api/contacts"].add(str(contact.id))
        made["/api/leads"].add(str((await factory.lead(tenant, contact)).id))
        made["/api/calls"].add(str((await factory.call(tenant, contact, started_at=at)).id))
        appointment = await factory.appointment(tenant, contact, rep, starts_at=at)
        made["/api/appointments"].add(str(appointment.id))
        made["/api/rep-shifts"].add(str((await factory.shift(tenant, rep, starts_at=at)).id))
        made["/api/recording-sessions"].add(
            str((await factory.recording(tenant, rep, started_at=at)).id)
        )
        made["/api/tasks"].add(str((await factory.task(tenant)).id))
    # Another tenant's rows never show up.
    elsewhere = await factory.tenant()
    await factory.task(elsewhere)
    await factory.contact(elsewhere)

    headers = as_user(manager)
    for url in LISTS:
        walked = [item["id"] for item in await walk_pages(client, url, headers, limit=2)]
        assert len(walked) == len(set(walked)), f"{url} repeated a row"
        assert set(walked) == made[url], f"{url} lost or invented rows"
        whole = await client.get(url, params={"limit": 200}, headers=headers)
        assert [item["id"] for item in whole.json()["items"]] == walked, url
        assert whole.json()["next_cursor"] is None


async def test_a_filtered_list_pages_inside_the_filter(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    manager = await factory.user(tenant, Role.manager)
    contact = await factory.contact(tenant)
    high = {
        str((await factory.task(tenant, priority="high", contact_id=contact.id)).id)
        for _ in range(5)
    }
    for _ in range(4):
        await factory.task(tenant, priority="low")
    walked = await walk_pages(client, "/api/tasks", as_user(manager), {"priority": "high"}, limit=2)
    assert {item["id"] for item in walked} == high


@pytest.mark.parametrize("url", LISTS)
async def test_limit_bounds(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, url: str
) -> None:
    headers = as_user(await factory.user(await factory.tenant(), Role.manager))
    for limit in (0, 201, -1):
        assert_invalid(await client.get(url, params={"limit": limit}, headers=headers), "limit")
    assert (await client.get(url, params={"limit": 200}, headers=headers)).status_code == 200


GARBAGE_CURSORS = [
    "garbage",
    "!!!",
    raw_cursor("not a list"),
    raw_cursor([]),
    raw_cursor(["2026-01-01T00:00:00+00:00"]),
    raw_cursor([1, 2]),
    raw_cursor(["yesterday", "0" * 32]),
    raw_cursor(["2026-01-01T00:00:00+00:00", "not-a-uuid"]),
    raw_cursor(["2026-01-01T00:00:00", "0" * 32]),  # naive time
    raw_cursor([None, None]),
    raw_cursor(["2026-01-01T00:00:00+00:00", "0" * 32, "extra"]),
    "x" * 501,
]


@pytest.mark.parametrize("url", [*LISTS, "timeline"])
async def test_garbage_cursor_is_a_422(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, url: str
) -> None:
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.manager))
    if url == "timeline":
        url = f"/api/contacts/{(await factory.contact(tenant)).id}/timeline"
    for cursor in GARBAGE_CURSORS:
        response = await client.get(url, params={"cursor": cursor}, headers=headers)
        assert_invalid(response, "cursor")
        assert response.json()["detail"][0]["loc"] == ["query", "cursor"], response.text


async def test_a_valid_cursor_past_the_end_gives_an_empty_page(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, frozen_clock: object
) -> None:
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.manager))
    await factory.task(tenant)
    before_everything = frozen_clock.now - timedelta(days=1)  # type: ignore[attr-defined]
    cursor = raw_cursor([before_everything.isoformat(), "0" * 32])
    response = await client.get("/api/tasks", params={"cursor": cursor}, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}
