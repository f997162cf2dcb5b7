"""The staff assistant's tools, run through the Toolbox as a signed-in user on seeded data."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.ai.model import ToolCall
from switchboard.ai.staff_tools import staff_toolbox
from switchboard.ai.toolbox import ToolContext, ToolOutcome
from switchboard.config import Settings
from switchboard.crm.models import Call, CallAnalysis, CallOutcome
from switchboard.messaging.models import Direction
from switchboard.tasks.models import AssignedRole, Task, TaskPriority, TaskSource, TaskStatus
from switchboard.tenancy.models import Role, Tenant, User
from tests.factories import Factory, text_message

# frozen_clock: 2026-11-21 15:00 UTC, a Saturday; 09:00 in Chicago.
NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)


async def run(
    session: AsyncSession, settings: Settings, user: User, tool: str, **arguments: Any
) -> ToolOutcome:
    tenant = await session.get(Tenant, user.tenant_id)
    assert tenant is not None
    ctx = ToolContext(session=session, tenant=tenant, settings=settings, user=user)
    return await staff_toolbox().run(ctx, ToolCall(id="call_1", name=tool, arguments=arguments))


def ok(outcome: ToolOutcome) -> dict[str, Any]:
    assert outcome.status == "ok", outcome.result
    result: dict[str, Any] = outcome.result
    return result


def failed(outcome: ToolOutcome) -> str:
    assert outcome.status == "error", outcome.result
    message: str = outcome.result["error"]
    return message


async def task_count(session: AsyncSession, tenant: Tenant) -> int:
    stmt = select(func.count()).select_from(Task).where(Task.tenant_id == tenant.id)
    return (await session.execute(stmt)).scalar_one()


def test_every_tool_has_a_precise_schema() -> None:
    specs = {spec.name: spec for spec in staff_toolbox().specs()}
    assert set(specs) == {
        "list_tasks", "create_task", "update_task", "complete_task", "search_contacts",
        "get_contact_summary", "list_appointments", "get_daily_digest",
        "list_unanswered_messages", "who_to_follow_up", "send_sms", "list_call_analyses",
    }  # fmt: skip
    for spec in specs.values():
        schema = spec.parameters
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        assert "$ref" not in str(schema) and "anyOf" not in str(schema)
        for name, prop in schema["properties"].items():
            assert prop.get("description"), f"{spec.name}.{name} has no description"
            assert "type" in prop, f"{spec.name}.{name} has no type"
        assert len(spec.description) > 40
    create = specs["create_task"].parameters
    assert create["required"] == ["title"]
    assert create["properties"]["priority"]["enum"] == ["high", "medium", "low"]
    assert create["properties"]["contact_id"]["format"] == "uuid"
    statuses = specs["list_tasks"].parameters["properties"]["status"]["enum"]
    assert "overdue" in statuses and "pending" in statuses
    assert specs["send_sms"].parameters["required"] == ["body"]


async def test_bad_arguments_are_failed_calls(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    assert "status" in failed(await run(session, settings, csr, "list_tasks", status="someday"))
    assert "colour" in failed(await run(session, settings, csr, "list_tasks", colour="red"))
    assert "title" in failed(await run(session, settings, csr, "create_task"))
    assert "task_id or task" in failed(await run(session, settings, csr, "complete_task"))


async def test_list_tasks_stays_in_the_users_scope(
    session: AsyncSession, settings: Settings, factory: Factory, frozen_clock: object
) -> None:
    tenant = await factory.tenant()
    manager = await factory.user(tenant, Role.manager)
    ann = await factory.user(tenant, Role.rep, name="Ann Rep")
    bob = await factory.user(tenant, Role.rep, name="Bob Rep")
    late = await factory.task(
        tenant, title="Ann late", assignee_id=ann.id, priority=TaskPriority.high,
        due_at=NOW - timedelta(days=1),
    )  # fmt: skip
    soon = await factory.task(
        tenant, title="Ann soon", assignee_id=ann.id, due_at=NOW + timedelta(hours=3)
    )
    bobs = await factory.task(
        tenant, title="Bob's", assignee_id=bob.id, due_at=NOW + timedelta(days=1)
    )
    await factory.task(tenant, title="Ann done", assignee_id=ann.id, status=TaskStatus.completed)

    def ids(result: dict[str, Any]) -> list[str]:
        return [task["id"] for task in result["tasks"]]

    as_ann = ok(await run(session, settings, ann, "list_tasks"))
    assert ids(as_ann) == [str(late.id), str(soon.id)] and as_ann["total"] == 2
    assert as_ann["tasks"][0]["status"] == "overdue" and as_ann["tasks"][0]["assignee"] == "Ann Rep"
    assert ids(ok(await run(session, settings, ann, "list_tasks", status="overdue"))) == [
        str(late.id)
    ]
    assert ids(ok(await run(session, settings, ann, "list_tasks", due="today"))) == [str(soon.id)]
    assert ids(ok(await run(session, settings, bob, "list_tasks"))) == [str(bobs.id)]
    assert len(ids(ok(await run(session, settings, ann, "list_tasks", status="all")))) == 3

    everyone = ok(await run(session, settings, manager, "list_tasks"))
    assert everyone["total"] == 3
    assert (
        ok(await run(session, settings, manager, "list_tasks", assigned_to_me=True))["total"] == 0
    )
    # Ann cannot reach Bob's task by its id either.
    assert "not found" in failed(
        await run(session, settings, ann, "complete_task", task_id=str(bobs.id))
    )


async def test_create_task_reads_the_due_time_in_the_tenants_zone(
    session: AsyncSession, settings: Settings, factory: Factory, frozen_clock: object
) -> None:
    tenant = await factory.tenant(timezone="America/Chicago")
    csr = await factory.user(tenant, Role.csr)
    garcia = await factory.contact(tenant, first_name="Maria", last_name="Garcia")

    result = ok(
        await run(
            session, settings, csr, "create_task", title="Call Maria back", due="tomorrow at 5pm",
            contact="Maria Garcia", priority="high",
        )
    )  # fmt: skip
    created = result["created"]
    assert created["due"] == "2026-11-22T17:00-06:00"
    task = await session.get(Task, uuid.UUID(created["id"]))
    assert task is not None
    assert task.due_at == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    assert task.source == TaskSource.assistant and task.created_by_id == csr.id
    assert task.assignee_id == csr.id and task.assigned_role == AssignedRole.csr
    assert task.contact_id == garcia.id and task.priority == TaskPriority.high

    # The same words in another company's zone name another instant.
    west = await factory.tenant(timezone="America/Los_Angeles")
    west_csr = await factory.user(west, Role.csr)
    other = ok(await run(session, settings, west_csr, "create_task", title="X", due="friday 9am"))
    assert other["created"]["due"] == "2026-11-27T09:00-08:00"

    in_two_days = ok(await run(session, settings, csr, "create_task", title="Y", due="in 2 days"))
    assert in_two_days["created"]["due"] == "2026-11-23T09:00-06:00"
    iso = ok(await run(session, settings, csr, "create_task", title="Z", due="2026-12-01T08:30"))
    assert iso["created"]["due"] == "2026-12-01T08:30-06:00"
    assert "could not understand" in failed(
        await run(session, settings, csr, "create_task", title="W", due="when pigs fly")
    )


async def test_create_task_assigns_by_name_email_or_role(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    tenant = await factory.tenant()
    manager = await factory.user(tenant, Role.manager)
    dana = await factory.user(tenant, Role.rep, name="Dana Reyes", email="dana@example.test")
    await factory.user(tenant, Role.csr, name="Dan Brown")

    by_name = ok(
        await run(session, settings, manager, "create_task", title="A", assignee="dana reyes")
    )
    assert by_name["created"]["assignee"] == "Dana Reyes"
    assert by_name["created"]["assigned_role"] == "rep"
    by_email = ok(
        await run(
            session, settings, manager, "create_task", title="B", assignee="DANA@example.test"
        )
    )
    assert by_email["created"]["assignee"] == "Dana Reyes"
    queue = ok(await run(session, settings, manager, "create_task", title="C", assignee="csr"))
    assert queue["created"]["assignee"] is None and queue["created"]["assigned_role"] == "csr"
    message = failed(
        await run(session, settings, manager, "create_task", title="D", assignee="Dan")
    )
    assert "Dana Reyes" in message and "Dan Brown" in message
    assert "no active staff member" in failed(
        await run(session, settings, manager, "create_task", title="E", assignee="Zed")
    )
    task = await session.get(Task, uuid.UUID(by_name["created"]["id"]))
    assert task is not None and task.assignee_id == dana.id


async def test_an_ambiguous_contact_fails_listing_the_candidates(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    maria = await factory.contact(
        tenant, phone="+13125550101", first_name="Maria", last_name="Garcia"
    )
    luis = await factory.contact(
        tenant, phone="+13125550102", first_name="Luis", last_name="Garcia"
    )

    message = failed(
        await run(session, settings, csr, "create_task", title="Call back", contact="Garcia")
    )
    assert "Maria Garcia" in message and "Luis Garcia" in message
    assert str(maria.id) in message and str(luis.id) in message and "+13125550101" in message
    assert await task_count(session, tenant) == 0

    by_id = ok(
        await run(session, settings, csr, "create_task", title="Call back", contact_id=str(luis.id))
    )
    assert by_id["created"]["contact"] == {"id": str(luis.id), "name": "Luis Garcia"}
    by_phone = ok(
        await run(session, settings, csr, "create_task", title="Text", contact="(312) 555-0101")
    )
    assert by_phone["created"]["contact"]["name"] == "Maria Garcia"
    assert "no contact matches" in failed(
        await run(session, settings, csr, "create_task", title="Z", contact="Nobody")
    )


async def test_complete_task_by_description(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    garcia = await factory.contact(tenant, first_name="Maria", last_name="Garcia")
    smith = await factory.contact(tenant, first_name="Sam", last_name="Smith")
    quote = await factory.task(tenant, title="Send the roof quote", contact_id=garcia.id)
    follow = await factory.task(tenant, title="Follow up with Sam", contact_id=smith.id)

    done = ok(await run(session, settings, csr, "complete_task", task="Garcia follow-up"))
    assert done["completed"]["id"] == str(quote.id) and done["completed"]["status"] == "completed"
    await session.refresh(quote)
    await session.refresh(follow)
    assert quote.status == TaskStatus.completed and follow.status == TaskStatus.open

    second = await factory.task(tenant, title="Call Garcia about financing", contact_id=garcia.id)
    third = await factory.task(tenant, title="Book Garcia inspection", contact_id=garcia.id)
    message = failed(await run(session, settings, csr, "complete_task", task="Garcia"))
    assert str(second.id) in message and str(third.id) in message
    assert "financing" in message and "inspection" in message
    await session.refresh(second)
    assert second.status == TaskStatus.open

    picked = ok(await run(session, settings, csr, "complete_task", task="garcia financing call"))
    assert picked["completed"]["id"] == str(second.id)
    assert "no open task" in failed(
        await run(session, settings, csr, "complete_task", task="Zebra")
    )


async def test_update_task_changes_what_it_is_told(
    session: AsyncSession, settings: Settings, factory: Factory, frozen_clock: object
) -> None:
    tenant = await factory.tenant(timezone="America/Chicago")
    csr = await factory.user(tenant, Role.csr)
    task = await factory.task(tenant, title="Order shingles", due_at=NOW)

    result = ok(
        await run(
            session, settings, csr, "update_task", task="shingles", due="monday 10am",
            priority="high",
        )
    )  # fmt: skip
    assert result["changed"] == ["due_at", "priority"]
    assert result["updated"]["due"] == "2026-11-23T10:00-06:00"
    assert result["updated"]["priority"] == "high"
    cleared = ok(
        await run(session, settings, csr, "update_task", task_id=str(task.id), clear_due=True)
    )
    assert cleared["updated"]["due"] is None
    assert "nothing to change" in failed(
        await run(session, settings, csr, "update_task", task_id=str(task.id))
    )
    cancelled = ok(
        await run(session, settings, csr, "update_task", task_id=str(task.id), status="cancelled")
    )
    assert cancelled["updated"]["status"] == "cancelled"


async def test_search_contacts_and_contact_summary(
    session: AsyncSession, settings: Settings, factory: Factory, frozen_clock: object
) -> None:
    tenant = await factory.tenant()
    manager = await factory.user(tenant, Role.manager)
    ann = await factory.user(tenant, Role.rep, name="Ann Rep")
    bob = await factory.user(tenant, Role.rep)
    garcia = await factory.contact(
        tenant, phone="+13125550199", first_name="Maria", last_name="Garcia",
        email="maria@example.test", address_line1="12 Elm St", city="Chicago",
    )  # fmt: skip
    await factory.contact(tenant, first_name="Sam", last_name="Smith")
    await factory.lead(tenant, garcia, assigned_rep_id=ann.id, source="web", service="roofing")
    await factory.appointment(tenant, garcia, ann, starts_at=NOW + timedelta(days=1))
    await factory.appointment(tenant, garcia, ann, starts_at=NOW - timedelta(days=3))
    await factory.call(
        tenant, garcia, outcome=CallOutcome.booked, handled_by_user_id=ann.id,
        started_at=NOW - timedelta(days=2),
    )  # fmt: skip
    call = (await session.execute(select(Call).where(Call.contact_id == garcia.id))).scalar_one()
    session.add(
        CallAnalysis(
            tenant_id=tenant.id, call_id=call.id, summary="Wants a roof estimate next week.",
            sentiment="positive", next_steps=["book estimate"],
        )
    )  # fmt: skip
    await factory.task(tenant, title="Send quote", contact_id=garcia.id, assignee_id=ann.id)
    await text_message(
        session, tenant, garcia, Direction.outbound, "See you tomorrow", NOW - timedelta(hours=2)
    )
    await text_message(
        session, tenant, garcia, Direction.inbound, "Can we do 4pm?", NOW - timedelta(minutes=5)
    )

    found = ok(await run(session, settings, manager, "search_contacts", query="garc"))
    assert found["count"] == 1
    card = found["contacts"][0]
    assert card["name"] == "Maria Garcia" and card["phone"] == "+13125550199"
    assert card["address"] == "12 Elm St, Chicago"
    by_phone = ok(await run(session, settings, manager, "search_contacts", query="312-555-0199"))
    assert [c["id"] for c in by_phone["contacts"]] == [str(garcia.id)]

    summary = ok(await run(session, settings, ann, "get_contact_summary", contact="Maria Garcia"))
    assert summary["contact"]["email"] == "maria@example.test"
    assert summary["leads"][0]["service"] == "roofing"
    assert summary["leads"][0]["assigned_rep"] == "Ann Rep"
    assert len(summary["upcoming_appointments"]) == 1
    assert summary["recent_calls"][0]["summary"] == "Wants a roof estimate next week."
    assert summary["recent_calls"][0]["next_steps"] == ["book estimate"]
    assert [t["title"] for t in summary["open_tasks"]["items"]] == ["Send quote"]
    assert [m["body"] for m in summary["last_messages"]] == ["Can we do 4pm?", "See you tomorrow"]
    assert summary["waiting_on_our_reply"] is True

    # Bob has nothing to do with Garcia: the card is out of his reach.
    assert "not found" in failed(
        await run(session, settings, bob, "get_contact_summary", contact_id=str(garcia.id))
    )
    assert ok(await run(session, settings, bob, "search_contacts", query="Garcia"))["count"] == 0


async def test_a_nul_character_in_tool_arguments_is_refused_naming_the_argument(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    """MCP clients call these tools with arguments of their own: held to the API's rules."""
    manager = await factory.user(await factory.tenant(), Role.manager)
    searched = failed(await run(session, settings, manager, "search_contacts", query="Ann\x00"))
    created = failed(await run(session, settings, manager, "create_task", title="Call\x00 Ann"))
    for message, argument in ((searched, "query"), (created, "title")):
        assert f"{argument}: " in message and "NUL" in message, message


