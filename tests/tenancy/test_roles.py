"""What each role sees and may do inside its own company."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from switchboard.crm.models import HandledByRole
from switchboard.tenancy.models import Role, User
from tests.factories import Factory
from tests.kit.helpers import AsUser

LISTS = {
    "contacts": "/api/contacts",
    "leads": "/api/leads",
    "calls": "/api/calls",
    "appointments": "/api/appointments",
    "shifts": "/api/rep-shifts",
    "recordings": "/api/recording-sessions",
    "tasks": "/api/tasks",
}
START = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@dataclass
class Company:
    manager: User
    csr: User
    rep: User
    other_rep: User
    ids: dict[str, dict[str, str]]  # kind -> name -> id


@pytest.fixture
async def company(factory: Factory) -> Company:
    tenant = await factory.tenant()
    manager = await factory.user(tenant, Role.manager)
    csr = await factory.user(tenant, Role.csr)
    rep = await factory.user(tenant, Role.rep)
    other_rep = await factory.user(tenant, Role.rep)
    mine, theirs, nobodys = [await factory.contact(tenant) for _ in range(3)]
    ids: dict[str, dict[str, str]] = {kind: {} for kind in LISTS}

    def keep(kind: str, name: str, row: object) -> None:
        ids[kind][name] = str(row.id)  # type: ignore[attr-defined]

    for name, contact in (("mine", mine), ("theirs", theirs), ("nobodys", nobodys)):
        keep("contacts", name, contact)
    keep("leads", "mine", await factory.lead(tenant, mine, assigned_rep_id=rep.id))
    keep("leads", "theirs", await factory.lead(tenant, theirs, assigned_rep_id=other_rep.id))
    keep("leads", "nobodys", await factory.lead(tenant, nobodys))
    keep(
        "calls",
        "mine",
        await factory.call(
            tenant, mine, handled_by_user_id=rep.id, handled_by_role=HandledByRole.rep
        ),
    )
    keep("calls", "csr", await factory.call(tenant, nobodys, handled_by_user_id=csr.id))
    keep("appointments", "mine", await factory.appointment(tenant, mine, rep))
    keep("appointments", "theirs", await factory.appointment(tenant, theirs, other_rep))
    keep("shifts", "mine", await factory.shift(tenant, rep))
    keep("shifts", "theirs", await factory.shift(tenant, other_rep))
    keep("recordings", "mine", await factory.recording(tenant, rep))
    keep("recordings", "theirs", await factory.recording(tenant, other_rep))
    keep("tasks", "assigned", await factory.task(tenant, assignee_id=rep.id))
    keep("tasks", "created", await factory.task(tenant, created_by_id=rep.id))
    keep("tasks", "theirs", await factory.task(tenant, assignee_id=other_rep.id))
    keep("tasks", "csr", await factory.task(tenant, assignee_id=csr.id, created_by_id=csr.id))
    return Company(manager, csr, rep, other_rep, ids)


async def visible(client: httpx.AsyncClient, headers: dict[str, str], kind: str) -> set[str]:
    response = await client.get(LISTS[kind], params={"limit": 200}, headers=headers)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def test_manager_sees_everything(
    client: httpx.AsyncClient, company: Company, as_user: AsUser
) -> None:
    headers = as_user(company.manager)
    for kind, named in company.ids.items():
        assert await visible(client, headers, kind) == set(named.values()), kind


async def test_csr_sees_all_contacts_leads_calls_and_tasks(
    client: httpx.AsyncClient, company: Company, as_user: AsUser
) -> None:
    headers = as_user(company.csr)
    for kind in ("contacts", "leads", "calls", "tasks", "appointments"):
        assert await visible(client, headers, kind) == set(company.ids[kind].values()), kind


async def test_rep_sees_only_their_own(
    client: httpx.AsyncClient, company: Company, as_user: AsUser
) -> None:
    headers = as_user(company.rep)
    expected = {
        "contacts": {"mine"},
        "leads": {"mine"},
        "calls": {"mine"},
        "appointments": {"mine"},
        "shifts": {"mine"},
        "recordings": {"mine"},
        "tasks": {"assigned", "created"},
    }
    for kind, names in expected.items():
        assert await visible(client, headers, kind) == {
            company.ids[kind][name] for name in names
        }, kind
    # Another rep's records answer 404, as if they did not exist.
    for kind, name in (
        ("appointments", "theirs"),
        ("leads", "theirs"),
        ("shifts", "theirs"),
        ("recordings", "theirs"),
        ("tasks", "theirs"),
        ("tasks", "csr"),
        ("calls", "csr"),
        ("contacts", "theirs"),
    ):
        url = f"{LISTS[kind]}/{company.ids[kind][name]}"
        assert (await client.get(url, headers=headers)).status_code == 404, url
        assert (await client.patch(url, json={}, headers=headers)).status_code == 404, url
    task = company.ids["tasks"]["theirs"]
    for action in ("complete", "cancel"):
        response = await client.post(f"/api/tasks/{task}/{action}", headers=headers)
        assert response.status_code == 404
    theirs = company.ids["contacts"]["theirs"]
    timeline = await client.get(f"/api/contacts/{theirs}/timeline", headers=headers)
    assert timeline.status_code == 404
    mine = company.ids["contacts"]["mine"]
    timeline = await client.get(f"/api/contacts/{mine}/timeline", headers=headers)
    assert timeline.status_code == 200


async def test_rep_cannot_act_for_another_rep(
    client: httpx.AsyncClient, factory: Factory, company: Company, as_user: AsUser
) -> None:
    headers = as_user(company.rep)
    span = {"starts_at": START.isoformat(), "ends_at": (START + timedelta(hours=8)).isoformat()}
    theirs = await client.post(
        "/api/rep-shifts", json={"rep_id": str(company.other_rep.id), **span}, headers=headers
    )
    assert theirs.status_code == 403, theirs.text
    own = await client.post(
        "/api/rep-shifts", json={"rep_id": str(company.rep.id), **span}, headers=headers
    )
    assert own.status_code == 201, own.text

    recording = await client.post(
        "/api/recording-sessions",
        json={"rep_id": str(company.other_rep.id), "started_at": START.isoformat()},
        headers=headers,
    )
    assert recording.status_code == 403
    contact = company.ids["contacts"]["mine"]
    appointment = await client.post(
        "/api/appointments",
        json={"contact_id": contact, "rep_id": str(company.other_rep.id), **span},
        headers=headers,
    )
    assert appointment.status_code == 403
    lead = company.ids["leads"]["mine"]
    handed_over = await client.patch(
        f"/api/leads/{lead}", json={"assigned_rep_id": str(company.other_rep.id)}, headers=headers
    )
    assert handed_over.status_code == 403
    assert (await client.get(f"/api/leads/{lead}", headers=headers)).status_code == 200


async def test_staff_may_act_for_any_rep(
    client: httpx.AsyncClient, company: Company, as_user: AsUser
) -> None:
    span = {"starts_at": START.isoformat(), "ends_at": (START + timedelta(hours=8)).isoformat()}
    for staff in (company.csr, company.manager):
        response = await client.post(
            "/api/rep-shifts",
            json={"rep_id": str(company.other_rep.id), **span},
            headers=as_user(staff),
        )
        assert response.status_code == 201, response.text
