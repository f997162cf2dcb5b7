"""Tasks: create, every list filter, overdue as a read-time status, transitions, limits."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.tasks.service import TaskService
from switchboard.tenancy.models import Role, Tenant, User
from tests.factories import Factory
from tests.kit.helpers import AsUser, assert_invalid


@pytest.fixture
async def tenant(factory: Factory) -> Tenant:
    return await factory.tenant()


@pytest.fixture
async def csr(factory: Factory, tenant: Tenant) -> User:
    return await factory.user(tenant, Role.csr)


@pytest.fixture
def headers(csr: User, as_user: AsUser) -> dict[str, str]:
    return as_user(csr)


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> dict[str, Any]:
    fields.setdefault("title", "Call back about the roof")
    response = await client.post("/api/tasks", json=fields, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_create_with_defaults_and_links(
    client: httpx.AsyncClient, factory: Factory, tenant: Tenant, csr: User, headers: dict[str, str]
) -> None:
    contact = await factory.contact(tenant)
    lead = await factory.lead(tenant, contact)
    appointment = await factory.appointment(tenant, contact)
    call = await factory.call(tenant, contact)
    rep = await factory.user(tenant, Role.rep)
    body = await create(
        client,
        headers,
        title="  Send the quote  ",
        description="Roof and gutters",
        priority="high",
        assigned_role="rep",
        assignee_id=str(rep.id),
        source="otto",
        contact_id=str(contact.id),
        lead_id=str(lead.id),
        appointment_id=str(appointment.id),
        call_id=str(call.id),
    )
    assert body["title"] == "Send the quote"
    assert body["status"] == "open" and body["priority"] == "high"
    assert body["source"] == "otto" and body["created_by_id"] == str(csr.id)
    assert body["completed_at"] is None and body["due_at"] is None
    for field, value in (
        ("contact_id", contact.id),
        ("lead_id", lead.id),
        ("appointment_id", appointment.id),
        ("call_id", call.id),
        ("assignee_id", rep.id),
    ):
        assert body[field] == str(value)
    minimal = await create(client, headers, title="x")
    assert (minimal["priority"], minimal["assigned_role"], minimal["source"]) == (
        "medium",
        "csr",
        "manual",
    )


async def test_list_filters(
    client: httpx.AsyncClient,
    factory: Factory,
    tenant: Tenant,
    headers: dict[str, str],
    frozen_clock: object,
) -> None:
    now: datetime = frozen_clock.now  # type: ignore[attr-defined]
    contact = await factory.contact(tenant)
    lead = await factory.lead(tenant, contact)
    appointment = await factory.appointment(tenant, contact)
    call = await factory.call(tenant, contact)
    rep = await factory.user(tenant, Role.rep)
    t = {
        "high": await factory.task(tenant, priority="high", due_at=now + timedelta(hours=1)),
        "otto": await factory.task(tenant, source="otto", due_at=now + timedelta(days=2)),
        "rep": await factory.task(tenant, assigned_role="rep", assignee_id=rep.id),
        "done": await factory.task(tenant, status="completed", completed_at=now),
        "cancelled": await factory.task(tenant, status="cancelled", cancelled_at=now),
        "overdue": await factory.task(tenant, due_at=now - timedelta(minutes=1)),
        "contact": await factory.task(tenant, contact_id=contact.id),
        "lead": await factory.task(tenant, lead_id=lead.id),
        "appointment": await factory.task(tenant, appointment_id=appointment.id),
        "call": await factory.task(tenant, call_id=call.id),
    }
    await factory.task(await factory.tenant(), priority="high")

    async def names(**params: str) -> set[str]:
        response = await client.get("/api/tasks", params=params, headers=headers)
        assert response.status_code == 200, response.text
        by_id = {str(task.id): name for name, task in t.items()}
        return {by_id[item["id"]] for item in response.json()["items"]}

    assert await names() == set(t)
    assert await names(priority="high") == {"high"}
    assert await names(source="otto") == {"otto"}
    assert await names(assigned_role="rep") == {"rep"}
    assert await names(assignee_id=str(rep.id)) == {"rep"}
    assert await names(status="completed") == {"done"}
    assert await names(status="cancelled") == {"cancelled"}
    assert await names(status="overdue") == {"overdue"}
    assert await names(status="open") == set(t) - {"done", "cancelled", "overdue"}
    assert await names(due_before=now.isoformat()) == {"overdue"}
    assert await names(due_after=now.isoformat()) == {"high", "otto"}
    assert await names(
        due_after=now.isoformat(), due_before=(now + timedelta(days=1)).isoformat()
    ) == {"high"}
    assert await names(contact_id=str(contact.id)) == {"contact"}
    assert await names(lead_id=str(lead.id)) == {"lead"}
    assert await names(appointment_id=str(appointment.id)) == {"appointment"}
    assert await names(call_id=str(call.id)) == {"call"}
    assert await names(priority="high", status="open") == {"high"}
    assert_invalid(
        await client.get("/api/tasks", params={"status": "nope"}, headers=headers), "status"
    )
    naive = await client.get(
        "/api/tasks", params={"due_before": "2026-01-01T00:00"}, headers=headers
    )
    assert_invalid(naive, "due_before")


async def test_an_open_task_past_due_reads_overdue_everywhere(
    client: httpx.AsyncClient, csr: User, as_user: AsUser, frozen_clock: object
) -> None:
    headers = as_user(csr)
    now: datetime = frozen_clock.now  # type: ignore[attr-defined]
    task = await create(client, headers, due_at=(now + timedelta(hours=1)).isoformat())
    url = f"/api/tasks/{task['id']}"
    assert task["status"] == "open"

    async def seen() -> tuple[str, set[str], set[str], str]:
        got = (await client.get(url, headers=headers)).json()["status"]
        overdue = await client.get("/api/tasks", params={"status": "overdue"}, headers=headers)
        still_open = await client.get("/api/tasks", params={"status": "open"}, headers=headers)
        listed = (await client.get("/api/tasks", headers=headers)).json()["items"]
        return (
            got,
            {item["id"] for item in overdue.json()["items"]},
            {item["id"] for item in still_open.json()["items"]},
            next(item["status"] for item in listed if item["id"] == task["id"]),
        )

    assert await seen() == ("open", set(), {task["id"]}, "open")
    frozen_clock.advance(2 * 3600)  # type: ignore[attr-defined]
    assert await seen() == ("overdue", {task["id"]}, set(), "overdue")

    # Moving the due time out, or completing it, ends the overdue state.
    later = (now + timedelta(days=1)).isoformat()
    patched = await client.patch(url, json={"due_at": later}, headers=headers)
    assert patched.json()["status"] == "open"
    await client.patch(url, json={"due_at": now.isoformat()}, headers=headers)
    completed = await client.post(f"{url}/complete", headers=headers)
    assert completed.json()["status"] == "completed"
    assert (await client.get(url, headers=headers)).json()["status"] == "completed"
    # A task with no due time is never overdue.
    undated = await create(client, headers)
    frozen_clock.advance(365 * 86400)  # type: ignore[attr-defined]
    fetched = await client.get(f"/api/tasks/{undated['id']}", headers=as_user(csr))
    assert fetched.json()["status"] == "open"


async def test_patch_fields(
    client: httpx.AsyncClient, factory: Factory, tenant: Tenant, headers: dict[str, str]
) -> None:
    task = await create(client, headers, description="old")
    contact = await factory.contact(tenant)
    url = f"/api/tasks/{task['id']}"
    patched = await client.patch(
        url,
        json={
            "title": "New title",
            "description": None,
            "priority": "low",
            "contact_id": str(contact.id),
        },
        headers=headers,
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["title"], body["description"], body["priority"]) == ("New title", None, "low")
    assert body["contact_id"] == str(contact.id)
    unlinked = await client.patch(url, json={"contact_id": None}, headers=headers)
    assert unlinked.json()["contact_id"] is None
    for field in ("title", "priority", "assigned_role", "status"):
        assert_invalid(await client.patch(url, json={field: None}, headers=headers), field)
    assert_invalid(await client.patch(url, json={"source": "otto"}, headers=headers), "source")
    assert (
        await client.patch(f"/api/tasks/{uuid.uuid4()}", json={}, headers=headers)
    ).status_code == 404


async def test_complete_cancel_and_reopen(
    client: httpx.AsyncClient, headers: dict[str, str], frozen_clock: object
) -> None:
    task = await create(client, headers)
    url = f"/api/tasks/{task['id']}"
    done = await client.post(f"{url}/complete", headers=headers)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"
    assert datetime.fromisoformat(done.json()["completed_at"]) == frozen_clock.now  # type: ignore[attr-defined]
    # Completing twice changes nothing.
    again = await client.post(f"{url}/complete", headers=headers)
    assert again.status_code == 200 and again.json()["completed_at"] == done.json()["completed_at"]

    refused = await client.post(f"{url}/cancel", headers=headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["status"] == "completed" and "reopen" in refused.json()["message"]

    reopened = await client.patch(url, json={"status": "open"}, headers=headers)
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "open" and reopened.json()["completed_at"] is None

    cancelled = await client.post(f"{url}/cancel", headers=headers)
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancelled_at"] is not None
    refused = await client.post(f"{url}/complete", headers=headers)
    assert refused.status_code == 409
    assert refused.json()["status"] == "cancelled" and "reopen" in refused.json()["message"]
    via_patch = await client.patch(url, json={"status": "completed"}, headers=headers)
    assert via_patch.status_code == 409

    reopened = await client.patch(url, json={"status": "open"}, headers=headers)
    assert reopened.json()["cancelled_at"] is None and reopened.json()["status"] == "open"
    completed_via_patch = await client.patch(url, json={"status": "completed"}, headers=headers)
    assert completed_via_patch.json()["status"] == "completed"

    overdue = await client.patch(url, json={"status": "overdue"}, headers=headers)
    assert_invalid(overdue, "status")
    unknown = uuid.uuid4()
    for action in ("complete", "cancel"):
        response = await client.post(f"/api/tasks/{unknown}/{action}", headers=headers)
        assert response.status_code == 404


async def test_links_into_another_tenant_are_refused(
    client: httpx.AsyncClient, factory: Factory, headers: dict[str, str]
) -> None:
    elsewhere = await factory.tenant()
    contact = await factory.contact(elsewhere)
    foreign = {
        "contact_id": contact.id,
        "lead_id": (await factory.lead(elsewhere, contact)).id,
        "appointment_id": (await factory.appointment(elsewhere, contact)).id,
        "call_id": (await factory.call(elsewhere, contact)).id,
        "assignee_id": (await factory.user(elsewhere, Role.csr)).id,
    }
    task = await create(client, headers)
    for field, value in foreign.items():
        response = await client.post(
            "/api/tasks", json={"title": "x", field: str(value)}, headers=headers
        )
        assert_invalid(response, field)
        response = await client.patch(
            f"/api/tasks/{task['id']}", json={field: str(value)}, headers=headers
        )
        assert_invalid(response, field)
    for field in foreign:
        response = await client.post(
            "/api/tasks", json={"title": "x", field: str(uuid.uuid4())}, headers=headers
        )
        assert_invalid(response, field)


async def test_title_and_description_bounds(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    async def post(**fields: Any) -> httpx.Response:
        return await client.post("/api/tasks", json=fields, headers=headers)

    assert (await post(title="a")).status_code == 201
    assert (await post(title="a" * 200)).status_code == 201
    assert_invalid(await post(title=""), "title")
    assert_invalid(await post(title="   "), "title")
    assert_invalid(await post(title="a" * 201), "title")
    assert_invalid(await post(), "title")
    assert (await post(title="x", description="d" * 10_000)).status_code == 201
    assert_invalid(await post(title="x", description="d" * 10_001), "description")

    task = await create(client, headers)
    url = f"/api/tasks/{task['id']}"
    assert (await client.patch(url, json={"title": "b" * 200}, headers=headers)).status_code == 200
    assert_invalid(await client.patch(url, json={"title": "b" * 201}, headers=headers), "title")
    assert_invalid(await client.patch(url, json={"title": ""}, headers=headers), "title")
    assert_invalid(
        await client.patch(url, json={"description": "d" * 10_001}, headers=headers),
        "description",
    )
    for field, value in (("priority", "urgent"), ("assigned_role", "boss"), ("source", "x")):
        assert_invalid(await post(title="x", **{field: value}), field)
    assert_invalid(await post(title="x", due_at="2026-11-30T10:00:00"), "due_at")


async def test_a_percent_sign_in_a_search_word_is_a_character_not_a_wildcard(
    session: AsyncSession, factory: Factory, tenant: Tenant, csr: User
) -> None:
    discount = await factory.task(tenant, title="Offer 10% off the gutters")
    await factory.task(tenant, title="Offer 10 dollars off the gutters")
    club = await factory.contact(tenant, first_name="Dana", last_name="Brooks", company="10% Club")
    by_company = await factory.task(tenant, title="Call back", contact_id=club.id)
    other = await factory.contact(tenant, first_name="Lee", last_name="Park", company="100 Roofs")
    await factory.task(tenant, title="Call back", contact_id=other.id)

    found = await TaskService(session, csr).find_pending(["10%"])

    assert {task.id for task in found} == {discount.id, by_company.id}
