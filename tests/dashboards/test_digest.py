"""The daily digest: the user's day in their own scope and the tenant's time zone."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from switchboard.crm.models import AppointmentStatus, LeadStatus
from switchboard.dashboards.digest import build_digest, follow_up_queue
from switchboard.messaging.models import Direction
from switchboard.tasks.models import AssignedRole, TaskPriority, TaskSource, TaskStatus
from switchboard.tenancy.models import Role, Tenant, User
from tests.factories import Factory, text_message

# frozen_clock: 2026-11-21 15:00 UTC, a Saturday; 09:00 in the factory tenant's Chicago.
NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)


@dataclass
class Day:
    tenant: Tenant
    manager: User
    ann: User  # a rep
    bob: User  # another rep


async def seed_day(factory: Factory, session: AsyncSession) -> Day:
    tenant = await factory.tenant(timezone="America/Chicago")
    manager = await factory.user(tenant, Role.manager, name="Mia Manager")
    ann = await factory.user(tenant, Role.rep, name="Ann Rep")
    bob = await factory.user(tenant, Role.rep, name="Bob Rep")
    garcia = await factory.contact(tenant, first_name="Maria", last_name="Garcia")
    smith = await factory.contact(tenant, first_name="Sam", last_name="Smith")
    lopez = await factory.contact(tenant, first_name="Lu", last_name="Lopez")

    # Today in Chicago runs 06:00 UTC Nov 21 to 06:00 UTC Nov 22.
    await factory.appointment(
        tenant,
        garcia,
        ann,
        starts_at=datetime(2026, 11, 21, 16, 0, tzinfo=UTC),
        address="12 Elm St",
        title="Roof estimate",
    )
    await factory.appointment(  # 23:00 local: still today although Nov 22 in UTC
        tenant,
        smith,
        bob,
        starts_at=datetime(2026, 11, 22, 5, 0, tzinfo=UTC),
        status=AppointmentStatus.confirmed,
    )
    await factory.appointment(  # 23:30 local yesterday: not today
        tenant, smith, bob, starts_at=datetime(2026, 11, 21, 5, 30, tzinfo=UTC)
    )
    await factory.appointment(tenant, lopez, ann, starts_at=NOW + timedelta(days=2))

    await factory.task(
        tenant,
        title="Send Garcia the quote",
        contact_id=garcia.id,
        assignee_id=ann.id,
        assigned_role=AssignedRole.rep,
        priority=TaskPriority.high,
        due_at=NOW - timedelta(hours=3),
    )
    await factory.task(
        tenant,
        title="Confirm Smith visit",
        contact_id=smith.id,
        assignee_id=bob.id,
        assigned_role=AssignedRole.rep,
        due_at=NOW + timedelta(hours=4),
    )
    await factory.task(
        tenant, title="Order shingles", assignee_id=ann.id, priority=TaskPriority.low
    )
    await factory.task(
        tenant,
        title="Done already",
        assignee_id=ann.id,
        status=TaskStatus.completed,
        due_at=NOW - timedelta(days=1),
    )
    await factory.task(
        tenant,
        title="AI: check on Lopez",
        contact_id=lopez.id,
        source=TaskSource.auto_reply,
        assigned_role=AssignedRole.csr,
        due_at=NOW - timedelta(minutes=30),
    )

    await factory.lead(tenant, garcia, assigned_rep_id=ann.id, source="web")
    await factory.lead(tenant, smith, assigned_rep_id=bob.id, status=LeadStatus.new, source="call")
    await factory.lead(
        tenant, lopez, status=LeadStatus.contacted, first_response_at=NOW - timedelta(days=1)
    )

    await text_message(
        session, tenant, garcia, Direction.inbound, "Is 4pm ok?", NOW - timedelta(minutes=42)
    )
    await text_message(
        session, tenant, smith, Direction.inbound, "Hello?", NOW - timedelta(hours=2)
    )
    await text_message(
        session, tenant, smith, Direction.outbound, "Hi Sam!", NOW - timedelta(hours=1)
    )
    return Day(tenant, manager, ann, bob)


async def test_manager_digest_covers_the_company_in_local_time(
    session: AsyncSession, factory: Factory, frozen_clock: object
) -> None:
    day = await seed_day(factory, session)
    digest = await build_digest(session, day.manager)

    assert json.loads(json.dumps(digest)) == digest  # JSON as it stands, no default= needed
    assert digest["date"] == "2026-11-21" and digest["weekday"] == "Saturday"
    assert digest["now"] == "2026-11-21T09:00-06:00"
    assert digest["for"] == {"name": "Mia Manager", "role": "manager", "scope": "whole company"}

    appointments = digest["appointments_today"]["items"]
    assert [a["time"] for a in appointments] == ["10:00-11:00", "23:00-00:00"]
    assert appointments[0]["contact"]["name"] == "Maria Garcia"
    assert appointments[0]["rep"] == "Ann Rep" and appointments[0]["address"] == "12 Elm St"
    assert appointments[1]["status"] == "confirmed" and appointments[1]["rep"] == "Bob Rep"

    tasks = digest["tasks"]
    assert (tasks["open"], tasks["overdue"], tasks["due_later_today"]) == (2, 2, 1)
    assert [t["title"] for t in tasks["top"]][:2] == ["Send Garcia the quote", "AI: check on Lopez"]
    assert (
        tasks["top"][0]["status"] == "overdue"
        and tasks["top"][0]["due"] == "2026-11-21T06:00-06:00"
    )

    waiting = digest["unanswered_messages"]
    assert waiting["count"] == 1  # Smith got an answer
    assert waiting["items"][0]["contact"]["name"] == "Maria Garcia"
    assert waiting["items"][0]["waiting_minutes"] == 42
    assert waiting["items"][0]["last_message"] == "Is 4pm ok?"

    follow_ups = digest["follow_ups_due"]
    assert {t["title"] for t in follow_ups["tasks"]} == {
        "Send Garcia the quote",
        "AI: check on Lopez",
        "Confirm Smith visit",
    }
    assert follow_ups["leads_not_contacted"]["count"] == 2
    assert len(json.dumps(digest)) < 4000  # it goes into a system prompt


async def test_rep_digest_covers_only_their_assignments(
    session: AsyncSession, factory: Factory, frozen_clock: object
) -> None:
    day = await seed_day(factory, session)
    digest = await build_digest(session, day.ann)

    assert digest["for"]["scope"] == "own assignments"
    assert [a["contact"]["name"] for a in digest["appointments_today"]["items"]] == ["Maria Garcia"]
    assert (digest["tasks"]["open"], digest["tasks"]["overdue"]) == (1, 1)
    assert {t["title"] for t in digest["tasks"]["top"]} == {
        "Send Garcia the quote",
        "Order shingles",
    }
    assert [w["contact"]["name"] for w in digest["unanswered_messages"]["items"]] == [
        "Maria Garcia"
    ]
    leads = digest["follow_ups_due"]["leads_not_contacted"]
    assert leads["count"] == 1 and leads["items"][0]["contact"]["name"] == "Maria Garcia"

    bob = await build_digest(session, day.bob)
    assert [a["time"] for a in bob["appointments_today"]["items"]] == ["23:00-00:00"]
    assert bob["unanswered_messages"]["count"] == 0
    assert [t["title"] for t in bob["tasks"]["top"]] == ["Confirm Smith visit"]


async def test_follow_up_queue_ranks_people_by_what_is_most_pressing(
    session: AsyncSession, factory: Factory, frozen_clock: object
) -> None:
    day = await seed_day(factory, session)
    queue = await follow_up_queue(session, day.manager)

    names = [item["contact"]["name"] for item in queue["items"]]
    # Garcia is waiting on a reply (and has a new lead and an overdue task); Smith's lead is
    # new; Lopez has an AI follow-up due.
    assert names == ["Maria Garcia", "Sam Smith", "Lu Lopez"]
    garcia = queue["items"][0]
    assert garcia["suggested_action"] == "reply to their message"
    assert [r["kind"] for r in garcia["reasons"]] == [
        "waiting_on_reply",
        "new_lead_no_response",
        "overdue_task",
    ]
    assert garcia["contact"]["phone"].startswith("+1")
    smith_kinds = {r["kind"] for r in queue["items"][1]["reasons"]}
    assert smith_kinds == {"new_lead_no_response", "task_due_today"}
    assert queue["items"][2]["reasons"][0]["kind"] == "ai_follow_up_due"

    ann_queue = await follow_up_queue(session, day.ann)
    assert ann_queue["scope"] == "own assignments"
    assert [item["contact"]["name"] for item in ann_queue["items"]] == ["Maria Garcia"]


async def test_the_digest_costs_the_same_queries_however_busy_the_day(
    session: AsyncSession, factory: Factory, engine: AsyncEngine, frozen_clock: object
) -> None:
    """It is built for every assistant turn: a fixed number of queries, no N+1."""
    day = await seed_day(factory, session)

    async def queries() -> int:
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            await build_digest(session, day.manager)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)
        return len(statements)

    quiet = await queries()
    for n in range(6):
        contact = await factory.contact(day.tenant, first_name=f"Busy{n}")
        await factory.appointment(day.tenant, contact, day.bob, starts_at=NOW + timedelta(hours=1))
        await factory.task(
            day.tenant, title=f"Busy {n}", contact_id=contact.id, assignee_id=day.bob.id
        )
        await factory.lead(day.tenant, contact, assigned_rep_id=day.bob.id)
        await text_message(session, day.tenant, contact, Direction.inbound, "hi", NOW)
    busy = await queries()
    assert busy == quiet <= 15


async def test_dashboard_endpoints_serve_the_users_own_day(
    client: httpx.AsyncClient, session: AsyncSession, factory: Factory, as_user: Any,
    frozen_clock: object,
) -> None:  # fmt: skip
    day = await seed_day(factory, session)
    digest = await client.get("/api/dashboards/digest", headers=as_user(day.ann))
    assert digest.status_code == 200, digest.text
    assert digest.json()["for"] == {"name": "Ann Rep", "role": "rep", "scope": "own assignments"}
    assert digest.json()["unanswered_messages"]["count"] == 1

    queue = await client.get("/api/dashboards/follow-ups?limit=2", headers=as_user(day.manager))
    assert queue.status_code == 200
    assert [i["contact"]["name"] for i in queue.json()["items"]] == ["Maria Garcia", "Sam Smith"]
    assert (await client.get("/api/dashboards/digest")).status_code == 401
    assert (
        await client.get("/api/dashboards/follow-ups?limit=99", headers=as_user(day.manager))
    ).status_code == 422
