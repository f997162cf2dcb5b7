"""Transcripts in and analyses out through the API, on both databases: the analysis job
after commit, follow-up tasks made once and kept in step, tasks a person closed left alone,
and the record changes Otto and Shunya make when the transcript states them plainly."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.callintel.models import RecordChange
from switchboard.callintel.service import ANALYSIS_CREATED, ANALYZE_JOB
from switchboard.crm.models import Call, Lead, LeadStatus
from switchboard.kit.db import Database
from switchboard.kit.events import Event, LocalBus
from switchboard.kit.jobs import Job, Worker
from switchboard.kit.resources import Resources
from switchboard.tasks.models import Task
from switchboard.tenancy.models import Role, Tenant, User
from tests.callintel.transcripts import BOOKED, CALL_AT, CALL_BACK, IN_HOME, SPOUSE, Case
from tests.factories import Factory
from tests.kit.helpers import AsUser

CHICAGO = ZoneInfo("America/Chicago")


def body(case: Case) -> dict[str, Any]:
    return {"segments": case.segment_dicts()}


async def setup_call(factory: Factory, **lead: Any) -> tuple[Tenant, User, Call, Lead]:
    tenant = await factory.tenant(name="Summit Roofing")
    csr = await factory.user(tenant, Role.csr)
    contact = await factory.contact(tenant, first_name="Jordan", last_name="Reyes")
    lead_row = await factory.lead(tenant, contact, **lead)
    call = await factory.call(
        tenant,
        contact,
        lead_id=lead_row.id,
        started_at=datetime.fromisoformat(CALL_AT),
        handled_by_user_id=csr.id,
    )
    return tenant, csr, call, lead_row


async def tasks_of(session: AsyncSession, **where: Any) -> list[Task]:
    stmt = select(Task).execution_options(populate_existing=True).order_by(Task.created_at)
    for name, value in where.items():
        stmt = stmt.where(getattr(Task, name) == value)
    return list((await session.execute(stmt)).scalars())


async def test_a_transcript_is_analysed_after_commit_into_an_analysis_and_tasks(
    client: httpx.AsyncClient,
    factory: Factory,
    as_user: AsUser,
    db: Database,
    session: AsyncSession,
    resources: Resources,
) -> None:
    _tenant, csr, call, lead = await setup_call(factory)
    headers = as_user(csr)
    url = f"/api/calls/{call.id}"
    assert (await client.get(f"{url}/analysis", headers=headers)).status_code == 404

    put = await client.put(f"{url}/transcript", json=body(CALL_BACK), headers=headers)
    assert put.status_code == 200, put.text
    assert put.json()["analysis_queued"] is True
    assert put.json()["segments"][3] == {
        "speaker": "Caller",
        "start_s": put.json()["segments"][3]["start_s"],
        "end_s": put.json()["segments"][3]["end_s"],
        "text": "Call me back Thursday after 5.",
    }
    jobs = await session.execute(select(Job).where(Job.kind == ANALYZE_JOB))
    assert len(jobs.scalars().all()) == 1
    assert (await client.get(f"{url}/analysis", headers=headers)).status_code == 404

    await Worker(db, concurrency=1, resources=resources).drain()
    analysis = (await client.get(f"{url}/analysis", headers=headers)).json()
    assert set(analysis) >= {
        "summary", "sentiment", "intent", "objections", "booking_outcome", "next_steps",
        "model", "created_at",
    }  # fmt: skip
    assert analysis["intent"] == "estimate_request"
    assert analysis["booking_outcome"] == "follow_up"
    assert analysis["model"] == "builtin-analyser-1"
    assert analysis["next_steps"] == ["Call back Jordan Reyes Thursday after 5"]
    step = analysis["findings"]["next_steps"][0]
    assert step["lines"] == [3] and step["due"] == "Thursday after 5"

    (task,) = await tasks_of(session, call_id=call.id)
    assert task.source == "otto" and task.contact_id == call.contact_id
    assert task.lead_id == lead.id and task.assigned_role == "csr" and task.assignee_id is None
    assert task.priority == "high"
    assert task.due_at is not None
    assert task.due_at.astimezone(CHICAGO).strftime("%a %H:%M") == "Thu 17:00"
    assert 'Line 4, Caller: "Call me back Thursday after 5."' in (task.description or "")
    listed = await client.get(
        "/api/tasks", params={"call_id": str(call.id), "source": "otto"}, headers=headers
    )
    assert [t["id"] for t in listed.json()["items"]] == [str(task.id)]


async def call_back_task(
    client: httpx.AsyncClient,
    factory: Factory,
    as_user: AsUser,
    db: Database,
    session: AsyncSession,
    resources: Resources,
) -> tuple[User, Call, Task]:
    """A CSR's call whose transcript asks for a call-back, analysed into its one task."""
    _tenant, csr, call, _ = await setup_call(factory)
    await client.put(f"/api/calls/{call.id}/transcript", json=body(CALL_BACK), headers=as_user(csr))
    await Worker(db, concurrency=1, resources=resources).drain()
    (task,) = await tasks_of(session, call_id=call.id)
    return csr, call, task


