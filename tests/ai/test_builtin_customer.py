"""The built-in model's customer rules, run through the real agent loop and the real customer
tools: each kind of request -> the tool calls it makes -> the text it sends. Every time,
address, name and number in a reply must come from the contact's records."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.ai.agent import AgentResult, run_agent
from switchboard.ai.builtin import BuiltinModel
from switchboard.ai.builtin.customer import BOOKING_OFFER, Intent, classify, respond
from switchboard.ai.customer_tools import CUSTOMER_TOOLS, customer_toolbox
from switchboard.ai.model import Audience, ModelMessage, ToolCall
from switchboard.ai.toolbox import ToolContext
from switchboard.config import Settings
from switchboard.crm.models import Appointment, AppointmentStatus, ContactCard
from switchboard.tasks.models import AssignedRole, Task, TaskPriority, TaskSource
from switchboard.tenancy.models import Role, Tenant
from tests.factories import Factory

# The frozen clock reads Saturday, Nov 21 2026, 9:00 AM in Chicago (15:00 UTC).
TUESDAY_2PM = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
TODAY_11AM = datetime(2026, 11, 21, 17, 0, tzinfo=UTC)


@dataclass
class Records:
    tenant: Tenant
    contact: ContactCard
    appointment: Appointment | None
    allowed: list[str]  # every fact string a reply may contain


async def records(
    factory: Factory, *, starts_at: datetime | None = TUESDAY_2PM, **appointment: object
) -> Records:
    tenant = await factory.tenant(name="Summit Roofing", timezone="America/Chicago")
    rep = await factory.user(tenant, Role.rep, name="Dana Ruiz")
    contact = await factory.contact(
        tenant, first_name="Pat", last_name="Lee", notes="Secret: dog bites, haggles hard"
    )
    await factory.lead(tenant, contact, service="Roofing", estimated_value=Decimal("18500"))
    booked = None
    if starts_at is not None:
        appointment.setdefault("title", "Roof inspection")
        appointment.setdefault("address", "123 Main St")
        booked = await factory.appointment(tenant, contact, rep, starts_at=starts_at, **appointment)
    allowed = ["Tuesday, Nov 24 at 2:00 PM", "today at 11:00 AM", "123 Main St", "Dana Ruiz"]
    return Records(tenant, contact, booked, allowed)


async def ask(
    session: AsyncSession, settings: Settings, found: Records, *texts: str, before: str = ""
) -> AgentResult:
    ctx = ToolContext(
        session=session, tenant=found.tenant, settings=settings, contact_id=found.contact.id
    )
    messages = [ModelMessage(role="system", content="You answer customers of Summit Roofing.")]
    if before:
        messages.append(ModelMessage(role="assistant", content=before))
    messages += [ModelMessage(role="user", content=text) for text in texts]
    return await run_agent(
        BuiltinModel(), messages, customer_toolbox(), ctx, audience=Audience.CUSTOMER
    )


async def tasks_of(session: AsyncSession, contact: ContactCard) -> list[Task]:
    stmt = select(Task).where(Task.contact_id == contact.id).order_by(Task.created_at)
    return list((await session.execute(stmt)).scalars())


def assert_grounded(text: str, found: Records) -> None:
    """Nothing numeric and no clock time in the reply beyond the records' own strings."""
    rest = text
    for fact in found.allowed:
        rest = rest.replace(fact, "")
    assert not re.search(r"\d", rest), f"ungrounded number in {text!r}"
    assert "$" not in text and "18,500" not in text and "18500" not in text
    assert "dog" not in text and "haggle" not in text


def tools_called(result: AgentResult) -> list[str]:
    return [o.name for o in result.outcomes]


@pytest.fixture(autouse=True)
def _clock(frozen_clock: object) -> None:
    return None


# --- the request table ----------------------------------------------------------------------