async def test_list_appointments_in_plain_words(
    session: AsyncSession, settings: Settings, factory: Factory, frozen_clock: object
) -> None:
    tenant = await factory.tenant(timezone="America/Chicago")
    manager = await factory.user(tenant, Role.manager)
    ann = await factory.user(tenant, Role.rep, name="Ann Rep")
    bob = await factory.user(tenant, Role.rep, name="Bob Rep")
    contact = await factory.contact(tenant, first_name="Maria", last_name="Garcia")
    today = await factory.appointment(
        tenant, contact, ann, starts_at=datetime(2026, 11, 21, 20, 0, tzinfo=UTC), address="12 Elm"
    )
    await factory.appointment(
        tenant, contact, bob, starts_at=datetime(2026, 11, 22, 16, 0, tzinfo=UTC)
    )
    await factory.appointment(
        tenant, contact, ann, starts_at=datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
    )

    listed = ok(await run(session, settings, manager, "list_appointments", when="today"))
    assert listed["range"] == {
        "label": "today", "from": "2026-11-21T00:00-06:00", "to": "2026-11-22T00:00-06:00"
    }  # fmt: skip
    item = listed["appointments"][0]
    assert item["id"] == str(today.id) and item["starts"] == "2026-11-21T14:00-06:00"
    assert item["rep"] == "Ann Rep" and item["contact"]["name"] == "Maria Garcia"
    tomorrow = ok(await run(session, settings, manager, "list_appointments", when="tomorrow"))
    assert [a["rep"] for a in tomorrow["appointments"]] == ["Bob Rep"]
    # Saturday: this week ends tomorrow, Sunday; next week holds the Wednesday visit.
    assert (
        ok(await run(session, settings, manager, "list_appointments", when="this week"))["count"]
        == 2
    )
    assert (
        ok(await run(session, settings, manager, "list_appointments", when="next week"))["count"]
        == 1
    )
    assert (
        ok(await run(session, settings, manager, "list_appointments", when="wednesday"))["count"]
        == 1
    )
    assert (
        ok(await run(session, settings, ann, "list_appointments", when="next 7 days"))["count"] == 2
    )
    assert (
        ok(await run(session, settings, bob, "list_appointments", when="this week"))["count"] == 1
    )
    assert "could not understand" in failed(
        await run(session, settings, manager, "list_appointments", when="whenever")
    )


