"""The demo data: exact counts, every status and kind represented, a second run that adds
nothing, two separate companies, logins that work, and a day that looks like today."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.crm.models import (
    Appointment,
    AppointmentStatus,
    Call,
    CallAnalysis,
    CallOutcome,
    CallProvider,
    CallTranscript,
    ContactCard,
    ContactPhone,
    HandledByRole,
    Lead,
    LeadStatus,
    RecordingSession,
    RepShift,
)
from switchboard.demo.seed import DEMO_LOGINS, database_is_empty, seed_demo
from switchboard.kit.clock import set_clock, utcnow
from switchboard.kit.models import TenantScoped
from switchboard.kit.phone import normalize_phone
from switchboard.messaging.models import (
    Channel,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    MessagingSession,
    Sender,
)
from switchboard.tasks.models import AssignedRole, Task, TaskPriority, TaskSource, TaskStatus
from switchboard.tenancy.models import ChannelAccount, ChannelKind, Role, Tenant, User
from switchboard.tenancy.repository import tenant_by_slug

M = TypeVar("M", bound=TenantScoped)


async def _rows(session: AsyncSession, model: type[M], tenant: Tenant) -> list[M]:
    stmt = select(model).where(model.tenant_id == tenant.id)
    return list((await session.execute(stmt)).scalars())


async def _seeded(session: AsyncSession, slug: str = "summit-demo") -> Tenant:
    await seed_demo(session)
    tenant = await tenant_by_slug(session, slug)
    assert tenant is not None
    return tenant


async def test_the_demo_company_has_exactly_the_promised_rows(session: AsyncSession) -> None:
    assert await database_is_empty(session)
    summit = await _seeded(session)
    assert not await database_is_empty(session)

    users = await _rows(session, User, summit)
    assert len(users) >= 6
    roles = Counter(user.role for user in users)
    assert roles[Role.manager] >= 1 and roles[Role.csr] >= 2 and roles[Role.rep] >= 3
    emails = {user.email: user for user in users}
    assert {"manager@demo.test", "csr@demo.test", "rep@demo.test"} <= set(emails)

    assert len(await _rows(session, ContactCard, summit)) >= 15
    assert len(await _rows(session, Lead, summit)) >= 15
    assert len(await _rows(session, CallTranscript, summit)) == 14
    assert len(await _rows(session, CallAnalysis, summit)) == 15
    assert len(await _rows(session, Appointment, summit)) == 16
    assert len(await _rows(session, RepShift, summit)) == 10
    assert len(await _rows(session, Task, summit)) == 35  # 5 made by the analyser
    assert len(await _rows(session, MessagingSession, summit)) == 15

    calls = await _rows(session, Call, summit)
    assert len(calls) == 69
    rep = emails["rep@demo.test"]
    by_csrs = [c for c in calls if c.handled_by_role == HandledByRole.csr]
    by_rep = [c for c in calls if c.handled_by_user_id == rep.id]
    by_other_reps = [
        c
        for c in calls
        if c.handled_by_role == HandledByRole.rep and c.handled_by_user_id != rep.id
    ]
    assert (len(by_csrs), len(by_rep), len(by_other_reps)) == (31, 15, 23)
    users_by_id = {user.id: user for user in users}
    assert all(users_by_id[c.handled_by_user_id].role == Role.csr for c in by_csrs)  # type: ignore[index]
    assert {c.outcome for c in calls} == set(CallOutcome)
    assert {c.provider for c in calls} == set(CallProvider)
    assert len({(c.provider, c.provider_call_id) for c in calls}) == 69
    assert all(c.provider_call_id for c in calls)

    recordings = await _rows(session, RecordingSession, summit)
    assert len(recordings) == 6
    assert all(r.source == "shunya" and r.transcript and r.analysis for r in recordings)


async def test_the_company_is_set_up_for_twilio(session: AsyncSession) -> None:
    summit = await _seeded(session)
    assert summit.timezone == "America/Denver" and summit.auto_reply_enabled
    assert summit.office_phone and summit.help_text and summit.missed_call_text
    assert summit.business_hours["mon"] and summit.business_hours["sun"] is None

    channels = {
        (c.provider, c.kind, c.address) for c in await _rows(session, ChannelAccount, summit)
    }
    assert channels == {
        ("twilio", ChannelKind.sms, "+15555550100"),
        ("twilio", ChannelKind.whatsapp, "whatsapp:+15555550100"),
        ("twilio", ChannelKind.voice, "+15555550100"),
    }


async def test_contacts_and_leads_are_complete(session: AsyncSession) -> None:
    summit = await _seeded(session)
    contacts = await _rows(session, ContactCard, summit)
    assert all(
        c.first_name and c.last_name and c.email and c.address_line1 and c.city and c.lead_source
        for c in contacts
    )
    assert all(c.tags and "sms" in c.consent for c in contacts)
    phones = await _rows(session, ContactPhone, summit)
    assert all(normalize_phone(p.number) == p.number for p in phones)
    assert {p.contact_id for p in phones if p.is_primary} == {c.id for c in contacts}

    leads = await _rows(session, Lead, summit)
    assert {lead.status for lead in leads} == set(LeadStatus)
    assert {"roofing", "solar", "hvac", "gutters"} <= {lead.service for lead in leads}
    assert all(lead.estimated_value and lead.estimated_value > 0 for lead in leads)
    assert all(lead.lost_reason for lead in leads if lead.status == LeadStatus.lost)
    responded = [lead for lead in leads if lead.first_response_at is not None]
    assert responded and all(lead.speed_to_lead_seconds >= 0 for lead in responded)  # type: ignore[operator]


async def test_calls_have_believable_transcripts_and_analyses(session: AsyncSession) -> None:
    summit = await _seeded(session)
    transcripts = await _rows(session, CallTranscript, summit)
    everything_said = " ".join(t.text.lower() for t in transcripts)
    for objection in ("talk to my wife", "cheaper quote", "adjuster", "hail"):
        assert objection in everything_said
    for transcript in transcripts:
        speakers = {segment["speaker"] for segment in transcript.segments}
        assert speakers == {"agent", "customer"}
        assert all(s["end_s"] > s["start_s"] for s in transcript.segments)

    analyses = await _rows(session, CallAnalysis, summit)
    assert all(a.summary and a.sentiment and a.intent and a.booking_outcome for a in analyses)
    assert all(a.next_steps and a.model for a in analyses)
    assert any("wife" in " ".join(a.objections) for a in analyses)


async def test_the_analyser_itself_made_some_of_the_demo_tasks(session: AsyncSession) -> None:
    """Otto and Shunya ran on the demo's transcripts as it loaded: their analyses cite the
    transcript lines, and their tasks are linked to the origin they are kept in step with."""
    summit = await _seeded(session)
    made = [t for t in await _rows(session, Task, summit) if t.origin_key]
    assert {t.source for t in made} == {TaskSource.otto, TaskSource.shunya}
    by_title = {t.title: t for t in made}
    assert "Call back Dana Whitfield Thursday after 5 (deciding with their spouse)" in by_title
    assert any(t.assigned_role == AssignedRole.manager for t in made)  # the complaint
    shunya = [t for t in made if t.source == TaskSource.shunya]
    assert all(t.appointment_id and t.assigned_role == AssignedRole.rep for t in shunya)
    analysed = [a for a in await _rows(session, CallAnalysis, summit) if a.findings]
    assert len(analysed) == 3 and all(a.model == "builtin-analyser-1" for a in analysed)
    spanish = next(a for a in analysed if a.findings and a.findings["language"] == "es")
    assert spanish.booking_outcome == "booked"
    recordings = await _rows(session, RecordingSession, summit)
    assert sum(1 for r in recordings if (r.analysis or {}).get("findings")) == 1


async def test_tasks_cover_every_status_priority_source_and_role(session: AsyncSession) -> None:
    summit = await _seeded(session)
    tasks = await _rows(session, Task, summit)
    now = utcnow()

    def seen_as(task: Task) -> TaskStatus:
        overdue = task.status == TaskStatus.open and task.due_at is not None and task.due_at < now
        return TaskStatus.overdue if overdue else task.status

    assert {task.status for task in tasks} == {
        TaskStatus.open,
        TaskStatus.completed,
        TaskStatus.cancelled,
    }
    assert {seen_as(task) for task in tasks} == set(TaskStatus)
    assert {task.priority for task in tasks} == set(TaskPriority)
    assert {task.source for task in tasks} == set(TaskSource)
    assert {task.assigned_role for task in tasks} == set(AssignedRole)
    for task in tasks:
        assert (task.completed_at is not None) == (task.status == TaskStatus.completed)
        assert (task.cancelled_at is not None) == (task.status == TaskStatus.cancelled)
    for link in ("contact_id", "lead_id", "appointment_id", "call_id"):
        assert any(getattr(task, link) for task in tasks), link
    assert any("spouse" in task.title and task.assigned_role == AssignedRole.ai for task in tasks)


async def test_threads_cover_every_sender_kind_and_status(session: AsyncSession) -> None:
    summit = await _seeded(session)
    threads = await _rows(session, MessagingSession, summit)
    messages = await _rows(session, Message, summit)
    assert {m.sender for m in messages} == set(Sender)
    assert {m.kind for m in messages} == set(MessageKind)
    assert {m.status for m in messages} == set(MessageStatus)
    assert {t.channel for t in threads} == set(Channel)

    for message in messages:
        inbound = message.direction == Direction.inbound
        assert (message.status == MessageStatus.received) == inbound
        if message.status in (MessageStatus.failed, MessageStatus.undelivered):
            assert message.error_code in ("30003", "30007") and message.error_message
        if message.sender == Sender.otto:
            assert message.kind == MessageKind.automated and message.in_reply_to_id
        if message.sender in (Sender.csr, Sender.rep, Sender.manager):
            assert message.sender_user_id is not None
    sids = [m.provider_message_id for m in messages if m.provider_message_id]
    assert len(sids) == len(set(sids))
    texts = [sid for sid in sids if not sid.startswith("voicemail:")]
    assert texts and all(sid[:2] in ("SM", "MM") and len(sid) == 34 for sid in texts)
    voicemails = [m for m in messages if m.sender == Sender.shunya]
    assert voicemails and all(m.call_id and m.channel == Channel.voice for m in voicemails)

    by_thread = Counter(m.session_id for m in messages)
    for thread in threads:
        assert thread.message_count == by_thread[thread.id]
        assert thread.first_message_at <= thread.last_message_at
        assert thread.title and thread.our_address and thread.last_message_preview
        if thread.channel == Channel.whatsapp:
            assert thread.counterpart_address.startswith("whatsapp:+")
            assert thread.our_address == "whatsapp:+15555550100"
        else:
            assert normalize_phone(thread.counterpart_address) == thread.counterpart_address


async def test_a_second_run_adds_nothing_and_says_so(session: AsyncSession) -> None:
    first = await seed_demo(session)
    assert "69 calls" in first.summary()

    async def total(model: type[Any]) -> int:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()

    before = [await total(model) for model in (Tenant, User, Call, Task, Message)]
    again = await seed_demo(session)
    assert again.already_loaded
    assert "nothing was added" in again.summary()
    assert [await total(model) for model in (Tenant, User, Call, Task, Message)] == before


async def test_the_second_company_is_separate(session: AsyncSession) -> None:
    summit = await _seeded(session)
    lakeside = await tenant_by_slug(session, "lakeside-demo")
    assert lakeside is not None and lakeside.id != summit.id
    assert lakeside.timezone == "America/Chicago"

    counts = [
        len(await _rows(session, model, lakeside))
        for model in (ContactCard, Lead, Appointment, Task, MessagingSession)
    ]
    assert counts == [3, 2, 2, 4, 1]
    staff = {u.email: u.role for u in await _rows(session, User, lakeside)}
    assert staff["manager@lakeside.test"] == Role.manager
    assert Role.csr in staff.values()

    # Every link in Summit's rows stays inside Summit.
    contacts = {c.id for c in await _rows(session, ContactCard, summit)}
    users = {u.id for u in await _rows(session, User, summit)}
    for task in await _rows(session, Task, summit):
        assert task.contact_id is None or task.contact_id in contacts
        assert task.assignee_id is None or task.assignee_id in users
    for appointment in await _rows(session, Appointment, summit):
        assert appointment.contact_id in contacts and appointment.rep_id in users
    for message in await _rows(session, Message, summit):
        assert message.contact_id in contacts


async def test_every_demo_login_works(session: AsyncSession, client: httpx.AsyncClient) -> None:
    await seed_demo(session)
    assert ("manager@lakeside.test", "manager") in DEMO_LOGINS
    for email, role in DEMO_LOGINS:
        token = await client.post("/api/auth/token", data={"username": email, "password": "demo"})
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        me = (await client.get("/api/me", headers=headers)).json()
        assert (me["email"], me["role"]) == (email, role)
        expected = "lakeside-demo" if email.endswith("@lakeside.test") else "summit-demo"
        assert me["tenant"]["slug"] == expected


async def test_the_api_serves_the_demo_data(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    """Everything seeded passes the read schemas, and each company sees only its own."""
    await seed_demo(session)
    token = await client.post(
        "/api/auth/token", data={"username": "manager@demo.test", "password": "demo"}
    )
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    for path, at_least in [
        ("/api/contacts", 15),
        ("/api/leads", 15),
        ("/api/calls", 69),
        ("/api/appointments", 15),
        ("/api/rep-shifts", 10),
        ("/api/recording-sessions", 5),
        ("/api/tasks", 30),
    ]:
        items = await _all_items(client, path, headers)
        assert len(items) >= at_least, path
    lakeside_token = await client.post(
        "/api/auth/token", data={"username": "manager@lakeside.test", "password": "demo"}
    )
    lakeside = {"Authorization": f"Bearer {lakeside_token.json()['access_token']}"}
    assert len(await _all_items(client, "/api/contacts", lakeside)) == 3


async def _all_items(
    client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 50}
    while True:
        response = await client.get(path, headers=headers, params=params)
        assert response.status_code == 200, f"{path}: {response.text}"
        page = response.json()
        items += page["items"]
        if not page["next_cursor"]:
            return items
        params["cursor"] = page["next_cursor"]


@pytest.fixture(
    params=[
        datetime(2026, 11, 20, 14, 0, tzinfo=ZoneInfo("America/Denver")),  # mid-afternoon
        datetime(2026, 11, 21, 6, 5, tzinfo=ZoneInfo("America/Denver")),  # before opening
        datetime(2026, 11, 20, 23, 50, tzinfo=ZoneInfo("America/Denver")),  # near midnight
        datetime(2026, 3, 8, 23, 30, tzinfo=ZoneInfo("America/Denver")),  # clocks sprang ahead
    ],
    ids=["afternoon", "early", "late", "dst"],
)
def local_now(request: pytest.FixtureRequest) -> Iterator[datetime]:
    now = request.param.astimezone(UTC)
    set_clock(lambda: now)
    yield now
    set_clock(None)


async def test_the_day_is_today_in_the_company_time_zone(
    session: AsyncSession, local_now: datetime
) -> None:
    summit = await _seeded(session)
    zone = ZoneInfo(summit.timezone)
    today = local_now.astimezone(zone).date()
    appointments = await _rows(session, Appointment, summit)
    days = Counter((a.starts_at.astimezone(zone).date() - today).days for a in appointments)
    assert days[0] >= 3 and days[1] >= 3
    assert {a.status for a in appointments} == set(AppointmentStatus)
    assert all(a.address and a.rep_id for a in appointments)

    tasks = await _rows(session, Task, summit)
    assert any(t.due_at and t.due_at.astimezone(zone).date() == today for t in tasks)
    assert any(t.status == TaskStatus.open and t.due_at and t.due_at < local_now for t in tasks)
    assert any(t.status == TaskStatus.open and t.due_at and t.due_at > local_now for t in tasks)

    # Nothing that already happened is dated in the future.
    calls = await _rows(session, Call, summit)
    assert max(c.started_at for c in calls) <= local_now
    assert any(c.started_at > local_now - timedelta(days=1) for c in calls)
    messages = await _rows(session, Message, summit)
    assert max(m.created_at for m in messages) <= local_now
    assert (
        max(t.last_message_at for t in await _rows(session, MessagingSession, summit)) <= local_now
    )
    closed = [t.completed_at or t.cancelled_at for t in tasks]
    assert all(at <= local_now for at in closed if at)
    assert all(t.created_at <= local_now for t in tasks)
    recordings = await _rows(session, RecordingSession, summit)
    assert all(r.ended_at and r.ended_at <= local_now for r in recordings)