async def test_what_time_is_my_appointment(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    found = await records(factory)
    result = await ask(session, settings, found, "Hi, what time is my appointment?")
    assert tools_called(result) == ["get_upcoming_appointments"]
    assert result.outcomes[0].id == "call_1"
    assert result.text == (
        "Your roof inspection is Tuesday, Nov 24 at 2:00 PM with Dana Ruiz at 123 Main St."
    )
    assert_grounded(result.text, found)
    assert await tasks_of(session, found.contact) == []


async def test_tomorrow_and_a_second_appointment(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    found = await records(factory, starts_at=datetime(2026, 11, 22, 15, 30, tzinfo=UTC))
    assert found.appointment is not None
    await factory.appointment(
        found.tenant,
        found.contact,
        starts_at=TUESDAY_2PM,
        title="Install walkthrough",
        address="123 Main St",
    )
    result = await ask(session, settings, found, "what time is my appointment")
    assert result.text == (
        "Your roof inspection is tomorrow at 9:30 AM with Dana Ruiz at 123 Main St. "
        "You also have an install walkthrough on Tuesday, Nov 24 at 2:00 PM."
    )
    found.allowed.append("tomorrow at 9:30 AM")
    assert_grounded(result.text, found)


async def test_no_appointment_offers_to_book_and_tells_the_team(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    found = await records(factory, starts_at=None)
    result = await ask(session, settings, found, "When is my appointment?")
    assert tools_called(result) == ["get_upcoming_appointments", "create_task"]
    assert [o.id for o in result.outcomes] == ["call_1", "call_2"]
    assert "don't see an upcoming appointment" in result.text and BOOKING_OFFER in result.text
    assert_grounded(result.text, found)
    [task] = await tasks_of(session, found.contact)
    assert (task.title, task.source, task.assigned_role) == (
        "Book an appointment",
        TaskSource.auto_reply,
        AssignedRole.csr,
    )
    assert task.created_by_id is None and task.due_at is not None


async def test_a_cancelled_appointment_is_not_quoted_as_booked(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    found = await records(factory, status=AppointmentStatus.cancelled)
    result = await ask(session, settings, found, "what time is my inspection")
    assert "Tuesday" not in result.text and BOOKING_OFFER in result.text


@pytest.mark.parametrize(
    ("text", "title", "claim"),
    [
        ("Can I reschedule to next week?", "Reschedule request", "asked our team to reschedule"),
        ("I can't make it tuesday", "Reschedule request", "asked our team to reschedule"),
        ("Please cancel my appointment", "Cancellation request", "request to cancel"),
    ],
)
async def test_change_requests_become_urgent_tasks_never_claimed_done(
    session: AsyncSession,
    settings: Settings,
    factory: Factory,
    text: str,
    title: str,
    claim: str,
) -> None:
    found = await records(factory)
    result = await ask(session, settings, found, text)
    assert tools_called(result) == ["get_upcoming_appointments", "create_task"]
    assert claim in result.text and "Tuesday, Nov 24 at 2:00 PM" in result.text
    assert "reach out shortly to confirm" in result.text
    assert not re.search(r"\b(has been|is now|I've (rescheduled|cancell?ed))\b", result.text)
    assert_grounded(result.text, found)
    [task] = await tasks_of(session, found.contact)
    assert found.appointment is not None
    assert (task.title, task.priority, task.appointment_id, task.source) == (
        title,
        TaskPriority.high,
        found.appointment.id,
        TaskSource.auto_reply,
    )
    assert text in (task.description or "")
    # The appointment itself is untouched: only a person changes it.
    await session.refresh(found.appointment)
    assert found.appointment.status == AppointmentStatus.scheduled


async def test_price_questions_get_no_numbers_and_a_task(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    found = await records(factory)
    result = await ask(session, settings, found, "How much does a new roof cost?")
    assert tools_called(result) == ["get_contact", "create_task"]
    assert [o.id for o in result.outcomes] == ["call_1", "call_2"]
    assert result.text == (
        "Great question! Pricing depends on the details of your project, so I've asked our "
        "team to follow up with you about pricing for your roofing project."
    )
    assert_grounded(result.text, found)
    [task] = await tasks_of(session, found.contact)
    assert (task.title, task.priority) == ("Pricing question", TaskPriority.medium)


async def test_is_the_rep_on_the_way_answers_from_today_without_an_eta(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    found = await records(factory, starts_at=TODAY_11AM)
    result = await ask(session, settings, found, "Is the rep on the way?")
    assert tools_called(result) == ["get_upcoming_appointments", "create_task"]
    assert result.text.startswith(
        "Your roof inspection is today at 11:00 AM with Dana Ruiz at 123 Main St."
    )
    assert "minutes" not in result.text and "check with Dana Ruiz" in result.text
    assert_grounded(result.text, found)
    [task] = await tasks_of(session, found.contact)
    assert found.appointment is not None
    assert (task.priority, task.appointment_id) == (TaskPriority.high, found.appointment.id)


async def test_rep_on_the_way_with_nothing_today(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    found = await records(factory)
    result = await ask(session, settings, found, "where is your guy? nobody showed up")
    assert result.text.startswith("I don't see an appointment for you today.")
    assert "Your next roof inspection is Tuesday, Nov 24 at 2:00 PM" in result.text
    assert_grounded(result.text, found)
    assert [t.title for t in await tasks_of(session, found.contact)] == [
        "Customer expecting a visit today"
    ]


async def test_greeting_uses_the_customer_name(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    found = await records(factory)
    result = await ask(session, settings, found, "Hello!")
    assert tools_called(result) == ["get_contact"]
    assert result.text == "Hi Pat! Thanks for texting Summit Roofing. How can I help you today?"


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("thanks!", "You're welcome! Let us know if there's anything else we can help with."),
        ("ok bye", "Thanks for reaching out! Have a great day."),
    ],
)
async def test_thanks_and_goodbye_need_no_tools(
    session: AsyncSession, settings: Settings, factory: Factory, text: str, reply: str
) -> None:
    found = await records(factory)
    result = await ask(session, settings, found, text)
    assert (tools_called(result), result.text) == ([], reply)


async def test_anything_else_is_handed_to_a_person(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    found = await records(factory)
    result = await ask(session, settings, found, "Do you guys also clean gutters?")
    assert tools_called(result) == ["hand_to_human"]
    assert result.outcomes[0].result["handed_off"] is True
    assert "passed it to our team" in result.text
    [task] = await tasks_of(session, found.contact)
    assert (task.priority, task.assigned_role) == (TaskPriority.high, AssignedRole.csr)
    # A second question while the first waits joins the same task.
    again = await ask(session, settings, found, "Anyone? About the gutters")
    assert again.outcomes[-1].result["already_open"] is True
    assert len(await tasks_of(session, found.contact)) == 1


async def test_yes_after_the_booking_offer_books(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    found = await records(factory, starts_at=None)
    offer = f"I don't see an upcoming appointment on file for you. {BOOKING_OFFER}"
    result = await ask(session, settings, found, "yes please", before=offer)
    assert tools_called(result) == ["get_contact", "create_task"]
    assert result.text.startswith("Great! Our scheduling team will reach out shortly")
    [task] = await tasks_of(session, found.contact)
    assert (task.title, task.priority) == ("Book an appointment", TaskPriority.high)


async def test_several_texts_are_one_turn(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    found = await records(factory)
    result = await ask(session, settings, found, "hey", "what time is my appt tuesday?")
    assert result.text.startswith("Your roof inspection is Tuesday, Nov 24 at 2:00 PM")


# --- pinned to the one contact --------------------------------------------------------------


async def test_tools_only_see_the_pinned_contact(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    found = await records(factory)
    stranger = await factory.contact(found.tenant, first_name="Other")
    theirs = await factory.appointment(found.tenant, stranger, starts_at=TUESDAY_2PM)
    ctx = ToolContext(
        session=session, tenant=found.tenant, settings=settings, contact_id=found.contact.id
    )
    box = customer_toolbox()
    assert found.appointment is not None
    listed = await box.run(ctx, ToolCall("call_1", "get_upcoming_appointments", {}))
    assert [a["id"] for a in listed.result["appointments"]] == [str(found.appointment.id)]
    contact = await box.run(ctx, ToolCall("call_2", "get_contact", {}))
    assert contact.result["name"] == "Pat Lee" and "notes" not in contact.result
    assert contact.result["open_requests"] == [{"service": "Roofing", "status": "new"}]
    assert "estimated_value" not in str(contact.result)
    linked = await box.run(
        ctx,
        ToolCall("call_3", "create_task", {"title": "Look", "appointment_id": str(theirs.id)}),
    )
    assert linked.status == "error" and "not one of this customer's" in linked.result["error"]
    bad = await box.run(ctx, ToolCall("call_4", "create_task", {"title": "x", "priority": "asap"}))
    assert bad.status == "error" and "priority" in bad.result["error"]
    unpinned = ToolContext(session=session, tenant=found.tenant, settings=settings)
    refused = await box.run(unpinned, ToolCall("call_5", "get_contact", {}))
    assert refused.status == "error"
    assert await tasks_of(session, stranger) == []


# --- the classifier and the model on its own ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("what time is my appointment", Intent.appointment),
        ("When's the inspection?", Intent.appointment),
        ("is my appt still on for tuesday", Intent.appointment),
        ("I need to reschedule", Intent.reschedule),
        ("can we move it to a different day", Intent.reschedule),
        ("can we move it to next week", Intent.reschedule),
        ("need to push the inspection back", Intent.reschedule),
        ("I want to change my email", Intent.other),
        ("cancel please", Intent.cancel),
        ("how much is a new roof", Intent.price),
        ("can I get a quote", Intent.price),
        ("is he on his way?", Intent.eta),
        ("running late?", Intent.eta),
        ("I'd like to schedule an estimate", Intent.book),
        ("hi", Intent.greeting),
        ("good morning!", Intent.greeting),
        ("Thank you so much", Intent.thanks),
        ("do you do gutters", Intent.other),
        ("", Intent.other),
    ],
)
def test_classify(text: str, intent: Intent) -> None:
    assert classify(text) == intent


def test_without_tools_it_still_answers_without_facts() -> None:
    completion = respond([ModelMessage(role="user", content="what time is my appointment")], [])
    assert completion.tool_calls == ()
    assert completion.text and not re.search(r"\d", completion.text)


def test_a_failed_tool_hands_off_instead_of_guessing() -> None:
    specs = [tool.spec for tool in CUSTOMER_TOOLS]
    call = ToolCall("call_1", "get_upcoming_appointments", {})
    messages = [
        ModelMessage(role="user", content="what time is my appointment"),
        ModelMessage(role="assistant", tool_calls=(call,)),
        ModelMessage(
            role="tool", content='{"error": "db down"}', tool_call_id="call_1", name=call.name
        ),
    ]
    completion = respond(messages, specs)
    assert [c.name for c in completion.tool_calls] == ["hand_to_human"]
    assert completion.tool_calls[0].id == "call_2"