async def test_inbox_follow_ups_and_digest_tools(
    session: AsyncSession, settings: Settings, factory: Factory, frozen_clock: object
) -> None:
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr, name="Cai Csr")
    waiting = await factory.contact(tenant, first_name="Wendy", last_name="Waiting")
    answered = await factory.contact(tenant, first_name="Andy", last_name="Answered")
    fresh = await factory.contact(tenant, first_name="Fran", last_name="Fresh")
    await text_message(
        session, tenant, waiting, Direction.inbound, "Any update?", NOW - timedelta(minutes=90)
    )
    await text_message(session, tenant, answered, Direction.inbound, "Hi", NOW - timedelta(hours=3))
    await text_message(
        session, tenant, answered, Direction.outbound, "Hello!", NOW - timedelta(hours=2)
    )
    await text_message(session, tenant, waiting, Direction.inbound, "Old", NOW - timedelta(days=30))
    await factory.lead(tenant, fresh, source="web")

    unanswered = ok(await run(session, settings, csr, "list_unanswered_messages"))
    assert unanswered["total"] == 1
    item = unanswered["items"][0]
    assert item["contact"]["name"] == "Wendy Waiting" and item["waiting_minutes"] == 90
    assert item["last_message"] == "Any update?" and item["session_id"]

    queue = ok(await run(session, settings, csr, "who_to_follow_up"))
    assert [i["contact"]["name"] for i in queue["items"]] == ["Wendy Waiting", "Fran Fresh"]
    assert queue["items"][1]["reasons"][0]["kind"] == "new_lead_no_response"

    digest = ok(await run(session, settings, csr, "get_daily_digest"))
    assert digest["for"]["name"] == "Cai Csr"
    assert digest["unanswered_messages"]["count"] == 1


async def test_staff_tools_need_a_staff_user(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    tenant = await factory.tenant()
    ctx = ToolContext(session=session, tenant=tenant, settings=settings, user=None)
    outcome = await staff_toolbox().run(ctx, ToolCall(id="c", name="list_tasks", arguments={}))
    assert outcome.status == "error" and "staff user" in outcome.result["error"]


@pytest.mark.parametrize("tool", ["list_tasks", "who_to_follow_up", "get_daily_digest"])
async def test_read_tools_answer_on_an_empty_company(
    session: AsyncSession, settings: Settings, factory: Factory, tool: str
) -> None:
    tenant = await factory.tenant()
    rep = await factory.user(tenant, Role.rep)
    ok(await run(session, settings, rep, tool))
