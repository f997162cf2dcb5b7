"""The staff assistant on the demo data: every request of the product brief, asked through
the chat API by the demo logins with the built-in model, answered from Summit's real records.

The clock is pinned to Thursday 2026-11-19, 10:15 in Denver: Karen Holt's 8:30 inspection
is over, Jennifer Walsh's 11:00 consultation is next, and "tomorrow" is Friday the 20th."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.assistant.models import ChatMessageStatus
from switchboard.crm.models import Appointment, CallAnalysis, CallTranscript, ContactCard
from switchboard.demo.seed import seed_demo
from switchboard.messaging.models import Direction, Message, MessageStatus, Sender
from switchboard.tasks.models import Task, TaskSource, TaskStatus
from switchboard.tenancy.models import Tenant
from switchboard.tenancy.repository import tenant_by_slug

DENVER = ZoneInfo("America/Denver")
NOW = datetime(2026, 11, 19, 10, 15, tzinfo=DENVER)
MANAGER, CSR, REP = "manager@demo.test", "csr@demo.test", "rep@demo.test"


@dataclass
class Turn:
    """The stored assistant message of one request: its text and its tool calls."""

    text: str
    tool_calls: list[dict[str, Any]]

    @property
    def tools(self) -> list[str]:
        return [call["name"] for call in self.tool_calls]

    def called(self, *tools: str) -> None:
        """Exactly these tool calls, in this order, each of them successful."""
        assert self.tools == list(tools), self.tool_calls
        assert all(call["status"] == "ok" for call in self.tool_calls), self.tool_calls


class Demo:
    """The seeded demo companies and a chat conversation per demo login."""

    def __init__(self, client: httpx.AsyncClient, session: AsyncSession) -> None:
        self.client = client
        self.session = session
        self.conversations: dict[str, tuple[str, dict[str, str]]] = {}

    async def setup(self) -> None:
        await seed_demo(self.session)
        summit = await tenant_by_slug(self.session, "summit-demo")
        assert summit is not None
        self.summit: Tenant = summit

    async def ask(self, email: str, text: str) -> Turn:
        if email not in self.conversations:
            token = await self.client.post(
                "/api/auth/token", data={"username": email, "password": "demo"}
            )
            assert token.status_code == 200, token.text
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            created = await self.client.post("/api/chat/conversations", json={}, headers=headers)
            assert created.status_code == 201, created.text
            self.conversations[email] = (created.json()["id"], headers)
        conversation_id, headers = self.conversations[email]
        response = await self.client.post(
            f"/api/chat/conversations/{conversation_id}/messages",
            json={"content": text},
            headers=headers,
        )
        assert response.status_code == 201, response.text
        message = response.json()["assistant_message"]
        assert message["status"] == ChatMessageStatus.ok and message["model"] == "builtin"
        return Turn(message["content"], message["tool_calls"])

    async def contact(self, last_name: str) -> ContactCard:
        stmt = select(ContactCard).where(
            ContactCard.tenant_id == self.summit.id, ContactCard.last_name == last_name
        )
        return (await self.session.execute(stmt)).scalar_one()

    async def tasks(self, **where: Any) -> list[Task]:
        stmt = (
            select(Task)
            .filter_by(tenant_id=self.summit.id, **where)
            .execution_options(populate_existing=True)
        )
        return list((await self.session.execute(stmt)).scalars())


@pytest.fixture
async def demo(client: httpx.AsyncClient, session: AsyncSession, frozen_clock: Any) -> Demo:
    frozen_clock.now = NOW.astimezone(UTC)
    demo = Demo(client, session)
    await demo.setup()
    return demo


# --- the demo data has the customers the brief names ------------------------------------------


async def test_the_brief_customers_are_summit_contacts(demo: Demo) -> None:
    hendersons = await demo.contact("Henderson")
    garcia = await demo.contact("Garcia")
    patel = await demo.contact("Patel")
    assert hendersons.display_name == "Mark & Lisa Henderson"
    assert (garcia.display_name, patel.display_name) == ("Victor Garcia", "Priya Patel")

    (follow_up,) = await demo.tasks(contact_id=garcia.id, status=TaskStatus.open)
    assert follow_up.title.startswith("Follow up with Victor Garcia")
    appointments = (
        await demo.session.execute(
            select(Appointment).where(Appointment.contact_id.in_([hendersons.id, patel.id]))
        )
    ).scalars()
    assert {a.title for a in appointments} == {
        "Roof replacement estimate",
        "Heat pump sizing visit",
    }


async def test_no_record_uses_the_old_names(demo: Demo) -> None:
    """The renamed customers leave no trace: names, task titles, texts, calls."""
    session, tenant = demo.session, demo.summit.id
    words: list[str] = []
    for contact in (
        await session.execute(select(ContactCard).filter_by(tenant_id=tenant))
    ).scalars():
        words += [contact.display_name, contact.email or ""]
    for task in await demo.tasks():
        words += [task.title, task.description or ""]
    for model, column in (
        (Message, Message.body),
        (CallTranscript, CallTranscript.text),
        (CallAnalysis, CallAnalysis.summary),
    ):
        words += (await session.execute(select(column).where(model.tenant_id == tenant))).scalars()
    everything = " ".join(words).lower()
    for old in ("rachel", "foster", "shah", "ramirez"):
        assert old not in everything, old


# --- the requests ---------------------------------------------------------------------------------


async def test_whats_most_urgent_today(demo: Demo) -> None:
    turn = await demo.ask(MANAGER, "what's most urgent today?")
    turn.called("get_daily_digest")
    assert turn.text.startswith("Here's what's most urgent today:")
    assert (
        "5 overdue tasks" in turn.text
        and "“Approve Tom Becker's ridge-cap supplement”" in turn.text
    )
    assert "2 customers waiting on a reply: Stephanie Morales" in turn.text
    assert "2 new leads not contacted yet: Carlos Mendoza, Michael Thompson" in turn.text
    # The next appointment still to come, not the day's first (Karen Holt's, at 8:30).
    assert "4 appointments today; next: 11:00-12:30 with Jennifer Walsh" in turn.text
    assert "Karen Holt" not in turn.text

    mine = await demo.ask(REP, "what's most urgent today?")
    mine.called("get_daily_digest")
    assert "1 overdue task, starting with “Text to Greg Ostrowski was filtered" in mine.text
    assert "2 appointments today; next: 11:00-12:30 with Jennifer Walsh" in mine.text


async def test_who_do_i_need_to_follow_up_with(demo: Demo) -> None:
    turn = await demo.ask(CSR, "who do I need to follow up with?")
    turn.called("who_to_follow_up")
    assert turn.text.startswith("Follow up with these, most pressing first:")
    assert "1. Michael Thompson (+17205550158): reply to their message" in turn.text
    assert "2. Stephanie Morales (+13035550146): reply to their message" in turn.text
    assert "Carlos Mendoza (+17205550131): make first contact" in turn.text
    # David Nguyen's last "Thank you!" was answered: he isn't waiting on anyone.
    assert "David Nguyen" not in turn.text

    mine = await demo.ask(REP, "who do I need to follow up with?")
    mine.called("who_to_follow_up")
    assert "1. Greg Ostrowski" in mine.text and "2. Karen Holt" in mine.text
    assert "Michael Thompson" not in mine.text  # a CSR's lead, outside a rep's scope


async def test_create_a_task_to_call_the_hendersons(demo: Demo) -> None:
    turn = await demo.ask(MANAGER, "create a task to call the Hendersons tomorrow at 5pm")
    turn.called("search_contacts", "search_contacts", "create_task")
    assert [c["arguments"] for c in turn.tool_calls[:2]] == [
        {"query": "Hendersons"},
        {"query": "Henderson"},
    ]
    hendersons = await demo.contact("Henderson")
    (task,) = await demo.tasks(title="Call the Hendersons")
    assert task.contact_id == hendersons.id and task.source == TaskSource.assistant
    assert task.due_at is not None
    assert task.due_at.astimezone(DENVER) == datetime(2026, 11, 20, 17, 0, tzinfo=DENVER)
    assert turn.text == (
        "Done: I created the task “Call the Hendersons”, linked to Mark & Lisa Henderson, "
        "due Fri Nov 20, 5 PM, assigned to Dana Whitaker."
    )


async def test_what_can_i_delegate(demo: Demo) -> None:
    turn = await demo.ask(MANAGER, "what can I delegate?")
    turn.called("list_tasks")
    assert turn.tool_calls[0]["arguments"]["assigned_to_me"] is True
    assert turn.text.startswith("These could go to someone else (not high priority):")
    assert "“Weekly pipeline review with the reps” (medium priority" in turn.text
    # Coaching a rep is no phone call for a CSR, whatever the title's "(Castillo call)".
    assert (
        "(Castillo call)” (low priority, due Mon Nov 23, 10:15 AM, Robert Castillo) → a teammate"
        in turn.text
    )
    assert "Keep for yourself: “Approve Tom Becker's ridge-cap supplement”" in turn.text

    mine = await demo.ask(REP, "what can I delegate?")
    mine.called("list_tasks")
    assert "“Quote Jennifer Walsh's reroof and solar as one project”" in mine.text
    assert "Keep for yourself: “Text to Greg Ostrowski was filtered" in mine.text
    assert "Approve Tom Becker" not in mine.text


async def test_help_me_plan_my_next_2_hours(demo: Demo) -> None:
    rep = await demo.ask(REP, "help me plan my next 2 hours")
    rep.called("get_daily_digest")
    assert rep.text.startswith("Here's a plan for the next 2 hours (10:15 AM-12:15 PM):")
    assert "- 10:15 AM: Overdue: “Text to Greg Ostrowski was filtered" in rep.text
    assert "Due today: “Call Karen Holt with the insurance scope" in rep.text
    assert "- 11 AM-12:30 PM: Appointment with Jennifer Walsh at 4862 Sunridge Ct" in rep.text

    # A CSR's digest holds the whole company: the reps' visits and others' tasks stay out.
    csr = await demo.ask(CSR, "help me plan my next 2 hours")
    csr.called("get_daily_digest")
    assert "- 10:15 AM: Reply to Stephanie Morales" in csr.text
    assert "Overdue: “Call back Carlos Mendoza about his solar voicemail”" in csr.text
    assert "Appointment with" not in csr.text and "Approve Tom Becker" not in csr.text


async def test_what_appointments_do_i_have_tomorrow(demo: Demo) -> None:
    turn = await demo.ask(MANAGER, "what appointments do I have tomorrow?")
    turn.called("list_appointments")
    assert turn.tool_calls[0]["arguments"] == {"when": "tomorrow"}
    assert turn.text.startswith("3 appointments tomorrow:")
    assert "1. Fri Nov 20, 9 AM-10:30 AM: Priya Patel" in turn.text
    assert "2. Fri Nov 20, 1 PM-2 PM: Emily Chen" in turn.text
    assert "3. Fri Nov 20, 6 PM-7:30 PM: David Nguyen" in turn.text

    mine = await demo.ask(REP, "what appointments do I have tomorrow?")
    assert mine.text == (
        "1 appointment tomorrow:\n"
        "1. Fri Nov 20, 1 PM-2 PM: Emily Chen, 2290 Spruce St, Boulder, CO 80302, "
        "rep Tyler Brooks\n"
        # A scoped answer says its scope (issue #13).
        "(Only your own assignments: you can see only your own.)"
    )


async def test_mark_the_garcia_follow_up_done(demo: Demo) -> None:
    garcia = await demo.contact("Garcia")
    (follow_up,) = await demo.tasks(contact_id=garcia.id, status=TaskStatus.open)
    turn = await demo.ask(CSR, "mark the Garcia follow-up done")
    turn.called("list_tasks", "complete_task")
    assert turn.tool_calls[1]["arguments"] == {"task_id": str(follow_up.id)}
    assert turn.text == (
        "Marked “Follow up with Victor Garcia on his Xcel rebate pre-approval” for Victor "
        "Garcia as done."
    )
    (done,) = await demo.tasks(id=follow_up.id)
    assert done.status == TaskStatus.completed and done.completed_at == NOW


async def test_summarize_the_patel_account(demo: Demo) -> None:
    turn = await demo.ask(MANAGER, "summarize the Patel account")
    turn.called("search_contacts", "get_contact_summary")
    # Lakeside's Neha Patel belongs to the other company: Summit's manager finds only Priya.
    found = turn.tool_calls[0]["result"]["contacts"]
    assert [c["name"] for c in found] == ["Priya Patel"]
    assert turn.text.startswith("Summary of Priya Patel (+13035550163, priya.patel@example.com")
    assert "- Lead: hvac, appointment set, est. $12,800, rep Marcus Reyes" in turn.text
    assert (
        "- Next appointment: Heat pump sizing visit, Fri Nov 20, 9 AM with Marcus Reyes (confirmed)"
    ) in turn.text
    assert "Priya Patel wants to replace a 20-year-old furnace with a heat pump" in turn.text
    assert "“Text Priya Patel the rebate checklist before her visit”" in turn.text
    assert "Thanks, Priya, you're confirmed!" in turn.text

    # Priya is Marcus's customer: Tyler's assistant doesn't see her.
    rep = await demo.ask(REP, "summarize the Patel account")
    assert rep.text == "I couldn't find a contact matching “Patel”."


async def test_text_karen_holt_that_the_crew_is_late(demo: Demo) -> None:
    turn = await demo.ask(REP, "text Karen Holt that the crew is running 15 minutes late")
    turn.called("send_sms")
    assert turn.tool_calls[0]["arguments"] == {
        "contact": "Karen Holt",
        "body": "The crew is running 15 minutes late.",
    }
    assert turn.text == (
        "Sent to Karen Holt at +13035550117: “The crew is running 15 minutes late.”"
    )
    holt = await demo.contact("Holt")
    sent = (
        await demo.session.execute(
            select(Message).where(
                Message.contact_id == holt.id,
                Message.body == "The crew is running 15 minutes late.",
            )
        )
    ).scalar_one()
    assert (sent.direction, sent.sender, sent.status) == (
        Direction.outbound,
        Sender.rep,
        MessageStatus.queued,
    )
    assert sent.to_address == "+13035550117"


async def test_a_request_it_does_not_understand(demo: Demo) -> None:
    turn = await demo.ask(MANAGER, "what's the weather on mars?")
    assert turn.tool_calls == []
    # Outside every tool: refused plainly, naming what it can do instead (issue #13).
    assert turn.text.startswith("I can't do that here: it's outside my tools")
    assert "Here's what I can help with:" in turn.text
    for can in (
        "what's most urgent today",
        "who to follow up with",
        "create a task",
        "mark a task done",
        "list appointments",
        "summarize a customer",
        "text a customer",
    ):
        assert can in turn.text, can
