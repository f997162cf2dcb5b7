"""The permission matrix of docs/PERMISSIONS.md, as a table: every action tried through the
API by each role, with the answer each must get."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.config import Settings
from switchboard.crm.models import HandledByRole, Lead
from switchboard.messaging.models import Direction, MessagingSession
from switchboard.tasks.models import AssignedRole, Task, TaskStatus
from switchboard.tenancy.models import Role, User
from tests.ai.test_staff_tools import failed, run
from tests.factories import Factory, text_message
from tests.kit.helpers import AsUser, error_fields

START = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
ROLES = (Role.rep, Role.csr, Role.manager, Role.admin)


def span(hours: int = 1, after: timedelta = timedelta()) -> dict[str, str]:
    return {
        "starts_at": (START + after).isoformat(),
        "ends_at": (START + after + timedelta(hours=hours)).isoformat(),
    }


@dataclass
class World:
    """One company: the acting rep, another rep, and records in and out of the rep's scope."""

    users: dict[Role, User]
    other_rep: User
    ids: dict[str, str]

    @property
    def rep(self) -> User:
        return self.users[Role.rep]


@pytest.fixture
async def world(factory: Factory, session: AsyncSession) -> World:
    tenant = await factory.tenant()
    await factory.channel(tenant, "+15555550100")
    users = {role: await factory.user(tenant, role) for role in ROLES}
    rep, csr, manager = users[Role.rep], users[Role.csr], users[Role.manager]
    other_rep = await factory.user(tenant, Role.rep)
    mine, theirs, nobodys = [await factory.contact(tenant) for _ in range(3)]
    lead = await factory.lead(tenant, mine, assigned_rep_id=rep.id, estimated_value=9000)
    their_lead = await factory.lead(tenant, theirs, assigned_rep_id=other_rep.id)
    call = await factory.call(
        tenant, mine, handled_by_user_id=rep.id, handled_by_role=HandledByRole.rep
    )
    appointment = await factory.appointment(tenant, mine, rep, starts_at=START)
    shift = await factory.shift(tenant, rep)
    recording = await factory.recording(tenant, rep, appointment_id=appointment.id)
    managers_task = await factory.task(
        tenant,
        assignee_id=manager.id,
        assigned_role=AssignedRole.manager,
        created_by_id=manager.id,
    )
    csrs_task = await factory.task(tenant, assignee_id=csr.id, assigned_role=AssignedRole.csr)
    await text_message(session, tenant, mine, Direction.inbound, "Is Tuesday ok?", START)
    thread = (
        await session.execute(
            select(MessagingSession).where(MessagingSession.contact_id == mine.id)
        )
    ).scalar_one()
    thread.ai_paused, thread.taken_over_by_id = True, csr.id
    await session.flush()
    ids = {
        "mine": mine.id,
        "theirs": theirs.id,
        "nobodys": nobodys.id,
        "lead": lead.id,
        "their_lead": their_lead.id,
        "call": call.id,
        "appointment": appointment.id,
        "shift": shift.id,
        "recording": recording.id,
        "managers_task": managers_task.id,
        "csrs_task": csrs_task.id,
        "thread": thread.id,
    }
    return World(users, other_rep, {name: str(ident) for name, ident in ids.items()})


Action = Callable[[httpx.AsyncClient, World, User, dict[str, str]], Awaitable[httpx.Response]]


def post(path: str, body: Callable[[World, User], dict[str, Any]] | None = None) -> Action:
    async def act(
        client: httpx.AsyncClient, w: World, actor: User, headers: dict[str, str]
    ) -> httpx.Response:
        url = path.format(**w.ids)
        payload = body(w, actor) if body else None
        return await client.post(url, json=payload, headers=headers)

    return act


def patch(path: str, body: Callable[[World, User], dict[str, Any]]) -> Action:
    async def act(
        client: httpx.AsyncClient, w: World, actor: User, headers: dict[str, str]
    ) -> httpx.Response:
        return await client.patch(path.format(**w.ids), json=body(w, actor), headers=headers)

    return act


def a_rep(w: World, actor: User) -> str:
    """The rep a record is for: the actor when they are a rep, else the company's rep."""
    return str(actor.id if actor.role == Role.rep else w.rep.id)


ANALYSIS = {"summary": "Booked the roof inspection", "sentiment": "positive"}

