"""The everyday phrasings of issue #13, each through the agent loop with the real staff tools
on real data (both databases): what the built-in model understood, which tools it called
and what it said. Conversations of several turns carry the earlier turns' tool calls and
results the way the assistant stores and replays them, so references resolve as in use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.ai.agent import AgentResult, run_agent
from switchboard.ai.builtin import BuiltinModel
from switchboard.ai.model import Audience, ModelMessage, ToolCall
from switchboard.ai.staff_tools import staff_toolbox
from switchboard.ai.toolbox import ToolContext
from switchboard.assistant.service import HISTORY_TOOL_RESULT_CHARS, fit_json
from switchboard.config import Settings
from switchboard.tasks.models import Task, TaskPriority, TaskStatus
from switchboard.tenancy.models import Role, Tenant, User
from tests.factories import Factory

ZONE = ZoneInfo("America/Chicago")


@pytest.fixture
def now(frozen_clock: Any) -> datetime:
    # Saturday 2026-11-21, 9:00 in Chicago.
    frozen_clock.now = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
    return frozen_clock.now  # type: ignore[no-any-return]


class Chat:
    """One staff member's conversation: each answer's tool calls and results are kept in the
    history as the assistant replays stored turns (results as size-capped JSON)."""

    def __init__(self, session: AsyncSession, settings: Settings, tenant: Tenant, user: User):
        self.session, self.settings, self.tenant, self.user = session, settings, tenant, user
        self.history: list[ModelMessage] = [ModelMessage("system", "You help staff.")]

    async def ask(self, text: str) -> AgentResult:
        ctx = ToolContext(
            session=self.session, tenant=self.tenant, settings=self.settings, user=self.user
        )
        messages = [*self.history, ModelMessage("user", text)]
        result = await run_agent(
            BuiltinModel(), messages, staff_toolbox(), ctx, audience=Audience.STAFF
        )
        self.history.append(ModelMessage("user", text))
        for outcome in result.outcomes:
            call = ToolCall(outcome.id, outcome.name, outcome.arguments)
            self.history.append(ModelMessage("assistant", "", tool_calls=(call,)))
            content = fit_json(outcome.result, HISTORY_TOOL_RESULT_CHARS)
            self.history.append(ModelMessage("tool", content, tool_call_id=call.id, name=call.name))
        self.history.append(ModelMessage("assistant", result.text))
        return result


class Office:
    async def setup(self, factory: Factory, session: AsyncSession, settings: Settings) -> None:
        self.factory, self.session, self.settings = factory, session, settings
        self.tenant = await factory.tenant(timezone="America/Chicago")
        self.csr = await factory.user(self.tenant, Role.csr, name="Casey CSR")
        self.rep = await factory.user(self.tenant, Role.rep, name="Riley Rep")
        self.marcus = await factory.user(self.tenant, Role.rep, name="Marcus Reed")
        self.garcia = await factory.contact(self.tenant, first_name="Ana", last_name="Garcia")
        self.patel = await factory.contact(self.tenant, first_name="Raj", last_name="Patel")
        self.sun = await factory.contact(
            self.tenant, first_name="Dale", last_name="Sun", company="Sun Roofing"
        )

    def chat(self, user: User | None = None) -> Chat:
        return Chat(self.session, self.settings, self.tenant, user or self.csr)

    async def task(self, title: str, **fields: Any) -> Task:
        return await self.factory.task(self.tenant, title=title, **fields)

    async def tasks(self) -> list[Task]:
        stmt = select(Task).where(Task.tenant_id == self.tenant.id).order_by(Task.created_at)
        return list((await self.session.execute(stmt)).scalars())


@pytest.fixture
async def office(
    factory: Factory, session: AsyncSession, settings: Settings, now: datetime
) -> Office:
    office = Office()
    await office.setup(factory, session, settings)
    return office


def names(result: AgentResult) -> list[str]:
    return [outcome.name for outcome in result.outcomes]


def local(moment: datetime | None) -> datetime:
    assert moment is not None
    return moment.astimezone(ZONE)


@pytest.mark.parametrize(
    ("text", "tool"),
    [
        ("what's on my plate today?", "get_daily_digest"),
        ("anything urgent?", "get_daily_digest"),
        ("catch me up", "get_daily_digest"),
        ("who needs chasing today", "who_to_follow_up"),
        ("what am I behind on", "list_tasks"),
        ("who texted us", "list_unanswered_messages"),
        ("what can I farm out", "list_tasks"),
        ("plan the rest of my shift", "get_daily_digest"),
        ("whos my first visit tomorrow", "list_appointments"),
    ],
)
async def test_everyday_phrasings_reach_their_tool(office: Office, text: str, tool: str) -> None:
    result = await office.chat().ask(text)
    assert names(result) == [tool]
    assert all(outcome.status == "ok" for outcome in result.outcomes)


async def test_the_garcia_follow_up_is_done(office: Office) -> None:
    garcia = await office.task("Follow up on estimate", contact_id=office.garcia.id)
    await office.task("Follow up with Raj", contact_id=office.patel.id)
    result = await office.chat().ask("the garcia follow up is done")
    assert names(result) == ["list_tasks", "complete_task"]
    assert result.outcomes[1].arguments == {"task_id": str(garcia.id)}
    assert result.text == "Marked “Follow up on estimate” for Ana Garcia as done."
    await office.session.refresh(garcia)
    assert garcia.status == TaskStatus.completed


async def test_a_misspelt_name_still_finds_its_task(office: Office) -> None:
    garcia = await office.task("Call back about gutters", contact_id=office.garcia.id)
    await office.task("Call back about roof", contact_id=office.patel.id)
    result = await office.chat().ask("mark teh garica callback done")
    assert result.outcomes[-1].arguments == {"task_id": str(garcia.id)}


async def test_assign_the_garcia_task_to_marcus(office: Office) -> None:
    garcia = await office.task("Send the estimate", contact_id=office.garcia.id)
    await office.task("Send the contract", contact_id=office.patel.id)
    result = await office.chat().ask("assign the Garcia task to Marcus")
    assert names(result) == ["list_tasks", "update_task"]
    assert result.outcomes[1].arguments == {"task_id": str(garcia.id), "assignee": "Marcus"}
    assert result.text == "Updated “Send the estimate” (Ana Garcia): assigned to Marcus Reed."
    await office.session.refresh(garcia)
    assert garcia.assignee_id == office.marcus.id


async def test_update_task_moves_and_reprioritises(office: Office) -> None:
    patel = await office.task("Send the contract", contact_id=office.patel.id)
    chat = office.chat()
    moved = await chat.ask("move the Patel task to Friday")
    assert moved.outcomes[-1].arguments == {"task_id": str(patel.id), "due": "Friday"}
    await office.session.refresh(patel)
    # "on Friday" means during Friday's business hours: due at its close, not its midnight.
    assert local(patel.due_at) == datetime(2026, 11, 27, 18, 0, tzinfo=ZONE)
    raised = await chat.ask("make it high priority")
    assert raised.outcomes[-1].arguments == {"task_id": str(patel.id), "priority": "high"}
    await office.session.refresh(patel)
    assert patel.priority == TaskPriority.high


async def test_appointments_on_the_3rd_mean_the_next_3rd(office: Office, now: datetime) -> None:
    third = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
    await office.factory.appointment(office.tenant, office.garcia, office.rep, starts_at=third)
    await office.factory.appointment(office.tenant, office.patel, office.rep, starts_at=now)
    result = await office.chat().ask("appointments on the 3rd")
    assert result.outcomes[0].arguments == {"when": "the 3rd"}
    assert result.text.startswith("1 appointment for the 3rd (Thu Dec 3):")
    assert "Ana Garcia" in result.text and "Patel" not in result.text


async def test_call_sun_roofing_about_the_march_3_invoice(office: Office) -> None:
    result = await office.chat().ask("Call Sun Roofing about the march 3 invoice")
    assert names(result) == ["search_contacts", "create_task"]
    assert result.outcomes[0].arguments == {"query": "Sun Roofing"}
    # Neither Sunday (the company's name) nor March 3 (the invoice's date) is a due time.
    assert result.outcomes[1].arguments == {
        "title": "Call Sun Roofing about the march 3 invoice",
        "contact_id": str(office.sun.id),
    }
    [task] = await office.tasks()
    assert task.due_at is None and task.contact_id == office.sun.id


async def test_a_task_due_on_a_weekday_is_due_at_close_of_business(office: Office) -> None:
    await office.chat().ask("remind me to call the supplier on Tuesday")
    await office.chat().ask("create a task to order shingles by end of day")
    tuesday, today = sorted(await office.tasks(), key=lambda task: task.title)
    assert local(tuesday.due_at) == datetime(2026, 11, 24, 18, 0, tzinfo=ZONE)
    # Saturday's hours close at 13:00.
    assert local(today.due_at) == datetime(2026, 11, 21, 13, 0, tzinfo=ZONE)


async def test_the_second_one_is_the_second_one_listed(office: Office, now: datetime) -> None:
    first = await office.task("Call the supplier", priority=TaskPriority.high)
    second = await office.task("Order ridge vents", due_at=now + timedelta(hours=2))
    chat = office.chat()
    listed = await chat.ask("show my tasks")
    assert "1. “Call the supplier”" in listed.text and "2. “Order ridge vents”" in listed.text
    done = await chat.ask("the second one is done")
    # Never a search for "second one": the id of what was listed second.
    assert names(done) == ["complete_task"]
    assert done.outcomes[0].arguments == {"task_id": str(second.id)}
    await office.session.refresh(second)
    await office.session.refresh(first)
    assert second.status == TaskStatus.completed and first.status == TaskStatus.open
    moved = await chat.ask("assign that task to Riley")
    assert moved.outcomes[0].arguments == {"task_id": str(second.id), "assignee": "Riley"}


async def test_her_is_the_customer_just_shown(office: Office) -> None:
    chat = office.chat()
    summary = await chat.ask("summarize the Garcia account")
    assert names(summary) == ["search_contacts", "get_contact_summary"]
    texted = await chat.ask("text her that the crew is running late")
    assert names(texted) == ["send_sms"]
    assert texted.outcomes[0].arguments == {
        "contact_id": str(office.garcia.id),
        "body": "The crew is running late.",
    }
    again = await chat.ask("create a task to call her back tomorrow at 10am")
    assert again.outcomes[-1].arguments["contact_id"] == str(office.garcia.id)


async def test_a_reference_with_nothing_listed_asks(office: Office) -> None:
    result = await office.chat().ask("mark the second one done")
    assert result.outcomes == []
    assert result.text.startswith("Which task should I mark done?")


async def test_the_oldest_overdue_task(office: Office, now: datetime) -> None:
    await office.task("Recent one", due_at=now - timedelta(hours=1))
    oldest = await office.task("Old one", due_at=now - timedelta(days=3))
    result = await office.chat().ask("mark the oldest overdue task done")
    assert names(result) == ["list_tasks", "complete_task"]
    assert result.outcomes[0].arguments["status"] == "overdue"
    assert result.outcomes[1].arguments == {"task_id": str(oldest.id)}


async def test_a_request_outside_the_tools_is_refused(office: Office) -> None:
    result = await office.chat().ask("wipe every lead")
    assert result.outcomes == []
    assert result.text.startswith("I can't do that here")
    assert "create a task" in result.text


async def test_an_unclear_request_gets_one_question(office: Office) -> None:
    result = await office.chat().ask("the roof thing")
    assert result.outcomes == []
    assert result.text.startswith("I'm not sure what you'd like me to do")
    assert result.text.count("?") == 1


async def test_a_scoped_answer_says_its_scope(office: Office, now: datetime) -> None:
    await office.task("Measure the Patel roof", assignee_id=office.rep.id)
    await office.task("Someone else's")
    rep = await office.chat(office.rep).ask("show my tasks")
    assert "Measure the Patel roof" in rep.text and "Someone else's" not in rep.text
    assert rep.text.endswith("(Only your own assignments: you can see only your own.)")
    csr = await office.chat().ask("show my tasks")
    assert "only your own" not in csr.text


async def test_phone_lookup_reaches_search_contacts(office: Office) -> None:
    result = await office.chat().ask("what's the phone number for the Patels")
    assert names(result)[0] == "search_contacts"
    assert "Raj Patel" in result.text and "+1312555" in result.text


async def test_misspelt_staff_and_contact_names(office: Office) -> None:
    garcia = await office.task("Send the estimate", contact_id=office.garcia.id)
    chat = office.chat()
    moved = await chat.ask("asign the garcia task to Marcs")
    assert moved.outcomes[-1].arguments == {"task_id": str(garcia.id), "assignee": "Marcs"}
    await office.session.refresh(garcia)
    assert garcia.assignee_id == office.marcus.id  # the one staff name that close
    summary = await chat.ask("summarize the Garica account")
    assert names(summary) == ["search_contacts", "search_contacts", "get_contact_summary"]
    assert summary.outcomes[-1].arguments == {"contact_id": str(office.garcia.id)}


@pytest.mark.parametrize(
    ("text", "tool"),
    [
        ("what's most urgent today?", "get_daily_digest"),
        ("who should I call back", "who_to_follow_up"),
        ("overdue tasks", "list_tasks"),
        ("add a task: order more ridge vents by 4pm", "create_task"),
        ("give the Patel task to Riley", "update_task"),
        ("what appointments do I have friday", "list_appointments"),
        ("any unanswered texts", "list_unanswered_messages"),
        ("find customers named Patel", "search_contacts"),
        ("text Raj Patel that we're on the way", "send_sms"),
    ],
)
async def test_every_staff_tool_has_phrasings_that_reach_it(
    office: Office, text: str, tool: str
) -> None:
    await office.task("Send the contract", contact_id=office.patel.id)
    await office.factory.channel(office.tenant, "+15555550100")
    result = await office.chat().ask(text)
    assert tool in names(result)
    assert all(outcome.status == "ok" for outcome in result.outcomes), result.outcomes
