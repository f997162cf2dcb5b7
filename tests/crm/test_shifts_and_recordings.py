"""Rep shifts and in-home recording sessions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from switchboard.tenancy.models import Role, Tenant, User
from tests.factories import Factory
from tests.kit.helpers import AsUser, assert_invalid

START = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)


@pytest.fixture
async def tenant(factory: Factory) -> Tenant:
    return await factory.tenant()


@pytest.fixture
async def manager(factory: Factory, tenant: Tenant) -> User:
    return await factory.user(tenant, Role.manager)


@pytest.fixture
async def rep(factory: Factory, tenant: Tenant) -> User:
    return await factory.user(tenant, Role.rep)


async def test_shift_create_update_and_list(
    client: httpx.AsyncClient,
    factory: Factory,
    tenant: Tenant,
    manager: User,
    rep: User,
    as_user: AsUser,
) -> None:
    headers = as_user(manager)
    created = await client.post(
        "/api/rep-shifts",
        json={
            "rep_id": str(rep.id),
            "starts_at": START.isoformat(),
            "ends_at": (START + timedelta(hours=8)).isoformat(),
            "territory": "North side",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "scheduled"
    url = f"/api/rep-shifts/{created.json()['id']}"
    active = await client.patch(url, json={"status": "active"}, headers=headers)
    assert active.status_code == 200 and active.json()["status"] == "active"
    early_end = await client.patch(
        url, json={"ends_at": (START - timedelta(minutes=1)).isoformat()}, headers=headers
    )
    assert_invalid(early_end, "ends_at")
    assert_invalid(await client.patch(url, json={"status": None}, headers=headers), "status")

    other_rep = await factory.user(tenant, Role.rep)
    earlier = await factory.shift(tenant, other_rep, starts_at=START - timedelta(days=1))
    listed = await client.get("/api/rep-shifts", headers=headers)
    assert [s["id"] for s in listed.json()["items"]] == [str(earlier.id), created.json()["id"]]
    mine = await client.get("/api/rep-shifts", params={"rep_id": str(rep.id)}, headers=headers)
    assert [s["id"] for s in mine.json()["items"]] == [created.json()["id"]]
    by_status = await client.get("/api/rep-shifts", params={"status": "active"}, headers=headers)
    assert [s["id"] for s in by_status.json()["items"]] == [created.json()["id"]]


async def test_a_shift_belongs_to_a_rep(
    client: httpx.AsyncClient, factory: Factory, tenant: Tenant, manager: User, as_user: AsUser
) -> None:
    csr = await factory.user(tenant, Role.csr)
    foreign_rep = await factory.user(await factory.tenant(), Role.rep)
    for rep_id in (csr.id, foreign_rep.id, uuid.uuid4()):
        response = await client.post(
            "/api/rep-shifts",
            json={
                "rep_id": str(rep_id),
                "starts_at": START.isoformat(),
                "ends_at": (START + timedelta(hours=1)).isoformat(),
            },
            headers=as_user(manager),
        )
        assert_invalid(response, "rep_id")


async def test_recording_session_lifecycle(
    client: httpx.AsyncClient,
    factory: Factory,
    tenant: Tenant,
    manager: User,
    rep: User,
    as_user: AsUser,
) -> None:
    appointment = await factory.appointment(tenant, await factory.contact(tenant), rep)
    headers = as_user(rep)
    created = await client.post(
        "/api/recording-sessions",
        json={
            "rep_id": str(rep.id),
            "appointment_id": str(appointment.id),
            "started_at": START.isoformat(),
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "recording" and body["source"] == "shunya"
    url = f"/api/recording-sessions/{body['id']}"
    finished = await client.patch(
        url,
        json={
            "ended_at": (START + timedelta(minutes=75)).isoformat(),
            "status": "completed",
            "transcript": "Rep: Let's look at the attic.",
        },
        headers=headers,
    )
    assert finished.status_code == 200, finished.text
    assert finished.json()["transcript"] == "Rep: Let's look at the attic."
    # The analysis is Shunya's; by hand only a manager writes it (docs/PERMISSIONS.md).
    finished = await client.patch(
        url,
        json={"analysis": {"summary": "Good visit", "close_probability": 0.7}},
        headers=as_user(manager),
    )
    assert finished.status_code == 200, finished.text
    assert finished.json()["analysis"] == {"summary": "Good visit", "close_probability": 0.7}
    too_early = await client.patch(
        url, json={"ended_at": (START - timedelta(minutes=1)).isoformat()}, headers=headers
    )
    assert_invalid(too_early, "ended_at")
    assert_invalid(await client.patch(url, json={"status": None}, headers=headers), "status")

    listed = await client.get(
        "/api/recording-sessions",
        params={"appointment_id": str(appointment.id), "status": "completed"},
        headers=as_user(manager),
    )
    assert [r["id"] for r in listed.json()["items"]] == [body["id"]]


async def test_recording_links_are_checked(
    client: httpx.AsyncClient, factory: Factory, manager: User, rep: User, as_user: AsUser
) -> None:
    elsewhere = await factory.tenant()
    foreign = await factory.appointment(elsewhere, await factory.contact(elsewhere))
    response = await client.post(
        "/api/recording-sessions",
        json={
            "rep_id": str(rep.id),
            "appointment_id": str(foreign.id),
            "started_at": START.isoformat(),
        },
        headers=as_user(manager),
    )
    assert_invalid(response, "appointment_id")
    not_a_rep = await client.post(
        "/api/recording-sessions",
        json={"rep_id": str(manager.id), "started_at": START.isoformat()},
        headers=as_user(manager),
    )
    assert_invalid(not_a_rep, "rep_id")
