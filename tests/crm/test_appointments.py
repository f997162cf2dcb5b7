"""Appointments: a valid time span, the contact's address by default, ordered by start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from switchboard.tenancy.models import Role, Tenant, User
from tests.factories import Factory
from tests.kit.helpers import AsUser, assert_invalid

START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@pytest.fixture
async def tenant(factory: Factory) -> Tenant:
    return await factory.tenant()


@pytest.fixture
async def csr(factory: Factory, tenant: Tenant) -> User:
    return await factory.user(tenant, Role.csr)


def span(start: datetime = START, hours: float = 1) -> dict[str, Any]:
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=hours)).isoformat()}


async def test_ends_must_come_after_starts(
    client: httpx.AsyncClient, factory: Factory, tenant: Tenant, csr: User, as_user: AsUser
) -> None:
    contact = await factory.contact(tenant)
    headers = as_user(csr)
    for hours in (0, -1):
        response = await client.post(
            "/api/appointments",
            json={"contact_id": str(contact.id), **span(hours=hours)},
            headers=headers,
        )
        assert response.status_code == 422, response.text
        assert "after the start" in response.text

    created = await client.post(
        "/api/appointments", json={"contact_id": str(contact.id), **span()}, headers=headers
    )
    url = f"/api/appointments/{created.json()['id']}"
    # Moving only the end before the stored start is caught by the service.
    moved = await client.patch(
        url, json={"ends_at": (START - timedelta(hours=1)).isoformat()}, headers=headers
    )
    assert_invalid(moved, "ends_at")
    assert_invalid(await client.patch(url, json={"starts_at": None}, headers=headers), "starts_at")
    assert_invalid(await client.patch(url, json={"status": None}, headers=headers), "status")
    both = await client.patch(url, json=span(START + timedelta(days=1), 2), headers=headers)
    assert both.status_code == 200, both.text
    assert datetime.fromisoformat(both.json()["ends_at"]) == START + timedelta(days=1, hours=2)


async def test_address_defaults_to_the_contacts(
    client: httpx.AsyncClient, factory: Factory, tenant: Tenant, csr: User, as_user: AsUser
) -> None:
    contact = await factory.contact(
        tenant, address_line1="12 Oak St", city="Springfield", state="IL", postal_code="62701"
    )
    headers = as_user(csr)
    created = await client.post(
        "/api/appointments", json={"contact_id": str(contact.id), **span()}, headers=headers
    )
    assert created.status_code == 201, created.text
    assert created.json()["address"] == "12 Oak St, Springfield, IL 62701"
    assert created.json()["status"] == "scheduled"

    given = await client.post(
        "/api/appointments",
        json={"contact_id": str(contact.id), "address": "1 Elm Rd", **span()},
        headers=headers,
    )
    assert given.json()["address"] == "1 Elm Rd"

    nowhere = await factory.contact(tenant)
    without = await client.post(
        "/api/appointments", json={"contact_id": str(nowhere.id), **span()}, headers=headers
    )
    assert without.status_code == 201 and without.json()["address"] is None


async def test_list_is_ordered_by_start_and_filters_by_rep(
    client: httpx.AsyncClient, factory: Factory, tenant: Tenant, csr: User, as_user: AsUser
) -> None:
    contact = await factory.contact(tenant)
    ann, bob = await factory.user(tenant, Role.rep), await factory.user(tenant, Role.rep)
    later = await factory.appointment(tenant, contact, ann, starts_at=START + timedelta(days=2))
    first = await factory.appointment(tenant, contact, bob, starts_at=START)
    middle = await factory.appointment(tenant, contact, ann, starts_at=START + timedelta(days=1))

    async def ids(**params: str) -> list[str]:
        response = await client.get("/api/appointments", params=params, headers=as_user(csr))
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids() == [str(first.id), str(middle.id), str(later.id)]
    assert await ids(rep_id=str(ann.id)) == [str(middle.id), str(later.id)]
    assert await ids(rep_id=str(bob.id)) == [str(first.id)]
    assert await ids(starts_after=(START + timedelta(hours=1)).isoformat()) == [
        str(middle.id),
        str(later.id),
    ]
    assert await ids(starts_before=(START + timedelta(days=1)).isoformat()) == [str(first.id)]


async def test_rep_and_links_are_checked(
    client: httpx.AsyncClient, factory: Factory, tenant: Tenant, csr: User, as_user: AsUser
) -> None:
    contact = await factory.contact(tenant)
    headers = as_user(csr)
    elsewhere = await factory.tenant()
    foreign_contact = await factory.contact(elsewhere)
    foreign_lead = await factory.lead(elsewhere, foreign_contact)
    foreign_rep = await factory.user(elsewhere, Role.rep)
    cases = [
        ({"contact_id": str(foreign_contact.id)}, "contact_id"),
        ({"contact_id": str(contact.id), "lead_id": str(foreign_lead.id)}, "lead_id"),
        ({"contact_id": str(contact.id), "rep_id": str(foreign_rep.id)}, "rep_id"),
        ({"contact_id": str(contact.id), "rep_id": str(csr.id)}, "rep_id"),
    ]
    for payload, field in cases:
        response = await client.post(
            "/api/appointments", json={**payload, **span()}, headers=headers
        )
        assert_invalid(response, field)