# action -> (what it does, the expected status for rep, CSR, manager, admin)
MATRIX: dict[str, tuple[Action, tuple[int, int, int, int]]] = {
    # contacts
    "create a contact": (post("/api/contacts", lambda w, a: {"first_name": "New"}), (201,) * 4),
    "edit a contact in scope": (
        patch("/api/contacts/{mine}", lambda w, a: {"notes": "gate code 12"}),
        (200,) * 4,
    ),
    "edit a contact out of scope": (
        patch("/api/contacts/{nobodys}", lambda w, a: {"notes": "x"}),
        (404, 200, 200, 200),
    ),
    # leads
    "create a lead for an out-of-scope contact, for the rep": (
        post("/api/leads", lambda w, a: {"contact_id": w.ids["nobodys"], "assigned_rep_id": a_rep(w, a)}),
        (422, 201, 201, 201),
    ),
    "create a lead for a contact in scope, for the rep": (
        post("/api/leads", lambda w, a: {"contact_id": w.ids["mine"], "assigned_rep_id": a_rep(w, a)}),
        (201,) * 4,
    ),
    "create a lead with an estimated value": (
        post("/api/leads", lambda w, a: {"contact_id": w.ids["mine"], "assigned_rep_id": a_rep(w, a), "estimated_value": "50000"}),
        (403, 201, 201, 201),
    ),
    "mark the rep's lead won": (
        patch("/api/leads/{lead}", lambda w, a: {"status": "won"}), (200,) * 4
    ),
    "mark the rep's lead won at a new value": (
        patch("/api/leads/{lead}", lambda w, a: {"status": "won", "estimated_value": "1000000"}),
        (403, 200, 200, 200),
    ),
    "resend the lead's value unchanged": (
        patch("/api/leads/{lead}", lambda w, a: {"estimated_value": "9000.00", "notes": "signed"}),
        (200,) * 4,
    ),
    "reassign the rep's lead to another rep": (
        patch("/api/leads/{lead}", lambda w, a: {"assigned_rep_id": str(w.other_rep.id)}),
        (403, 200, 200, 200),
    ),
    "unassign the rep's lead": (
        patch("/api/leads/{lead}", lambda w, a: {"assigned_rep_id": None}),
        (403, 200, 200, 200),
    ),
    "edit another rep's lead": (
        patch("/api/leads/{their_lead}", lambda w, a: {"status": "contacted"}),
        (404, 200, 200, 200),
    ),
    # calls
    "log a call for an out-of-scope contact": (
        post("/api/calls", lambda w, a: {"direction": "outbound", "started_at": START.isoformat(), "contact_id": w.ids["nobodys"]}),
        (422, 201, 201, 201),
    ),
    "log a call someone else handled": (
        post("/api/calls", lambda w, a: {"direction": "outbound", "started_at": START.isoformat(), "contact_id": w.ids["mine"], "handled_by_user_id": str(w.other_rep.id)}),
        (403, 201, 201, 201),
    ),
    "log a call with an analysis": (
        post("/api/calls", lambda w, a: {"direction": "outbound", "started_at": START.isoformat(), "contact_id": w.ids["mine"], "analysis": ANALYSIS}),
        (403, 403, 201, 201),
    ),
    "edit the rep's call": (
        patch("/api/calls/{call}", lambda w, a: {"outcome": "booked"}), (200,) * 4
    ),
    "replace the rep's call transcript": (
        patch("/api/calls/{call}", lambda w, a: {"transcript": {"text": "Hi, it's Sam."}}),
        (200,) * 4,
    ),
    "rewrite the rep's call analysis": (
        patch("/api/calls/{call}", lambda w, a: {"analysis": ANALYSIS}),
        (403, 403, 200, 200),
    ),
    "hand the rep's call to another rep": (
        patch("/api/calls/{call}", lambda w, a: {"handled_by_user_id": str(w.other_rep.id)}),
        (403, 200, 200, 200),
    ),
    # appointments
    "book an out-of-scope contact with the rep": (
        post("/api/appointments", lambda w, a: {"contact_id": w.ids["nobodys"], "rep_id": a_rep(w, a), **span()}),
        (422, 201, 201, 201),
    ),
    "book a contact in scope with the rep": (
        post("/api/appointments", lambda w, a: {"contact_id": w.ids["mine"], "rep_id": a_rep(w, a), **span()}),
        (201,) * 4,
    ),
    "book a contact in scope with another rep": (
        post("/api/appointments", lambda w, a: {"contact_id": w.ids["mine"], "rep_id": str(w.other_rep.id), **span()}),
        (403, 201, 201, 201),
    ),
    "link another rep's lead to the rep's appointment": (
        patch("/api/appointments/{appointment}", lambda w, a: {"lead_id": w.ids["their_lead"]}),
        (422, 200, 200, 200),
    ),
    "complete the rep's appointment": (
        patch("/api/appointments/{appointment}", lambda w, a: {"status": "completed", "notes": "signed"}),
        (200,) * 4,
    ),
    "cancel the rep's appointment": (
        patch("/api/appointments/{appointment}", lambda w, a: {"status": "cancelled"}),
        (403, 200, 200, 200),
    ),
    "move the rep's appointment": (
        patch("/api/appointments/{appointment}", lambda w, a: span(after=timedelta(days=1))),
        (403, 200, 200, 200),
    ),
    "resend the rep's appointment times unchanged": (
        patch("/api/appointments/{appointment}", lambda w, a: {**span(), "notes": "gate"}),
        (200,) * 4,
    ),
    "reassign the rep's appointment": (
        patch("/api/appointments/{appointment}", lambda w, a: {"rep_id": str(w.other_rep.id)}),
        (403, 200, 200, 200),
    ),
    # rep shifts
    "put the rep on shift": (
        post("/api/rep-shifts", lambda w, a: {"rep_id": a_rep(w, a), **span(8)}), (201,) * 4
    ),
    "put another rep on shift": (
        post("/api/rep-shifts", lambda w, a: {"rep_id": str(w.other_rep.id), **span(8)}),
        (403, 201, 201, 201),
    ),
    "cancel the rep's shift": (
        patch("/api/rep-shifts/{shift}", lambda w, a: {"status": "cancelled"}), (200,) * 4
    ),
    # recording sessions
    "record the rep's visit": (
        post("/api/recording-sessions", lambda w, a: {"rep_id": a_rep(w, a), "appointment_id": w.ids["appointment"], "started_at": START.isoformat()}),
        (201, 403, 201, 201),
    ),
    "finish the rep's recording with its transcript": (
        patch("/api/recording-sessions/{recording}", lambda w, a: {"status": "completed", "transcript": "Rep: hi"}),
        (200, 403, 200, 200),
    ),
    "rewrite the recording's analysis": (
        patch("/api/recording-sessions/{recording}", lambda w, a: {"analysis": {"summary": "great"}}),
        (403, 403, 200, 200),
    ),
    # tasks
    "create a task for an out-of-scope contact": (
        post("/api/tasks", lambda w, a: {"title": "Call", "contact_id": w.ids["nobodys"]}),
        (422, 201, 201, 201),
    ),
    "create a task for another rep": (
        post("/api/tasks", lambda w, a: {"title": "Cover my 3pm", "assigned_role": "rep", "assignee_id": str(w.other_rep.id)}),
        (201,) * 4,
    ),
    "complete the CSR's task": (post("/api/tasks/{csrs_task}/complete"), (404, 200, 200, 200)),
    "cancel the manager's task": (post("/api/tasks/{managers_task}/cancel"), (404, 403, 200, 200)),
    "complete the manager's task": (post("/api/tasks/{managers_task}/complete"), (404, 403, 200, 200)),
    "edit the manager's task": (
        patch("/api/tasks/{managers_task}", lambda w, a: {"title": "Mine now"}),
        (404, 403, 200, 200),
    ),
    "reassign the manager's task": (
        patch("/api/tasks/{managers_task}", lambda w, a: {"assignee_id": str(a.id)}),
        (404, 403, 200, 200),
    ),
    # messages and takeover (the thread with the rep's contact, taken over by the CSR)
    "text a contact in scope": (
        post("/api/contacts/{mine}/messages", lambda w, a: {"body": "On my way"}), (201,) * 4
    ),
    "text a contact out of scope": (
        post("/api/contacts/{nobodys}/messages", lambda w, a: {"body": "Hello"}),
        (404, 201, 201, 201),
    ),
    "take over the CSR's conversation": (
        post("/api/inbox/sessions/{thread}/takeover"), (403, 200, 200, 200)
    ),
    "hand the CSR's conversation back to the AI": (
        post("/api/inbox/sessions/{thread}/release"), (403, 200, 200, 200)
    ),
}  # fmt: skip