def friday_instead() -> dict[str, Any]:
    """CALL_BACK's transcript, corrected: the customer said Friday after 4."""
    fixed = body(CALL_BACK)
    fixed["segments"][3]["text"] = "Call me back Friday after 4."
    fixed["segments"][4]["text"] = "Will do."
    return fixed


async def test_analysing_again_updates_and_never_reopens_or_duplicates(
    client: httpx.AsyncClient,
    factory: Factory,
    as_user: AsUser,
    db: Database,
    session: AsyncSession,
    resources: Resources,
) -> None:
    csr, call, task = await call_back_task(client, factory, as_user, db, session, resources)
    headers, url = as_user(csr), f"/api/calls/{call.id}"

    again = await client.post(f"{url}/analyze", headers=headers)
    assert again.status_code == 202 and again.json()["step"] == "analyze"
    await Worker(db, concurrency=1, resources=resources).drain()
    assert [t.id for t in await tasks_of(session, call_id=call.id)] == [task.id]

    # The transcript corrected: the same task moves to the new time.
    await client.put(f"{url}/transcript", json=friday_instead(), headers=headers)
    await Worker(db, concurrency=1, resources=resources).drain()
    (moved,) = await tasks_of(session, call_id=call.id)
    assert moved.id == task.id and moved.due_at is not None
    assert moved.due_at.astimezone(CHICAGO).strftime("%a %H:%M") == "Fri 16:00"

    done = await client.post(f"/api/tasks/{task.id}/complete", headers=headers)
    assert done.status_code == 200, done.text
    await client.post(f"{url}/analyze", headers=headers)
    await Worker(db, concurrency=1, resources=resources).drain()
    (still,) = await tasks_of(session, call_id=call.id)
    assert still.status == "completed"  # not reopened, and no new one in its place


async def test_analysing_again_leaves_what_a_person_changed_in_the_task(
    client: httpx.AsyncClient,
    factory: Factory,
    as_user: AsUser,
    db: Database,
    session: AsyncSession,
    resources: Resources,
) -> None:
    csr, call, task = await call_back_task(client, factory, as_user, db, session, resources)
    headers, url = as_user(csr), f"/api/calls/{call.id}"
    assert task.priority == "high"

    # The CSR agreed Saturday morning with the customer, and it is no longer urgent.
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=CHICAGO)
    edited = await client.patch(
        f"/api/tasks/{task.id}",
        json={"due_at": saturday.isoformat(), "priority": "low"},
        headers=headers,
    )
    assert edited.status_code == 200, edited.text

    # The transcript is corrected and analysed again: the analysis would move the task to
    # Friday and make it urgent again; the person's time and priority stand, the rest moves.
    await client.put(f"{url}/transcript", json=friday_instead(), headers=headers)
    await Worker(db, concurrency=1, resources=resources).drain()
    (kept,) = await tasks_of(session, call_id=call.id)
    assert kept.id == task.id
    assert kept.due_at is not None and kept.due_at.astimezone(CHICAGO) == saturday
    assert kept.priority == "low"
    assert 'Line 4, Caller: "Call me back Friday after 4."' in (kept.description or "")

    # Still the person's after one more analysis, with nothing new to say.
    await client.post(f"{url}/analyze", headers=headers)
    await Worker(db, concurrency=1, resources=resources).drain()
    (again,) = await tasks_of(session, call_id=call.id)
    assert again.due_at is not None and again.due_at.astimezone(CHICAGO) == saturday
    assert again.priority == "low"


