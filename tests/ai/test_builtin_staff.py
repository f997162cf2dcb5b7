"""The built-in staff model: which tool calls each common request becomes, and whole turns
through the agent loop with the real staff tools on real data (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.ai.agent import AgentResult, run_agent
from switchboard.ai.builtin import BuiltinModel
from switchboard.ai.builtin.staff import (
    named_contact,
    parse_sms,
    plan_hours,
    respond,
    split_due,
)
from switchboard.ai.model import Audience, ModelMessage
from switchboard.ai.staff_tools import staff_toolbox
from switchboard.ai.toolbox import ToolContext
from switchboard.config import Settings
from switchboard.crm.models import LeadStatus
from switchboard.messaging.inbound import receive_message
from switchboard.messaging.models import Message
from switchboard.messaging.schemas import InboundMessage
from switchboard.tasks.models import Task, TaskPriority, TaskStatus
from switchboard.tenancy.models import Role, Tenant, User
from tests.factories import Factory

TOOLS = staff_toolbox().specs()
ZONE = ZoneInfo("America/Chicago")

REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("What's most urgent today?", "get_daily_digest", {}),
    ("Who do I need to follow up with?", "who_to_follow_up", {"limit": 10}),
    # A task that names a customer looks them up first, to link the task to them.
    (
        "Create a task to call the Hendersons tomorrow at 5pm",
        "search_contacts",
        {"query": "Hendersons"},
    ),
    (
        "remind me to send the Patel quote by friday 9am, high priority",
        "search_contacts",
        {"query": "Patel"},
    ),
    (
        "add a task: order shingles for the Kim job",
        "search_contacts",
        {"query": "Kim"},
    ),
    (
        "add a task: order more ridge vents by 4pm, high priority",
        "create_task",
        {"title": "Order more ridge vents", "due": "4pm", "priority": "high"},
    ),
    (
        "What can I delegate?",
        "list_tasks",
        {"status": "pending", "assigned_to_me": True, "limit": 50},
    ),
    ("Help me plan my next 2 hours", "get_daily_digest", {}),
    ("What appointments do I have tomorrow?", "list_appointments", {"when": "tomorrow"}),
    ("any appointments on friday?", "list_appointments", {"when": "friday"}),
    ("Mark the Garcia follow-up done", "list_tasks", {"status": "pending", "limit": 50}),
    ("Summarize the Patel account", "search_contacts", {"query": "Patel"}),
    (
        "Text Mrs. Lopez that the crew is running 15 minutes late",
        "send_sms",
        {"contact": "Lopez", "body": "The crew is running 15 minutes late."},
    ),
    (
        'send Bob Smith a text: "See you at 3!"',
        "send_sms",
        {"contact": "Bob Smith", "body": "See you at 3!"},
    ),
    (
        "Which of my overdue tasks should I tackle first?",
        "list_tasks",
        {"status": "overdue", "limit": 20},
    ),
    ("Which customers are waiting on a reply?", "list_unanswered_messages", {}),
]


@pytest.mark.parametrize(("request_text", "tool", "arguments"), REQUESTS)
def test_request_becomes_a_tool_call(
    request_text: str, tool: str, arguments: dict[str, Any]
) -> None:
    completion = respond([ModelMessage("user", request_text)], TOOLS)
    assert completion.text is None
    (call,) = completion.tool_calls
    assert (call.name, call.arguments) == (tool, arguments)
    assert completion.usage.estimated and completion.model == "builtin"


@pytest.mark.parametrize(
    "request_text",
    [
        "Mrs. Lopez is running late, let the team know",
        "what did Mrs. Lopez text us?",
        "did anyone text the Garcias?",
    ],
)
def test_texts_only_on_an_explicit_instruction(request_text: str) -> None:
    completion = respond([ModelMessage("user", request_text)], TOOLS)
    assert all(call.name != "send_sms" for call in completion.tool_calls)


def test_a_request_outside_the_tools_lists_only_the_offered_tools() -> None:
    few = [spec for spec in TOOLS if spec.name in ("create_task", "list_appointments")]
    completion = respond([ModelMessage("user", "what's the weather tomorrow?")], few)
    assert completion.tool_calls == ()
    assert completion.text is not None and completion.text.startswith("I can't do that")
    assert "create a task" in completion.text and "list appointments" in completion.text
    assert "text a customer" not in completion.text


def test_a_missing_tool_is_never_called() -> None:
    no_sms = [spec for spec in TOOLS if spec.name != "send_sms"]
    completion = respond([ModelMessage("user", "text Mrs. Lopez that we're late")], no_sms)
    assert completion.tool_calls == ()
    assert "send sms tool isn't available" in (completion.text or "")
    assert respond([ModelMessage("user", "what's urgent?")], []).tool_calls == ()


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("call the Hendersons", "Hendersons"),
        ("Call Karen Holt about the scope", "Karen Holt"),
        ("send Mrs. Lopez the quote", "Lopez"),
        ("Quote Jennifer Walsh's reroof", "Jennifer Walsh"),
        ("call Mark & Lisa Henderson", "Mark & Lisa Henderson"),
        ("Follow Up With James O'Connor", "James O'Connor"),
        ("Confirm Friday appointments", None),
        ("send the HOA form", None),
        ("water the plants", None),
    ],
)
def test_the_customer_a_task_names(title: str, name: str | None) -> None:
    assert named_contact(title) == name


def test_due_times_stay_in_the_users_words() -> None:
    assert split_due("call the Hendersons tomorrow at 5pm") == (
        "call the Hendersons",
        "tomorrow at 5pm",
    )
    assert split_due("send the quote by friday") == ("send the quote", "friday")
    assert split_due("check on the permit in 2 days") == ("check on the permit", "in 2 days")
    assert split_due("order gutters on dec 3 at 10:30am") == ("order gutters", "dec 3 at 10:30am")
    assert split_due("water the plants") == ("water the plants", None)
    assert parse_sms("text Mrs. Lopez that the crew is running late") == (
        "Mrs. Lopez",
        "The crew is running late.",
    )
    assert plan_hours("plan my next 3 hours") == 3 and plan_hours("plan my day") == 2
    assert plan_hours("next couple of hours") == 2


def test_repeats_the_same_answer_for_the_same_conversation() -> None:
    messages = [ModelMessage("user", "Create a task to call the Hendersons tomorrow at 5pm")]
    assert respond(messages, TOOLS) == respond(messages, TOOLS)


# --- whole turns on real data -----------------------------------------------------------------


@pytest.fixture
def now(frozen_clock: Any) -> datetime:
    # Saturday 2026-11-21, 9:00 in Chicago.
    frozen_clock.now = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
    return frozen_clock.now  # type: ignore[no-any-return]


class Office:
    """A company with a CSR, a rep and some customers, and a way to ask the assistant."""

    def __init__(self, factory: Factory, session: AsyncSession, settings: Settings) -> None:
        self.factory = factory
        self.session = session
        self.settings = settings

    async def setup(self) -> None:
        factory = self.factory
        self.tenant: Tenant = await factory.tenant(timezone="America/Chicago")
        self.csr: User = await factory.user(self.tenant, Role.csr, name="Casey CSR")
        self.rep: User = await factory.user(self.tenant, Role.rep, name="Riley Rep")
        self.garcia = await factory.contact(self.tenant, first_name="Ana", last_name="Garcia")
        self.patel = await factory.contact(self.tenant, first_name="Raj", last_name="Patel")
        # A number outside the factory's +1312555NNNN, so no generated phone collides with it.
        self.lopez = await factory.contact(
            self.tenant, phone="+17735550177", first_name="Maria", last_name="Lopez"
        )
        await factory.channel(self.tenant, "+15555550100")

    async def ask(self, text: str, user: User | None = None) -> AgentResult:
        ctx = ToolContext(
            session=self.session, tenant=self.tenant, settings=self.settings, user=user or self.csr
        )
        messages = [ModelMessage("system", "You help staff."), ModelMessage("user", text)]
        return await run_agent(
            BuiltinModel(), messages, staff_toolbox(), ctx, audience=Audience.STAFF
        )


@pytest.fixture
async def office(
    factory: Factory, session: AsyncSession, settings: Settings, now: datetime
) -> Office:
    office = Office(factory, session, settings)
    await office.setup()
    return office


def names(result: AgentResult) -> list[str]:
    return [outcome.name for outcome in result.outcomes]


async def test_most_urgent(office: Office, now: datetime) -> None:
    await office.factory.task(
        office.tenant,
        title="Call back Ana Garcia",
        contact_id=office.garcia.id,
        priority=TaskPriority.high,
        due_at=now - timedelta(hours=3),
    )
    await office.factory.lead(office.tenant, office.patel, status=LeadStatus.new, source="web")
    result = await office.ask("What's most urgent today?")
    assert names(result) == ["get_daily_digest"]
    assert "1 overdue task" in result.text and "“Call back Ana Garcia”" in result.text
    assert "1 new lead not contacted yet: Raj Patel" in result.text


async def test_follow_ups(office: Office, now: datetime) -> None:
    await office.factory.lead(office.tenant, office.patel, status=LeadStatus.new)
    result = await office.ask("Who do I need to follow up with?")
    assert names(result) == ["who_to_follow_up"]
    assert result.text.startswith("Follow up with these")
    assert "Raj Patel" in result.text and "make first contact" in result.text


async def test_create_task_with_a_due_time_in_words(office: Office, now: datetime) -> None:
    result = await office.ask("Create a task to call the Hendersons tomorrow at 5pm")
    assert names(result) == ["search_contacts", "search_contacts", "create_task"]
    assert all(outcome.status == "ok" for outcome in result.outcomes)
    task = (
        await office.session.execute(select(Task).where(Task.tenant_id == office.tenant.id))
    ).scalar_one()
    assert task.title == "Call the Hendersons" and task.assignee_id == office.csr.id
    assert task.due_at is not None
    assert task.due_at.astimezone(ZONE) == datetime(2026, 11, 22, 17, 0, tzinfo=ZONE)
    assert result.text == (
        "Done: I created the task “Call the Hendersons”, due Sun Nov 22, 5 PM, assigned to "
        "Casey CSR. No contact matches “Hendersons”, so it isn't linked to one."
    )


async def test_create_task_links_the_customer_it_names(office: Office, now: datetime) -> None:
    result = await office.ask("remind me to send the Patel quote by friday 9am")
    assert names(result) == ["search_contacts", "create_task"]
    assert result.outcomes[1].arguments["contact_id"] == str(office.patel.id)
    assert result.text == (
        "Done: I created the task “Send the Patel quote”, linked to Raj Patel, "
        "due Fri Nov 27, 9 AM, assigned to Casey CSR."
    )

    await office.factory.contact(office.tenant, first_name="Luis", last_name="Garcia")
    several = await office.ask("create a task to call Garcia back about the gutters")
    assert names(several) == ["search_contacts", "create_task"]
    assert "contact_id" not in several.outcomes[1].arguments
    assert several.text.endswith("“Garcia” matches several contacts, so I didn't link it to one.")


async def test_delegate(office: Office, now: datetime) -> None:
    mine = {"assignee_id": office.csr.id}
    await office.factory.task(office.tenant, title="Confirm Friday appointments", **mine)
    await office.factory.task(office.tenant, title="Measure the Patel roof", **mine)
    await office.factory.task(
        office.tenant, title="Escalation for Ana Garcia", priority=TaskPriority.high, **mine
    )
    result = await office.ask("What can I delegate?")
    assert names(result) == ["list_tasks"]
    assert "“Confirm Friday appointments” (medium priority) → a CSR" in result.text
    assert "“Measure the Patel roof” (medium priority) → a sales rep" in result.text
    assert "Keep for yourself: “Escalation for Ana Garcia”" in result.text


async def test_plan_next_two_hours(office: Office, now: datetime) -> None:
    await office.factory.appointment(
        office.tenant,
        office.patel,
        office.rep,
        starts_at=now + timedelta(hours=1),
        address="12 Elm St",
    )
    await office.factory.task(
        office.tenant,
        title="Send the Garcia estimate",
        due_at=now - timedelta(days=1),
        assignee_id=office.rep.id,
    )
    await office.factory.task(
        office.tenant, title="Call the supplier", due_at=now - timedelta(hours=2)
    )
    result = await office.ask("Help me plan my next 2 hours", user=office.rep)
    assert names(result) == ["get_daily_digest"]
    assert result.text.startswith("Here's a plan for the next 2 hours (9 AM-11 AM):")
    assert "- 9 AM: Overdue: “Send the Garcia estimate”" in result.text
    assert "- 10 AM-11 AM: Appointment with Raj Patel at 12 Elm St" in result.text

    # The CSR sees the whole company, but plans only their own work: the CSR queue's task,
    # not the rep's task or visit.
    csr = await office.ask("Help me plan my next 2 hours")
    assert "- 9 AM: Overdue: “Call the supplier”" in csr.text
    assert "Garcia" not in csr.text and "Appointment" not in csr.text


async def test_appointments_tomorrow(office: Office, now: datetime) -> None:
    await office.factory.appointment(
        office.tenant, office.garcia, office.rep, starts_at=now + timedelta(days=1, hours=2)
    )
    await office.factory.appointment(
        office.tenant, office.patel, office.rep, starts_at=now + timedelta(days=3)
    )
    result = await office.ask("What appointments do I have tomorrow?")
    assert names(result) == ["list_appointments"]
    assert result.text.startswith("1 appointment tomorrow:")
    assert "Sun Nov 22, 11 AM-12 PM: Ana Garcia, rep Riley Rep" in result.text
    assert "Patel" not in result.text


async def test_mark_the_garcia_follow_up_done(office: Office, now: datetime) -> None:
    garcia_task = await office.factory.task(
        office.tenant, title="Follow up on estimate", contact_id=office.garcia.id
    )
    await office.factory.task(office.tenant, title="Follow up with Raj", contact_id=office.patel.id)
    result = await office.ask("Mark the Garcia follow-up done")
    assert names(result) == ["list_tasks", "complete_task"]
    assert result.outcomes[1].arguments == {"task_id": str(garcia_task.id)}
    assert result.text == "Marked “Follow up on estimate” for Ana Garcia as done."
    await office.session.refresh(garcia_task)
    assert garcia_task.status == TaskStatus.completed


async def test_mark_done_when_nothing_matches(office: Office, now: datetime) -> None:
    result = await office.ask("Mark the Zimmerman follow-up done")
    assert names(result) == ["list_tasks", "complete_task"]
    assert result.outcomes[1].status == "error"
    assert result.text.startswith("I couldn't mark that task done: no open task matches")


async def test_summarize_the_patel_account(office: Office, now: datetime) -> None:
    await office.factory.lead(office.tenant, office.patel, service="Roof replacement")
    result = await office.ask("Summarize the Patel account")
    assert names(result) == ["search_contacts", "get_contact_summary"]
    assert result.outcomes[1].arguments == {"contact_id": str(office.patel.id)}
    assert result.text.startswith("Summary of Raj Patel (+1")
    assert "Lead: Roof replacement, new" in result.text


async def test_summarize_a_family_by_its_surname(office: Office, now: datetime) -> None:
    await office.factory.contact(office.tenant, first_name="Joe", last_name="Henderson")
    result = await office.ask("tell me about the Hendersons")
    assert names(result) == ["search_contacts", "search_contacts", "get_contact_summary"]
    assert result.text.startswith("Summary of Joe Henderson")


async def test_text_mrs_lopez(office: Office, now: datetime) -> None:
    result = await office.ask("Text Mrs. Lopez that the crew is running 15 minutes late")
    assert names(result) == ["send_sms"] and result.outcomes[0].status == "ok"
    sent = (
        await office.session.execute(select(Message).where(Message.contact_id == office.lopez.id))
    ).scalar_one()
    assert sent.body == "The crew is running 15 minutes late." and sent.to_address == "+17735550177"
    assert result.text == (
        "Sent to Maria Lopez at +17735550177: “The crew is running 15 minutes late.”"
    )


async def test_overdue_tasks_in_order(office: Office, now: datetime) -> None:
    await office.factory.task(
        office.tenant, title="Low one", priority=TaskPriority.low, due_at=now - timedelta(days=2)
    )
    await office.factory.task(
        office.tenant, title="High one", priority=TaskPriority.high, due_at=now - timedelta(hours=1)
    )
    result = await office.ask("Which of my overdue tasks should I tackle first?")
    assert names(result) == ["list_tasks"]
    assert result.text.index("High one") < result.text.index("Low one")
    assert result.text.startswith("2 overdue tasks; tackle them in this order")


async def test_waiting_customers(office: Office, now: datetime) -> None:
    await receive_message(
        office.session,
        office.settings,
        office.tenant,
        InboundMessage(
            provider_message_id="SM-test-1",
            channel="sms",  # type: ignore[arg-type]
            from_address="+17735550177",
            to_address="+15555550100",
            body="Is the crew still coming today?",
        ),
    )
    result = await office.ask("Which customers are waiting on a reply?")
    assert names(result) == ["list_unanswered_messages"]
    assert "1 customer waiting on a reply" in result.text
    # Auto-reply is on and nobody took the session over: the AI's answer is on its way.
    assert (
        "Maria Lopez (sms, waiting 0 min; the AI is replying): “Is the crew still coming today?”"
        in result.text
    )


async def test_rep_sees_only_their_own(office: Office, now: datetime) -> None:
    await office.factory.task(
        office.tenant, title="Someone else's", due_at=now - timedelta(hours=2)
    )
    result = await office.ask("Which of my overdue tasks should I tackle first?", user=office.rep)
    # A scoped answer says its scope: the rep may have none while the company has some.
    assert result.text == (
        "No overdue tasks. Nice work!\n(Only your own assignments: you can see only your own.)"
    )