@pytest.mark.parametrize("role", ROLES, ids=str)
@pytest.mark.parametrize("action", MATRIX)
async def test_permission_matrix(
    client: httpx.AsyncClient, world: World, as_user: AsUser, action: str, role: Role
) -> None:
    act, expected = MATRIX[action]
    want = expected[ROLES.index(role)]
    actor = world.users[role]
    response = await act(client, world, actor, as_user(actor))
    assert response.status_code == want, response.text
    body = response.json()
    if want == 403:
        assert body["error"] == "forbidden" and body["message"], body
    if want == 422:  # a link out of scope reads as a link to nothing
        assert body["error"] == "invalid_field" and error_fields(response), body
        assert "in this company" in body["message"]


async def test_a_link_cannot_widen_a_reps_scope(
    client: httpx.AsyncClient, world: World, as_user: AsUser
) -> None:
    """The reported hole: a lead or appointment for an out-of-scope contact, with the rep as
    its rep, made that contact and its thread readable to the rep."""
    headers = as_user(world.rep)
    contact = world.ids["nobodys"]
    tries = [
        ("/api/leads", {"contact_id": contact, "assigned_rep_id": str(world.rep.id)}),
        ("/api/leads", {"contact_id": contact}),
        ("/api/appointments", {"contact_id": contact, "rep_id": str(world.rep.id), **span()}),
        ("/api/appointments", {"contact_id": contact, **span()}),
    ]
    for url, payload in tries:
        response = await client.post(url, json=payload, headers=headers)
        assert response.status_code == 422, response.text
        assert error_fields(response) == ["contact_id"]
        for path in (f"/api/contacts/{contact}", f"/api/contacts/{contact}/messages"):
            assert (await client.get(path, headers=headers)).status_code == 404, path