async def test_a_cancelled_task_is_not_made_again(
    client: httpx.AsyncClient,
    factory: Factory,
    as_user: AsUser,
    db: Database,
    session: AsyncSession,
    resources: Resources,
) -> None:
    _tenant, csr, call, _ = await setup_call(factory)
    headers = as_user(csr)
    await client.put(f"/api/calls/{call.id}/transcript", json=body(SPOUSE), headers=headers)
    await Worker(db, concurrency=1, resources=resources).drain()
    (task,) = await tasks_of(session, call_id=call.id)
    assert task.title.startswith("Jordan Reyes is deciding with their spouse")
    await client.post(f"/api/tasks/{task.id}/cancel", headers=headers)
    await client.post(f"/api/calls/{call.id}/analyze", headers=headers)
    await Worker(db, concurrency=1, resources=resources).drain()
    assert [(t.id, t.status) for t in await tasks_of(session, call_id=call.id)] == [
        (task.id, "cancelled")
    ]


async def test_a_plainly_booked_call_sets_outcome_and_lead_status_as_otto(
    client: httpx.AsyncClient,
    factory: Factory,
    as_user: AsUser,
    db: Database,
    session: AsyncSession,
    resources: Resources,
) -> None:
    _tenant, csr, call, lead = await setup_call(factory, status=LeadStatus.new)
    headers = as_user(csr)
    await client.put(f"/api/calls/{call.id}/transcript", json=body(BOOKED), headers=headers)
    await Worker(db, concurrency=1, resources=resources).drain()
    got = (await client.get(f"/api/calls/{call.id}", headers=headers)).json()
    assert got["outcome"] == "booked"
    assert (await client.get(f"/api/leads/{lead.id}", headers=headers)).json()[
        "status"
    ] == "appointment_set"
    changes = (await session.execute(select(RecordChange))).scalars().all()
    assert {(c.record_kind, c.field, c.new_value, c.made_by) for c in changes} == {
        ("call", "outcome", "booked", "otto"),
        ("lead", "status", "appointment_set", "otto"),
    }
    assert all("you're all set" in (c.evidence or "") for c in changes)

    # A person corrects the outcome: analysing again leaves theirs standing.
    await client.patch(f"/api/calls/{call.id}", json={"outcome": "unbooked"}, headers=headers)
    await client.post(f"/api/calls/{call.id}/analyze", headers=headers)
    await Worker(db, concurrency=1, resources=resources).drain()
    assert (await client.get(f"/api/calls/{call.id}", headers=headers)).json()[
        "outcome"
    ] == "unbooked"
    count = await session.execute(select(func.count()).select_from(RecordChange))
    assert count.scalar_one() == 2


async def test_a_call_with_objections_changes_nothing_on_the_record(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, db: Database, resources: Resources
) -> None:
    from tests.callintel.transcripts import OBJECTIONS

    _tenant, csr, call, lead = await setup_call(factory, status=LeadStatus.contacted)
    headers = as_user(csr)
    await client.put(f"/api/calls/{call.id}/transcript", json=body(OBJECTIONS), headers=headers)
    await Worker(db, concurrency=1, resources=resources).drain()
    analysis = (await client.get(f"/api/calls/{call.id}/analysis", headers=headers)).json()
    assert sorted(analysis["objections"]) == ["competitor", "price", "timing"]
    assert (await client.get(f"/api/calls/{call.id}", headers=headers)).json()["outcome"] is None
    assert (await client.get(f"/api/leads/{lead.id}", headers=headers)).json()[
        "status"
    ] == "contacted"


