"""The CSR, rep and executive dashboards: exact numbers over a seeded company, days in the
company's time zone, each role's scope, and a fixed number of queries however busy it gets.

A second company with data in every window is seeded alongside, so every exact number below
also proves that another company's records never count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from switchboard.crm.models import (
    AppointmentStatus,
    CallDirection,
    CallOutcome,
    HandledByRole,
    LeadStatus,
)
from switchboard.messaging.models import Direction, MessageStatus, Sender
from switchboard.tasks.models import AssignedRole, TaskSource, TaskStatus
from switchboard.tenancy.models import Role, Tenant, User
from tests.factories import Factory, text_message
from tests.kit.helpers import AsUser
from tests.kit.test_query_counts import count_statements

# frozen_clock: 2026-11-21 15:00 UTC, a Saturday; 09:00 in Chicago, where today runs from
# 06:00 UTC Nov 21 to 06:00 UTC Nov 22.
NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)


@dataclass
class Company:
    tenant: Tenant
    manager: User
    cora: User  # a CSR, the one signed in for the CSR dashboard
    carl: User  # another CSR
    ann: User  # a rep
    bob: User  # another rep


async def seed_company(factory: Factory, session: AsyncSession) -> Company:
    tenant = await factory.tenant(timezone="America/Chicago")
    manager = await factory.user(tenant, Role.manager, name="Mia Manager")
    cora = await factory.user(tenant, Role.csr, name="Cora CSR")
    carl = await factory.user(tenant, Role.csr, name="Carl CSR")
    ann = await factory.user(tenant, Role.rep, name="Ann Rep")
    bob = await factory.user(tenant, Role.rep, name="Bob Rep")
    garcia = await factory.contact(tenant, first_name="Maria", last_name="Garcia")
    smith = await factory.contact(
        tenant,
        first_name="Sam",
        last_name="Smith",
        address_line1="5 Oak Ave",
        city="Springfield",
    )
    lopez = await factory.contact(tenant, first_name="Lu", last_name="Lopez")

    # --- calls
    async def call(at: datetime, outcome: CallOutcome, contact: Any = None, **fields: Any) -> None:
        await factory.call(tenant, contact, started_at=at, outcome=outcome, **fields)

    csr_in = {"handled_by_role": HandledByRole.csr, "direction": CallDirection.inbound}
    csr_out = {"handled_by_role": HandledByRole.csr, "direction": CallDirection.outbound}
    await call(NOW - 2 * HOUR, CallOutcome.booked, handled_by_user_id=cora.id, **csr_in)
    await call(NOW - HOUR, CallOutcome.unbooked, handled_by_user_id=cora.id, **csr_in)
    await call(NOW - 3 * HOUR, CallOutcome.booked, handled_by_user_id=carl.id, **csr_in)
    # Garcia's missed call: nobody has called her since.
    await call(NOW - 30 * MINUTE, CallOutcome.missed, contact=garcia)
    # Smith's voicemail, called back an hour later.
    await call(NOW - 5 * HOUR, CallOutcome.voicemail, contact=smith)
    await call(
        NOW - 4 * HOUR,
        CallOutcome.unbooked,
        contact=smith,
        handled_by_user_id=cora.id,
        **csr_out,
    )
    await call(NOW - 20 * MINUTE, CallOutcome.booked, handled_by_role="ai")
    await call(
        NOW - 90 * MINUTE,
        CallOutcome.booked,
        contact=garcia,  # before her missed call: not a call back
        handled_by_role=HandledByRole.rep,
        handled_by_user_id=ann.id,
        direction=CallDirection.outbound,
    )
    # 23:00 yesterday in Chicago, although Nov 21 in UTC.
    await call(
        datetime(2026, 11, 21, 5, 0, tzinfo=UTC),
        CallOutcome.booked,
        handled_by_user_id=cora.id,
        **csr_in,
    )
    # Lopez: called four days ago, missed them three days ago, not called since.
    await call(
        NOW - 4 * DAY,
        CallOutcome.unbooked,
        contact=lopez,
        handled_by_user_id=carl.id,
        **csr_out,
    )
    await call(NOW - 3 * DAY, CallOutcome.missed, contact=lopez)
    await call(NOW - 10 * DAY, CallOutcome.missed, contact=lopez)  # gone cold
    # An unknown caller who hung up, called back by number.
    await call(NOW - 2 * DAY, CallOutcome.abandoned, from_number="+13125559999")
    await call(
        NOW - 2 * DAY + HOUR,
        CallOutcome.unbooked,
        to_number="+13125559999",
        handled_by_user_id=carl.id,
        **csr_out,
    )

    # --- texts: Garcia is waiting on a reply; Smith and Lopez were answered.
    async def text(contact: Any, direction: Direction, at: datetime, **fields: Any) -> None:
        message = await text_message(session, tenant, contact, direction, "hi", at)
        for name, value in fields.items():
            setattr(message, name, value)
        await session.flush()

    await text(garcia, Direction.outbound, NOW - 2 * DAY, sender=Sender.otto, status="failed")
    await text(garcia, Direction.inbound, NOW - 42 * MINUTE)
    await text(smith, Direction.inbound, NOW - 2 * HOUR)
    await text(smith, Direction.outbound, NOW - HOUR)  # a CSR's, delivered
    await text(
        smith, Direction.outbound, NOW - 50 * MINUTE, sender=Sender.otto, status=MessageStatus.read
    )
    await text(lopez, Direction.inbound, NOW - 8 * DAY)
    await text(lopez, Direction.outbound, NOW - 3 * DAY, status=MessageStatus.queued)
    await text(lopez, Direction.outbound, NOW - DAY, sender=Sender.otto, status=MessageStatus.sent)
    await text(lopez, Direction.outbound, NOW - 10 * DAY)

    # --- tasks (created now unless said otherwise)
    async def task(source: TaskSource, role: AssignedRole, **fields: Any) -> None:
        await factory.task(tenant, source=source, assigned_role=role, **fields)

    csr = AssignedRole.csr
    await task(TaskSource.manual, csr, assignee_id=cora.id, due_at=NOW - HOUR)  # overdue
    await task(TaskSource.otto, csr, due_at=NOW + 2 * HOUR)
    await task(TaskSource.auto_reply, csr)
    await task(
        TaskSource.shunya,
        csr,
        status=TaskStatus.completed,
        completed_at=NOW - HOUR,
    )
    await task(TaskSource.assistant, AssignedRole.rep, assignee_id=ann.id, due_at=NOW - 2 * DAY)
    await task(TaskSource.manual, AssignedRole.rep, assignee_id=ann.id, due_at=NOW + DAY)
    await task(TaskSource.system, AssignedRole.manager, assignee_id=cora.id)
    await task(TaskSource.manual, csr, status=TaskStatus.cancelled)
    await task(  # created before the week, completed in it
        TaskSource.otto,
        csr,
        created_at=NOW - 10 * DAY,
        status=TaskStatus.completed,
        completed_at=NOW - DAY,
    )

    # --- appointments
    await factory.appointment(
        tenant,
        garcia,
        ann,
        starts_at=NOW + HOUR,
        address="12 Elm St",
        title="Roof estimate",
    )
    await factory.appointment(  # 21:00 tonight in Chicago; at Smith's own address
        tenant,
        smith,
        ann,
        starts_at=datetime(2026, 11, 22, 3, 0, tzinfo=UTC),
        status=AppointmentStatus.confirmed,
        created_at=NOW - DAY,
    )
    await factory.appointment(tenant, lopez, bob, starts_at=NOW + 2 * HOUR)
    await factory.appointment(  # 23:30 yesterday in Chicago
        tenant,
        lopez,
        ann,
        starts_at=datetime(2026, 11, 21, 5, 30, tzinfo=UTC),
        status=AppointmentStatus.completed,
        created_at=NOW - 3 * DAY,
    )
    await factory.appointment(
        tenant,
        garcia,
        ann,
        starts_at=NOW - 3 * DAY,
        status=AppointmentStatus.no_show,
        created_at=NOW - 5 * DAY,
    )
    await factory.appointment(
        tenant,
        smith,
        bob,
        starts_at=NOW - 2 * DAY,
        status=AppointmentStatus.completed,
        created_at=NOW - 4 * DAY,
    )
    await factory.appointment(tenant, smith, bob, starts_at=NOW + 10 * DAY)

    # --- shifts and recordings
    await factory.shift(
        tenant,
        ann,
        starts_at=datetime(2026, 11, 21, 14, 0, tzinfo=UTC),
        territory="North",
    )
    await factory.shift(tenant, ann, starts_at=datetime(2026, 11, 20, 14, 0, tzinfo=UTC))
    await factory.shift(tenant, bob, starts_at=datetime(2026, 11, 21, 14, 0, tzinfo=UTC))
    await factory.recording(tenant, ann, started_at=NOW - 3 * HOUR)
    await factory.recording(tenant, ann, started_at=NOW - 4 * DAY)  # Tuesday
    await factory.recording(tenant, ann, started_at=NOW - 7 * DAY)  # last week
    await factory.recording(tenant, bob, started_at=NOW - HOUR)

    # --- leads
    async def lead(
        contact: Any,
        rep: User | None,
        status: LeadStatus,
        source: str | None,
        created: datetime,
        *,
        responded_after: int | None = None,
        updated: datetime | None = None,
        value: int | None = None,
    ) -> None:
        await factory.lead(
            tenant,
            contact,
            assigned_rep_id=rep.id if rep else None,
            status=status,
            source=source,
            created_at=created,
            updated_at=updated or NOW,
            first_response_at=(
                created + timedelta(seconds=responded_after)
                if responded_after is not None
                else None
            ),
            estimated_value=Decimal(value) if value is not None else None,
        )

    await lead(garcia, ann, LeadStatus.new, "web", NOW - 2 * HOUR, value=10000)
    await lead(
        smith, ann, LeadStatus.contacted, "web", NOW - 3 * HOUR, responded_after=120, value=5000
    )
    await lead(
        lopez, bob, LeadStatus.qualified, "call", NOW - HOUR, responded_after=300, value=8000
    )
    await lead(
        garcia, ann, LeadStatus.appointment_set, "referral", NOW - 4 * HOUR, responded_after=60
    )
    await lead(
        smith,
        ann,
        LeadStatus.won,
        "web",
        NOW - 5 * DAY,
        responded_after=600,
        updated=NOW - DAY,
        value=12000,
    )
    await lead(
        lopez,
        ann,
        LeadStatus.lost,
        "call",
        NOW - 6 * DAY,
        responded_after=900,
        updated=NOW - 2 * DAY,
        value=3000,
    )
    await lead(
        garcia,
        ann,
        LeadStatus.won,
        "referral",
        NOW - 40 * DAY,
        responded_after=30,
        updated=NOW - 10 * DAY,
        value=20000,
    )
    await lead(lopez, ann, LeadStatus.lost, "web", NOW - 60 * DAY, updated=NOW - 45 * DAY)
    await lead(
        smith,
        bob,
        LeadStatus.won,
        "web",
        NOW - 2 * DAY,
        responded_after=1800,
        updated=NOW - DAY,
        value=7000,
    )
    await lead(lopez, None, LeadStatus.new, None, NOW - 3 * DAY, value=1000)

    return Company(tenant, manager, cora, carl, ann, bob)


async def seed_other_company(factory: Factory, session: AsyncSession) -> Company:
    """A little of everything, all inside every window the dashboards read."""
    tenant = await factory.tenant(timezone="America/Chicago")
    manager = await factory.user(tenant, Role.manager)
    cora = await factory.user(tenant, Role.csr)
    rep = await factory.user(tenant, Role.rep)
    contact = await factory.contact(tenant)
    await factory.call(
        tenant,
        contact,
        started_at=NOW - HOUR,
        outcome=CallOutcome.booked,
        handled_by_role=HandledByRole.csr,
        handled_by_user_id=cora.id,
    )
    await factory.call(tenant, contact, started_at=NOW - HOUR, outcome=CallOutcome.missed)
    await factory.lead(
        tenant,
        contact,
        assigned_rep_id=rep.id,
        status=LeadStatus.won,
        source="web",
        first_response_at=NOW,
        estimated_value=Decimal(99999),
    )
    await factory.lead(tenant, contact, status=LeadStatus.new, estimated_value=Decimal(55555))
    await factory.appointment(tenant, contact, rep, starts_at=NOW + HOUR)
    await factory.shift(tenant, rep, starts_at=NOW)
    await factory.recording(tenant, rep, started_at=NOW - HOUR)
    await factory.task(tenant, assigned_role=AssignedRole.csr, due_at=NOW - HOUR)
    await factory.task(tenant, source=TaskSource.otto, assignee_id=rep.id)
    await text_message(session, tenant, contact, Direction.outbound, "hi", NOW - HOUR, Sender.otto)
    await text_message(session, tenant, contact, Direction.inbound, "hello?", NOW - 10 * MINUTE)
    return Company(tenant, manager, cora, cora, rep, rep)


async def get(
    client: httpx.AsyncClient, as_user: AsUser, user: User, path: str, **params: Any
) -> httpx.Response:
    return await client.get(f"/api/dashboards/{path}", params=params, headers=as_user(user))


async def get_ok(
    client: httpx.AsyncClient, as_user: AsUser, user: User, path: str, **params: Any
) -> dict[str, Any]:
    response = await get(client, as_user, user, path, **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def outcomes(total: int, rate: float | None, **counts: int) -> dict[str, Any]:
    base = {outcome.value: 0 for outcome in CallOutcome}
    return {"total": total, **base, **counts, "booking_rate": rate}


# --- CSR ------------------------------------------------------------------------------------


async def test_csr_dashboard_counts_the_day_and_the_live_queue(
    client: httpx.AsyncClient,
    session: AsyncSession,
    factory: Factory,
    as_user: AsUser,
    frozen_clock: object,
) -> None:
    company = await seed_company(factory, session)
    await seed_other_company(factory, session)
    board = await get_ok(client, as_user, company.cora, "csr")

    assert board["day"] == "2026-11-21" and board["timezone"] == "America/Chicago"
    assert at(board["window"]["start"]) == datetime(2026, 11, 21, 6, tzinfo=UTC)
    assert at(board["window"]["end"]) == datetime(2026, 11, 22, 6, tzinfo=UTC)
    assert at(board["as_of"]) == NOW
    # Every CSR's calls today; yesterday's 23:00 call, the AI's and the rep's are not.
    assert board["csr_calls"] == outcomes(4, 0.5, booked=2, unbooked=2)
    assert board["my_calls"] == outcomes(3, 0.3333, booked=1, unbooked=2)
    assert board["appointments_booked"] == 3
    # 120, 300 and 60 seconds; the fourth lead of the day has had no response yet.
    assert board["speed_to_lead"] == {"leads": 4, "responded": 3, "median_seconds": 120}

    queue = board["queue"]
    # Garcia's missed call and Lopez's; Smith's voicemail and the hang-up were called back,
    # and the call ten days ago has gone cold.
    assert queue["unanswered_calls"]["count"] == 2
    assert at(queue["unanswered_calls"]["oldest_at"]) == NOW - 3 * DAY
    assert queue["unanswered_calls"]["oldest_wait_minutes"] == 3 * 24 * 60
    assert queue["waiting_on_reply"]["count"] == 1
    assert at(queue["waiting_on_reply"]["oldest_at"]) == NOW - timedelta(minutes=42)
    assert queue["waiting_on_reply"]["oldest_wait_minutes"] == 42
    assert queue["csr_tasks"] == {"open": 2, "overdue": 1}
    assert queue["my_tasks"] == {"open": 1, "overdue": 1}


async def test_csr_dashboard_reads_another_day_in_local_time(
    client: httpx.AsyncClient,
    session: AsyncSession,
    factory: Factory,
    as_user: AsUser,
    frozen_clock: object,
) -> None:
    company = await seed_company(factory, session)
    board = await get_ok(client, as_user, company.cora, "csr", day="2026-11-20")

    assert at(board["window"]["start"]) == datetime(2026, 11, 20, 6, tzinfo=UTC)
    # Only the call at 23:00 local, which is Nov 21 in UTC.
    assert board["csr_calls"] == outcomes(1, 1.0, booked=1)
    assert board["my_calls"] == board["csr_calls"]
    assert board["appointments_booked"] == 1
    assert board["speed_to_lead"] == {"leads": 0, "responded": 0, "median_seconds": None}
    # The queue is live, whatever the day.
    assert board["queue"]["unanswered_calls"]["count"] == 2


async def test_a_manager_reads_the_csr_team_and_their_own_calls(
    client: httpx.AsyncClient,
    session: AsyncSession,
    factory: Factory,
    as_user: AsUser,
    frozen_clock: object,
) -> None:
    company = await seed_company(factory, session)
    board = await get_ok(client, as_user, company.manager, "csr")
    assert board["csr_calls"]["total"] == 4
    assert board["my_calls"] == outcomes(0, None)
    assert board["queue"]["my_tasks"] == {"open": 0, "overdue": 0}


# --- rep ------------------------------------------------------------------------------------


async def test_rep_dashboard_shows_only_the_reps_own_numbers(
    client: httpx.AsyncClient,
    session: AsyncSession,
    factory: Factory,
    as_user: AsUser,
    frozen_clock: object,
) -> None:
    company = await seed_company(factory, session)
    await seed_other_company(factory, session)
    board = await get_ok(client, as_user, company.ann, "rep")

    assert board["rep"] == {"id": str(company.ann.id), "name": "Ann Rep"}
    assert board["day"] == "2026-11-21"
    appointments = board["appointments"]
    assert [a["time"] for a in appointments] == ["10:00-11:00", "21:00-22:00"]
    assert [a["contact"]["name"] for a in appointments] == ["Maria Garcia", "Sam Smith"]
    assert [a["address"] for a in appointments] == ["12 Elm St", "5 Oak Ave, Springfield"]
    assert [a["status"] for a in appointments] == ["scheduled", "confirmed"]
    assert appointments[0]["title"] == "Roof estimate"
    assert [(s["time"], s["territory"]) for s in board["shifts"]] == [("08:00-16:00", "North")]
    assert board["tasks"] == {"open": 1, "overdue": 1}
    assert board["leads_by_status"] == {
        "new": 1,
        "contacted": 1,
        "qualified": 0,
        "appointment_set": 1,
        "won": 2,
        "lost": 2,
    }
    week = board["recordings_this_week"]
    assert week["count"] == 2
    assert at(week["window"]["start"]) == datetime(2026, 11, 16, 6, tzinfo=UTC)  # Monday
    assert at(week["window"]["end"]) == datetime(2026, 11, 23, 6, tzinfo=UTC)
    # Won twice and lost once in the last 30 days; the loss 45 days ago is out. The window
    # opens at midnight of Oct 23, still daylight time in Chicago.
    win = board["win_rate"]
    assert (win["won"], win["lost"], win["rate"]) == (2, 1, 0.6667)
    assert at(win["window"]["start"]) == datetime(2026, 10, 23, 5, tzinfo=UTC)
    assert at(win["window"]["end"]) == datetime(2026, 11, 22, 6, tzinfo=UTC)

    bob = await get_ok(client, as_user, company.bob, "rep")
    assert [a["contact"]["name"] for a in bob["appointments"]] == ["Lu Lopez"]
    assert bob["tasks"] == {"open": 0, "overdue": 0}
    assert bob["leads_by_status"]["qualified"] == 1 and bob["leads_by_status"]["won"] == 1
    assert bob["recordings_this_week"]["count"] == 1
    assert (bob["win_rate"]["won"], bob["win_rate"]["lost"]) == (1, 0)


async def test_rep_dashboard_for_another_day(
    client: httpx.AsyncClient,
    session: AsyncSession,
    factory: Factory,
    as_user: AsUser,
    frozen_clock: object,
) -> None:
    company = await seed_company(factory, session)
    board = await get_ok(client, as_user, company.ann, "rep", day="2026-11-20")
    assert [(a["time"], a["status"]) for a in board["appointments"]] == [
        ("23:30-00:30", "completed")
    ]
    assert [s["time"] for s in board["shifts"]] == ["08:00-16:00"]
    assert board["recordings_this_week"]["count"] == 2
    assert at(board["win_rate"]["window"]["end"]) == datetime(2026, 11, 21, 6, tzinfo=UTC)


async def test_a_manager_picks_a_rep_and_nobody_else_can(
    client: httpx.AsyncClient,
    session: AsyncSession,
    factory: Factory,
    as_user: AsUser,
    frozen_clock: object,
) -> None:
    company = await seed_company(factory, session)
    other = await seed_other_company(factory, session)

    own = await get_ok(client, as_user, company.ann, "rep")
    picked = await get_ok(client, as_user, company.manager, "rep", rep_id=str(company.ann.id))
    assert picked == own
    assert (await get_ok(client, as_user, company.ann, "rep", rep_id=str(company.ann.id))) == own

    # A rep may not look at another rep, in their company or any other.
    for rep_id in (company.bob.id, other.ann.id):
        response = await get(client, as_user, company.ann, "rep", rep_id=str(rep_id))
        assert response.status_code == 403, response.text
    # A manager's pick must be a rep (or manager) of their own company.
    for rep_id in (other.ann.id, company.cora.id):
        response = await get(client, as_user, company.manager, "rep", rep_id=str(rep_id))
        assert response.status_code == 404, response.text
    assert (await get(client, as_user, company.cora, "rep")).status_code == 403


# --- executive ------------------------------------------------------------------------------


async def test_executive_dashboard_sums_up_the_week(
    client: httpx.AsyncClient,
    session: AsyncSession,
    factory: Factory,
    as_user: AsUser,
    frozen_clock: object,
) -> None:
    company = await seed_company(factory, session)
    await seed_other_company(factory, session)
    board = await get_ok(client, as_user, company.manager, "executive", period="7d")

    assert board["period"] == "7d"
    # Seven whole local days, today included.
    assert at(board["window"]["start"]) == datetime(2026, 11, 15, 6, tzinfo=UTC)
    assert at(board["window"]["end"]) == datetime(2026, 11, 22, 6, tzinfo=UTC)

    assert board["calls"] == outcomes(
        13, 0.5556, booked=5, unbooked=4, missed=2, voicemail=1, abandoned=1
    )
    assert board["calls_by_handler_role"] == {
        "csr": outcomes(7, 0.4286, booked=3, unbooked=4),
        "rep": outcomes(1, 1.0, booked=1),
        "manager": outcomes(0, None),
        "ai": outcomes(1, 1.0, booked=1),
        "unassigned": outcomes(4, None, missed=2, voicemail=1, abandoned=1),
    }

    leads = board["leads"]
    assert leads["total"] == 8
    assert leads["by_status"] == {
        "new": 2,
        "contacted": 1,
        "qualified": 1,
        "appointment_set": 1,
        "won": 2,
        "lost": 1,
    }
    assert (leads["won"], leads["lost"], leads["win_rate"]) == (2, 1, 0.6667)
    assert Decimal(leads["won_value"]) == Decimal(19000)
    sources = [(s["source"], s["total"], Decimal(s["won_value"])) for s in leads["by_source"]]
    assert sources == [
        ("web", 4, Decimal(19000)),
        ("call", 2, Decimal(0)),
        (None, 1, Decimal(0)),
        ("referral", 1, Decimal(0)),
    ]
    assert leads["by_source"][0]["by_status"]["won"] == 2
    assert leads["by_source"][1]["by_status"]["lost"] == 1

    assert board["pipeline"]["open_leads"] == 5
    assert Decimal(board["pipeline"]["value"]) == Decimal(24000)
    # 60, 120, 300, 600, 900, 1800 seconds.
    assert board["speed_to_lead"] == {"leads": 8, "responded": 6, "median_seconds": 450}

    appointments = board["appointments"]
    assert appointments["total"] == 6
    assert appointments["by_status"] == {
        "scheduled": 2,
        "confirmed": 1,
        "completed": 2,
        "cancelled": 0,
        "no_show": 1,
        "rescheduled": 0,
    }
    assert appointments["show_rate"] == 0.6667

    assert board["tasks"] == {
        "created": 8,
        "completed": 2,
        "created_by_source": {
            "manual": 3,
            "otto": 1,
            "shunya": 1,
            "assistant": 1,
            "auto_reply": 1,
            "system": 1,
        },
    }
    assert board["ai"] == {
        "tasks": 3,
        "task_share": 0.375,
        "auto_replies_sent": 3,
        "auto_reply_share": 0.6,
    }
    # Five outbound; the queued one has no verdict; two of the other four arrived.
    assert board["messages"] == {"outbound": 5, "sent": 4, "delivered": 2, "delivery_rate": 0.5}


async def test_executive_periods_reach_further_back(
    client: httpx.AsyncClient,
    session: AsyncSession,
    factory: Factory,
    as_user: AsUser,
    frozen_clock: object,
) -> None:
    company = await seed_company(factory, session)
    month = await get_ok(client, as_user, company.manager, "executive", period="30d")
    assert month["calls"]["missed"] == 3 and month["calls"]["total"] == 14
    assert month["messages"]["outbound"] == 6
    assert (await get_ok(client, as_user, company.manager, "executive"))["period"] == "7d"
    quarter = await get_ok(client, as_user, company.manager, "executive", period="90d")
    assert quarter["leads"]["total"] == 10
    assert (quarter["leads"]["won"], quarter["leads"]["lost"]) == (3, 2)

    bad = await get(client, as_user, company.manager, "executive", period="1y")
    assert bad.status_code == 422


async def test_only_managers_see_the_executive_dashboard(
    client: httpx.AsyncClient,
    session: AsyncSession,
    factory: Factory,
    as_user: AsUser,
    frozen_clock: object,
) -> None:
    company = await seed_company(factory, session)
    admin = await factory.user(company.tenant, Role.admin)
    assert (await get(client, as_user, admin, "executive")).status_code == 200
    for user in (company.cora, company.ann):
        response = await get(client, as_user, user, "executive")
        assert response.status_code == 403, response.text
    assert (await get(client, as_user, company.ann, "csr")).status_code == 403
    assert (await client.get("/api/dashboards/executive")).status_code == 401


async def test_another_companys_manager_sees_only_their_own(
    client: httpx.AsyncClient,
    session: AsyncSession,
    factory: Factory,
    as_user: AsUser,
    frozen_clock: object,
) -> None:
    await seed_company(factory, session)
    other = await seed_other_company(factory, session)
    executive = await get_ok(client, as_user, other.manager, "executive")
    assert executive["calls"] == outcomes(2, 1.0, booked=1, missed=1)
    assert executive["leads"]["total"] == 2
    assert Decimal(executive["pipeline"]["value"]) == Decimal(55555)
    assert executive["messages"]["outbound"] == 1
    csr = await get_ok(client, as_user, other.cora, "csr")
    assert csr["my_calls"]["total"] == 1
    assert csr["queue"]["unanswered_calls"]["count"] == 1
    assert csr["queue"]["waiting_on_reply"]["count"] == 1
    rep = await get_ok(client, as_user, other.ann, "rep")
    assert len(rep["appointments"]) == 1 and rep["leads_by_status"]["won"] == 1


# --- cost -----------------------------------------------------------------------------------


async def test_each_dashboard_costs_the_same_queries_however_busy(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    session: AsyncSession,
    factory: Factory,
    as_user: AsUser,
    frozen_clock: object,
) -> None:
    company = await seed_company(factory, session)
    views: list[tuple[User, str, dict[str, str], int]] = [
        # the user, the tenant, then the dashboard's own aggregates (the CSR's lists: the
        # callers and their conversations, the waiting customers; the executive's series
        # per day, the calls and texts read once for the totals and the days)
        (company.cora, "csr", {}, 2 + 11),
        (company.ann, "rep", {}, 2 + 5),
        (company.manager, "rep", {"rep_id": str(company.ann.id)}, 3 + 5),
        (company.manager, "executive", {"period": "90d"}, 2 + 12),
    ]

    async def statements() -> list[int]:
        counts = []
        for user, path, params, _ in views:
            with count_statements(engine) as seen:
                await get_ok(client, as_user, user, path, **params)
            counts.append(len(seen))
        return counts

    quiet = await statements()
    assert quiet == [expected for *_, expected in views]
    for n in range(8):
        contact = await factory.contact(company.tenant)
        await factory.call(
            company.tenant,
            contact,
            started_at=NOW - n * HOUR,
            outcome=CallOutcome.missed,
        )
        await factory.lead(
            company.tenant,
            contact,
            assigned_rep_id=company.ann.id,
            first_response_at=NOW,
            estimated_value=Decimal(100),
        )
        await factory.appointment(company.tenant, contact, company.ann, starts_at=NOW + n * HOUR)
        await factory.task(company.tenant, assignee_id=company.ann.id, due_at=NOW - HOUR)
        await factory.recording(company.tenant, company.ann, started_at=NOW - HOUR)
        await text_message(session, company.tenant, contact, Direction.inbound, "hi", NOW)
    assert await statements() == quiet