async def test_a_reps_new_contact_comes_with_their_lead(
    client: httpx.AsyncClient, world: World, as_user: AsUser, session: AsyncSession
) -> None:
    headers = as_user(world.rep)
    created = await client.post(
        "/api/contacts", json={"first_name": "Nia", "lead_source": "referral"}, headers=headers
    )
    assert created.status_code == 201, created.text
    contact = created.json()["id"]
    assert (await client.get(f"/api/contacts/{contact}", headers=headers)).status_code == 200
    leads = (await client.get("/api/leads", params={"contact_id": contact}, headers=headers)).json()
    (lead,) = leads["items"]
    assert (lead["assigned_rep_id"], lead["source"], lead["status"]) == (
        str(world.rep.id),
        "referral",
        "new",
    )
    booked = await client.post(
        "/api/appointments", json={"contact_id": contact, **span()}, headers=headers
    )
    assert booked.status_code == 201, booked.text
    assert booked.json()["rep_id"] == str(world.rep.id)
    # An office user's new contact is nobody's lead yet.
    csr = as_user(world.users[Role.csr])
    other = await client.post("/api/contacts", json={"first_name": "Oz"}, headers=csr)
    other_id = uuid.UUID(other.json()["id"])
    found = await session.execute(select(Lead).where(Lead.contact_id == other_id))
    assert found.scalars().all() == []


async def test_a_phone_conflict_names_only_a_contact_the_user_may_open(
    client: httpx.AsyncClient, world: World, as_user: AsUser
) -> None:
    csr = as_user(world.users[Role.csr])
    taken = (await client.get(f"/api/contacts/{world.ids['nobodys']}", headers=csr)).json()
    payload = {"first_name": "Dup", "phone": taken["phone"]}
    for user, shown in ((world.users[Role.csr], True), (world.rep, False)):
        response = await client.post("/api/contacts", json=payload, headers=as_user(user))
        assert response.status_code == 409, response.text
        assert ("contact_id" in response.json()) is shown


async def test_writing_into_a_taken_over_conversation_leaves_it_with_its_holder(
    client: httpx.AsyncClient, world: World, as_user: AsUser, session: AsyncSession
) -> None:
    manager = world.users[Role.manager]
    sent = await client.post(
        f"/api/contacts/{world.ids['mine']}/messages",
        json={"body": "Tuesday works"},
        headers=as_user(manager),
    )
    assert sent.status_code == 201, sent.text
    thread = await session.get(MessagingSession, uuid.UUID(sent.json()["session_id"]))
    assert thread is not None
    await session.refresh(thread)
    assert (thread.ai_paused, thread.taken_over_by_id) == (True, world.users[Role.csr].id)


async def test_the_assistant_obeys_the_same_rules(
    session: AsyncSession, settings: Settings, world: World
) -> None:
    """A CSR's assistant cannot cancel, complete or hand on a manager's task; a manager's can."""
    csr, manager = world.users[Role.csr], world.users[Role.manager]
    task_id = world.ids["managers_task"]
    for tool, arguments in (
        ("update_task", {"task_id": task_id, "status": "cancelled"}),
        ("update_task", {"task_id": task_id, "assignee": "me"}),
        ("complete_task", {"task_id": task_id}),
    ):
        message = failed(await run(session, settings, csr, tool, **arguments))
        assert "only the task's assignee, its creator or a manager" in message, message
    task = await session.get(Task, uuid.UUID(task_id))
    assert task is not None
    await session.refresh(task)
    assert (task.status, task.assignee_id) == (TaskStatus.open, manager.id)
    done = await run(session, settings, manager, "complete_task", task_id=task_id)
    assert done.status == "ok", done.result
