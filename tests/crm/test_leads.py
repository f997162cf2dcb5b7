"""Leads: create, list filters, updates, speed to lead, the assigned rep's rules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from switchboard.crm.models import LeadStatus
from switchboard.tenancy.models import Role, Tenant, User
from tests.factories import Factory
from tests.kit.helpers import AsUser, assert_invalid


@pytest.fixture
async def tenant(factory: Factory) -> Tenant:
    return await factory.tenant()


@pytest.fixture
async def csr(factory: Factory, tenant: Tenant) -> User:
    return await factory.user(tenant, Role.csr)


async def test_create_and_read_back(
    client: httpx.AsyncClient, factory: Factory, tenant: Tenant, csr: User, as_user: AsUser
) -> None:
    contact = await factory.contact(tenant)
    rep = await factory.user(tenant, Role.rep)
    created = await client.post(
        "/api/leads",
        json={
            "contact_id": str(contact.id),
            "source": "google",
            "service": "roofing",
            "assigned_rep_id": str(rep.id),
            "estimated_value": "12500.50",
        },
        headers=as_user(csr),
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "new"
    assert body["first_response_at"] is None and body["speed_to_lead_seconds"] is None
    assert Decimal(str(body["estimated_value"])) == Decimal("12500.50")
    fetched = await client.get(f"/api/leads/{body['id']}", headers=as_user(csr))
    assert fetched.json() == body


async def test_speed_to_lead_is_set_when_the_lead_leaves_new(
    client: httpx.AsyncClient,
    factory: Factory,
    tenant: Tenant,
    csr: User,
    as_user: AsUser,
    frozen_clock: object,
) -> None:
    contact = await factory.contact(tenant)
    headers = as_user(csr)
    created = await client.post("/api/leads", json={"contact_id": str(contact.id)}, headers=headers)
    lead_id = created.json()["id"]
    frozen_clock.advance(90)  # type: ignore[attr-defined]
    notes_only = await client.patch(f"/api/leads/{lead_id}", json={"notes": "x"}, headers=headers)
    assert notes_only.json()["first_response_at"] is None

    contacted = await client.patch(
        f"/api/leads/{lead_id}", json={"status": "contacted"}, headers=headers
    )
    assert contacted.status_code == 200, contacted.text
    assert contacted.json()["speed_to_lead_seconds"] == 90
    first_response = contacted.json()["first_response_at"]
    assert datetime.fromisoformat(first_response) == frozen_clock.now  # type: ignore[attr-defined]

    frozen_clock.advance(600)  # type: ignore[attr-defined]
    qualified = await client.patch(
        f"/api/leads/{lead_id}", json={"status": "qualified"}, headers=headers
    )
    assert qualified.json()["first_response_at"] == first_response
    assert qualified.json()["speed_to_lead_seconds"] == 90


async def test_a_lead_created_past_new_has_responded_at_once(
    client: httpx.AsyncClient, factory: Factory, tenant: Tenant, csr: User, as_user: AsUser
) -> None:
    contact = await factory.contact(tenant)
    created = await client.post(
        "/api/leads",
        json={"contact_id": str(contact.id), "status": "qualified"},
        headers=as_user(csr),
    )
    assert created.json()["speed_to_lead_seconds"] == 0


async def test_assigned_rep_must_be_a_rep_or_manager_of_the_tenant(
    client: httpx.AsyncClient, factory: Factory, tenant: Tenant, csr: User, as_user: AsUser
) -> None:
    contact = await factory.contact(tenant)
    headers = as_user(csr)
    manager = await factory.user(tenant, Role.manager)
    inactive_rep = await factory.user(tenant, Role.rep, active=False)
    foreign_rep = await factory.user(await factory.tenant(), Role.rep)
    for bad in (csr.id, inactive_rep.id, foreign_rep.id, uuid.uuid4()):
        response = await client.post(
            "/api/leads",
            json={"contact_id": str(contact.id), "assigned_rep_id": str(bad)},
            headers=headers,
        )
        assert_invalid(response, "assigned_rep_id")
    ok = await client.post(
        "/api/leads",
        json={"contact_id": str(contact.id), "assigned_rep_id": str(manager.id)},
        headers=headers,
    )
    assert ok.status_code == 201
    moved = await client.patch(
        f"/api/leads/{ok.json()['id']}", json={"assigned_rep_id": str(csr.id)}, headers=headers
    )
    assert_invalid(moved, "assigned_rep_id")
    unassigned = await client.patch(
        f"/api/leads/{ok.json()['id']}", json={"assigned_rep_id": None}, headers=headers
    )
    assert unassigned.status_code == 200 and unassigned.json()["assigned_rep_id"] is None


async def test_contact_must_be_in_the_tenant(
    client: httpx.AsyncClient, factory: Factory, csr: User, as_user: AsUser
) -> None:
    foreign = await factory.contact(await factory.tenant())
    response = await client.post(
        "/api/leads", json={"contact_id": str(foreign.id)}, headers=as_user(csr)
    )
    assert_invalid(response, "contact_id")


async def test_invalid_payloads(
    client: httpx.AsyncClient, factory: Factory, tenant: Tenant, csr: User, as_user: AsUser
) -> None:
    headers = as_user(csr)
    lead = await factory.lead(tenant, await factory.contact(tenant))
    url = f"/api/leads/{lead.id}"
    assert_invalid(await client.patch(url, json={"status": "dunno"}, headers=headers), "status")
    assert_invalid(await client.patch(url, json={"status": None}, headers=headers), "status")
    assert_invalid(
        await client.patch(url, json={"estimated_value": -1}, headers=headers), "estimated_value"
    )
    assert (await client.get(f"/api/leads/{uuid.uuid4()}", headers=headers)).status_code == 404


async def test_list_filters(
    client: httpx.AsyncClient, factory: Factory, tenant: Tenant, csr: User, as_user: AsUser
) -> None:
    ann, bob = await factory.contact(tenant), await factory.contact(tenant)
    rep = await factory.user(tenant, Role.rep)
    won = await factory.lead(tenant, ann, status=LeadStatus.won, assigned_rep_id=rep.id)
    new = await factory.lead(tenant, ann)
    lost = await factory.lead(tenant, bob, status=LeadStatus.lost)
    await factory.lead(await factory.tenant(), await factory.contact(tenant))

    async def ids(**params: str) -> set[str]:
        response = await client.get("/api/leads", params=params, headers=as_user(csr))
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await ids() == {str(won.id), str(new.id), str(lost.id)}
    assert await ids(status="won") == {str(won.id)}
    assert await ids(assigned_rep_id=str(rep.id)) == {str(won.id)}
    assert await ids(contact_id=str(ann.id)) == {str(won.id), str(new.id)}
    assert await ids(contact_id=str(bob.id), status="won") == set()
    response = await client.get("/api/leads", params={"status": "bogus"}, headers=as_user(csr))
    assert_invalid(response, "status")


async def test_newest_lead_comes_first(
    client: httpx.AsyncClient,
    factory: Factory,
    tenant: Tenant,
    csr: User,
    as_user: AsUser,
    frozen_clock: object,
) -> None:
    contact = await factory.contact(tenant)
    made = []
    for _ in range(3):
        made.append(await factory.lead(tenant, contact))
        frozen_clock.advance(60)  # type: ignore[attr-defined]
    listed = (await client.get("/api/leads", headers=as_user(csr))).json()["items"]
    assert [item["id"] for item in listed] == [str(lead.id) for lead in reversed(made)]
    assert datetime.fromisoformat(listed[0]["created_at"]).tzinfo == UTC
