"""Calls with their transcripts and analyses: create nested, read back, dedupe, filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from switchboard.crm.models import CallOutcome, HandledByRole
from switchboard.tenancy.models import Role, Tenant, User
from tests.factories import Factory
from tests.kit.helpers import AsUser, assert_invalid

STARTED = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)


@pytest.fixture
async def tenant(factory: Factory) -> Tenant:
    return await factory.tenant()


@pytest.fixture
async def csr(factory: Factory, tenant: Tenant) -> User:
    return await factory.user(tenant, Role.csr)


@pytest.fixture
async def manager(factory: Factory, tenant: Tenant) -> User:
    # Only managers write an analysis by hand (docs/PERMISSIONS.md).
    return await factory.user(tenant, Role.manager)


def call_payload(**fields: Any) -> dict[str, Any]:
    return {
        "direction": "inbound",
        "from_number": "(312) 555-0199",
        "to_number": "+1 555 555 0100",
        "started_at": STARTED.isoformat(),
        "duration_seconds": 312,
        "outcome": "booked",
        "provider": "twilio",
        "provider_call_id": "CA0001",
        **fields,
    }


async def test_create_with_transcript_and_analysis_and_read_back(
    client: httpx.AsyncClient,
    factory: Factory,
    tenant: Tenant,
    csr: User,
    manager: User,
    as_user: AsUser,
) -> None:
    contact = await factory.contact(tenant)
    lead = await factory.lead(tenant, contact)
    payload = call_payload(
        contact_id=str(contact.id),
        lead_id=str(lead.id),
        handled_by_role="csr",
        handled_by_user_id=str(csr.id),
        transcript={
            "text": "Hi, my roof leaks. Can someone come Tuesday?",
            "segments": [
                {"speaker": "customer", "text": "Hi, my roof leaks.", "start": 0, "end": 2.5},
                {"speaker": "csr", "text": "Can someone come Tuesday?", "start": 2.5},
            ],
        },
        analysis={
            "summary": "Roof leak; booked Tuesday.",
            "sentiment": "positive",
            "intent": "repair",
            "objections": ["price"],
            "booking_outcome": "booked",
            "next_steps": ["send confirmation"],
            "model": "builtin",
        },
    )
    created = await client.post("/api/calls", json=payload, headers=as_user(manager))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["from_number"] == "+13125550199" and body["to_number"] == "+15555550100"
    assert datetime.fromisoformat(body["started_at"]) == STARTED
    assert body["transcript"]["text"].startswith("Hi, my roof leaks")
    assert [s["speaker"] for s in body["transcript"]["segments"]] == ["customer", "csr"]
    assert body["transcript"]["segments"][1]["end_s"] is None
    assert body["analysis"]["objections"] == ["price"]
    assert body["analysis"]["next_steps"] == ["send confirmation"]

    fetched = await client.get(f"/api/calls/{body['id']}", headers=as_user(csr))
    assert fetched.status_code == 200
    assert fetched.json() == body


async def test_a_call_without_transcript_reads_nulls(
    client: httpx.AsyncClient, csr: User, as_user: AsUser
) -> None:
    created = await client.post(
        "/api/calls", json=call_payload(provider_call_id=None), headers=as_user(csr)
    )
    assert created.status_code == 201, created.text
    assert created.json()["transcript"] is None and created.json()["analysis"] is None


async def test_patch_adds_and_replaces_the_analysis(
    client: httpx.AsyncClient, manager: User, as_user: AsUser
) -> None:
    headers = as_user(manager)
    created = await client.post("/api/calls", json=call_payload(), headers=headers)
    url = f"/api/calls/{created.json()['id']}"
    first = await client.patch(url, json={"analysis": {"summary": "first"}}, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["analysis"]["summary"] == "first"
    second = await client.patch(
        url, json={"analysis": {"summary": "second"}, "outcome": "unbooked"}, headers=headers
    )
    assert second.json()["analysis"]["summary"] == "second"
    assert second.json()["outcome"] == "unbooked"
    assert_invalid(
        await client.patch(url, json={"duration_seconds": -1}, headers=headers), "duration_seconds"
    )
    assert_invalid(
        await client.patch(url, json={"duration_seconds": None}, headers=headers),
        "duration_seconds",
    )


async def test_duplicate_provider_call_id_is_a_conflict(
    client: httpx.AsyncClient, factory: Factory, csr: User, as_user: AsUser
) -> None:
    headers = as_user(csr)
    assert (
        await client.post("/api/calls", json=call_payload(), headers=headers)
    ).status_code == 201
    again = await client.post("/api/calls", json=call_payload(), headers=headers)
    assert again.status_code == 409, again.text
    assert "CA0001" in again.json()["message"]
    # Another provider, or another tenant, may use the same id.
    other_provider = await client.post(
        "/api/calls", json=call_payload(provider="callrail"), headers=headers
    )
    assert other_provider.status_code == 201
    other_tenant = as_user(await factory.user(await factory.tenant(), Role.csr))
    assert (
        await client.post("/api/calls", json=call_payload(), headers=other_tenant)
    ).status_code == 201


async def test_links_must_stay_in_the_tenant(
    client: httpx.AsyncClient, factory: Factory, csr: User, as_user: AsUser
) -> None:
    elsewhere = await factory.tenant()
    foreign_contact = await factory.contact(elsewhere)
    foreign_lead = await factory.lead(elsewhere, foreign_contact)
    foreign_user = await factory.user(elsewhere, Role.csr)
    headers = as_user(csr)
    for field, value in (
        ("contact_id", foreign_contact.id),
        ("lead_id", foreign_lead.id),
        ("handled_by_user_id", foreign_user.id),
    ):
        response = await client.post(
            "/api/calls", json=call_payload(**{field: str(value)}), headers=headers
        )
        assert_invalid(response, field)


async def test_naive_start_time_is_refused(
    client: httpx.AsyncClient, csr: User, as_user: AsUser
) -> None:
    response = await client.post(
        "/api/calls", json=call_payload(started_at="2026-11-20T14:30:00"), headers=as_user(csr)
    )
    assert_invalid(response, "started_at")


async def test_list_filters_and_order(
    client: httpx.AsyncClient, factory: Factory, tenant: Tenant, csr: User, as_user: AsUser
) -> None:
    ann, bob = await factory.contact(tenant), await factory.contact(tenant)
    rep = await factory.user(tenant, Role.rep)
    early = await factory.call(
        tenant, ann, started_at=STARTED - timedelta(days=2), outcome=CallOutcome.missed
    )
    middle = await factory.call(
        tenant,
        bob,
        started_at=STARTED - timedelta(days=1),
        outcome=CallOutcome.booked,
        handled_by_role=HandledByRole.rep,
        handled_by_user_id=rep.id,
    )
    late = await factory.call(tenant, ann, started_at=STARTED, outcome=CallOutcome.booked)

    async def ids(**params: str) -> list[str]:
        response = await client.get("/api/calls", params=params, headers=as_user(csr))
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids() == [str(late.id), str(middle.id), str(early.id)]  # newest first
    assert await ids(contact_id=str(ann.id)) == [str(late.id), str(early.id)]
    assert await ids(outcome="booked") == [str(late.id), str(middle.id)]
    assert await ids(handled_by_user_id=str(rep.id)) == [str(middle.id)]
    assert await ids(handled_by_role="rep") == [str(middle.id)]
    assert await ids(started_after=(STARTED - timedelta(days=1)).isoformat()) == [
        str(late.id),
        str(middle.id),
    ]
    assert await ids(started_before=(STARTED - timedelta(days=1)).isoformat()) == [str(early.id)]