async def test_a_recording_becomes_shunya_tasks_for_the_rep_who_ran_the_visit(
    client: httpx.AsyncClient,
    factory: Factory,
    as_user: AsUser,
    db: Database,
    session: AsyncSession,
    resources: Resources,
) -> None:
    tenant = await factory.tenant()
    rep = await factory.user(tenant, Role.rep)
    contact = await factory.contact(tenant, first_name="Ana", last_name="Lopez")
    lead = await factory.lead(
        tenant, contact, assigned_rep_id=rep.id, status=LeadStatus.appointment_set,
        estimated_value=Decimal("18500"),
    )  # fmt: skip
    appointment = await factory.appointment(tenant, contact, rep, lead_id=lead.id)
    recording = await factory.recording(
        tenant, rep, appointment_id=appointment.id, started_at=datetime.fromisoformat(CALL_AT),
        ended_at=datetime.fromisoformat(CALL_AT) + timedelta(hours=1),
    )  # fmt: skip
    headers = as_user(rep)
    url = f"/api/recording-sessions/{recording.id}"
    assert (await client.get(f"{url}/analysis", headers=headers)).status_code == 404
    put = await client.put(f"{url}/transcript", json=body(IN_HOME), headers=headers)
    assert put.status_code == 200, put.text
    await Worker(db, concurrency=1, resources=resources).drain()

    analysis = (await client.get(f"{url}/analysis", headers=headers)).json()
    assert analysis["booking_outcome"] == "sold" and analysis["kind"] == "recording"
    tasks = await tasks_of(session, appointment_id=appointment.id)
    assert [(t.source, t.assigned_role, t.assignee_id, t.priority) for t in tasks] == [
        ("shunya", "rep", rep.id, "high"),  # send the contract: the rep's
        ("shunya", "csr", None, "high"),  # schedule the installation: the office's
    ]
    assert all(t.contact_id == contact.id and t.call_id is None for t in tasks)
    # The rep sees their task; the lead is won, as Shunya recorded.
    mine = await client.get("/api/tasks", params={"source": "shunya"}, headers=headers)
    assert [t["id"] for t in mine.json()["items"]] == [str(tasks[0].id)]
    assert (await session.get(Lead, lead.id, populate_existing=True)).status == "won"  # type: ignore[union-attr]


async def test_analysis_needs_a_transcript_and_stays_inside_the_tenant(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser
) -> None:
    _tenant, csr, call, _ = await setup_call(factory)
    other = await factory.user(await factory.tenant(), Role.manager)
    headers = as_user(csr)
    assert (await client.post(f"/api/calls/{call.id}/analyze", headers=headers)).status_code == 409
    for method, path in (
        ("GET", "analysis"), ("POST", "analyze"), ("PUT", "transcript"),
    ):  # fmt: skip
        response = await client.request(
            method, f"/api/calls/{call.id}/{path}", json=body(BOOKED), headers=as_user(other)
        )
        assert response.status_code == 404, (method, path)
    empty = await client.put(
        f"/api/calls/{call.id}/transcript", json={"segments": []}, headers=headers
    )
    assert empty.status_code == 422


async def test_a_new_analysis_is_announced_live(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, db: Database, resources: Resources
) -> None:
    tenant, csr, call, _ = await setup_call(factory)
    bus = LocalBus()
    db.bus = bus
    subscription = bus.subscribe(tenant.id)
    await client.put(f"/api/calls/{call.id}/transcript", json=body(CALL_BACK), headers=as_user(csr))
    await Worker(db, concurrency=1, resources=resources).drain()
    events: list[Event] = []
    while not subscription._queue.empty():
        item = subscription._queue.get_nowait()
        if item is not None:
            events.append(item)
    created = [e for e in events if e.type == ANALYSIS_CREATED]
    assert len(created) == 1
    assert created[0].data["record_id"] == str(call.id)
    assert created[0].data["analysis"]["booking_outcome"] == "follow_up"
    assert "task.created" in [e.type for e in events]
