"""The dashboards' per-day series and the CSR's lists: each row on its local day (across a
daylight-saving change), the assistant's use counted from its stored turns, and the calls
and texts waiting on a CSR as lists that lead to the conversation."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.assistant.models import ChatMessage, ChatRole, Conversation
from switchboard.crm.models import CallDirection, CallOutcome
from switchboard.tenancy.models import Role, User
from tests.dashboards.test_role_dashboards import NOW, get_ok, seed_company, seed_other_company
from tests.factories import Factory
from tests.kit.helpers import AsUser

# Chicago leaves daylight saving at 02:00 on Sunday Nov 1, 2026: Oct 31 runs to 05:00 UTC,
# Nov 1 is 25 hours long and runs to 06:00 UTC Nov 2.
AROUND_DST = [
    (datetime(2026, 11, 1, 4, 30, tzinfo=UTC), date(2026, 10, 31)),
    (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), date(2026, 11, 1)),
    (datetime(2026, 11, 2, 5, 30, tzinfo=UTC), date(2026, 11, 1)),
    (datetime(2026, 11, 2, 6, 30, tzinfo=UTC), date(2026, 11, 2)),
]


async def test_calls_fall_on_their_local_day_across_daylight_saving(
    client: httpx.AsyncClient,
    session: AsyncSession,
    factory: Factory,
    as_user: AsUser,
    frozen_clock: object,
) -> None:
    tenant = await factory.tenant(timezone="America/Chicago")
    manager = await factory.user(tenant, Role.manager)
    for at, _ in AROUND_DST:
        await factory.call(tenant, started_at=at, outcome=CallOutcome.booked)
    await factory.call(tenant, started_at=NOW - timedelta(hours=1), outcome=CallOutcome.unbooked)
    await factory.call(tenant, started_at=NOW - timedelta(hours=2))  # no outcome yet
    other = await factory.tenant(timezone="America/Chicago")
    await factory.call(other, started_at=AROUND_DST[1][0], outcome=CallOutcome.booked)

    board = await get_ok(client, as_user, manager, "executive", period="30d")
    trends = board["trends"]
    days = [date.fromisoformat(d) for d in trends["days"]]
    assert len(days) == 30 and days[0] == date(2026, 10, 23) and days[-1] == date(2026, 11, 21)
    booked = dict(zip(days, trends["calls_by_outcome"]["booked"], strict=True))
    assert booked[date(2026, 10, 31)] == 1
    assert booked[date(2026, 11, 1)] == 2
    assert booked[date(2026, 11, 2)] == 1
    assert sum(booked.values()) == 4
    assert trends["calls_by_outcome"]["unbooked"][-1] == 1
    assert trends["calls_by_outcome"]["no_outcome"][-1] == 1
    rates = dict(zip(days, trends["booking_rate"], strict=True))
    assert rates[date(2026, 11, 1)] == 1.0 and rates[date(2026, 11, 21)] == 0.0
    assert rates[date(2026, 11, 10)] is None


async def test_the_week_trends_match_the_weeks_totals(
    client: httpx.AsyncClient,
    session: AsyncSession,
    factory: Factory,
    as_user: AsUser,
    frozen_clock: object,
) -> None:
    company = await seed_company(factory, session)
    await seed_other_company(factory, session)
    board = await get_ok(client, as_user, company.manager, "executive", period="7d")
    trends = board["trends"]
    assert trends["days"][0] == "2026-11-15" and trends["days"][-1] == "2026-11-21"
    for outcome in ("booked", "unbooked", "missed", "voicemail", "abandoned"):
        assert sum(trends["calls_by_outcome"][outcome]) == board["calls"][outcome], outcome
    # The 23:00 call of Nov 20 in Chicago is on Nov 20, although Nov 21 in UTC.
    assert trends["calls_by_outcome"]["booked"][5] >= 1
    assert sum(trends["leads"]) == board["leads"]["total"]
    assert sum(trends["texts_sent"]) == board["messages"]["outbound"]
    assert sum(trends["texts_delivered"]) == board["messages"]["delivered"]


async def _chat(
    session: AsyncSession, user: User, at: datetime, turns: list[tuple[str, str | None, list]]
) -> None:
    conversation = Conversation(
        id=uuid.uuid4(),
        tenant_id=user.tenant_id,
        owner_id=user.id,
        title="chat",
        last_message_at=at,
        created_at=at,
    )
    session.add(conversation)
    await session.flush()
    for seq, (question, model, tool_calls) in enumerate(turns):
        session.add(
            ChatMessage(
                tenant_id=user.tenant_id,
                conversation_id=conversation.id,
                seq=2 * seq,
                role=ChatRole.user,
                content=question,
                created_at=at,
            )
        )
        session.add(
            ChatMessage(
                tenant_id=user.tenant_id,
                conversation_id=conversation.id,
                seq=2 * seq + 1,
                role=ChatRole.assistant,
                content="an answer",
                model=model,
                prompt_tokens=100,
                completion_tokens=20,
                tool_calls=tool_calls,
                created_at=at,
            )
        )
    await session.flush()


async def test_the_assistants_use_per_day(
    client: httpx.AsyncClient,
    session: AsyncSession,
    factory: Factory,
    as_user: AsUser,
    frozen_clock: object,
) -> None:
    tenant = await factory.tenant(timezone="America/Chicago")
    manager = await factory.user(tenant, Role.manager)
    csr = await factory.user(tenant, Role.csr)
    ok = {"name": "create_task", "status": "ok"}
    failed = {"name": "complete_task", "status": "error"}
    await _chat(
        session,
        csr,
        NOW - timedelta(hours=1),
        [("What is overdue?", "gpt-4o-mini", [ok]), ("what is overdue? ", "builtin", [failed])],
    )
    await _chat(session, manager, NOW - timedelta(days=2), [("Who needs a call?", "builtin", [])])
    await _chat(session, manager, NOW - timedelta(days=20), [("Long ago", "builtin", [failed])])
    outsider = await factory.user(await factory.tenant(), Role.manager)
    await _chat(session, outsider, NOW - timedelta(hours=1), [("What is overdue?", "x", [failed])])

    use = (await get_ok(client, as_user, manager, "executive", period="7d"))["assistant"]
    assert use["conversations"] == [0, 0, 0, 0, 1, 0, 1]
    assert use["turns"] == [0, 0, 0, 0, 1, 0, 2]
    assert use["tokens"] == [0, 0, 0, 0, 120, 0, 240]
    assert use["models"] == {
        "builtin": [0, 0, 0, 0, 1, 0, 1],
        "gpt-4o-mini": [0, 0, 0, 0, 0, 0, 1],
    }
    assert (use["tool_calls"], use["failed_tool_calls"]) == (2, 1)
    assert use["failed_by_tool"] == {"complete_task": 1}
    assert use["top_questions"] == [
        {"text": "what is overdue?", "times": 2},
        {"text": "who needs a call?", "times": 1},
    ]


async def test_the_csr_sees_unanswered_calls_and_texts_as_lists(
    client: httpx.AsyncClient,
    session: AsyncSession,
    factory: Factory,
    as_user: AsUser,
    frozen_clock: object,
) -> None:
    company = await seed_company(factory, session)
    await seed_other_company(factory, session)
    queue = (await get_ok(client, as_user, company.cora, "csr"))["queue"]
    calls = queue["calls"]
    # Newest first: Garcia's missed call half an hour ago, then Lopez's three days ago.
    assert [c["contact"]["name"] for c in calls] == ["Maria Garcia", "Lu Lopez"]
    assert [c["outcome"] for c in calls] == ["missed", "missed"]
    assert len(calls) == queue["unanswered_calls"]["count"]
    # Each caller's latest conversation, to write back from.
    assert calls[0]["session_id"] is not None
    texts = queue["texts"]
    assert [(t["contact"]["name"], t["waiting_minutes"]) for t in texts] == [("Maria Garcia", 42)]
    assert texts[0]["session_id"] and texts[0]["last_message"] == "hi"
    assert texts[0]["waiting_on"] in ("staff", "ai", "person")
    assert calls[0]["session_id"] == texts[0]["session_id"]


async def test_an_unknown_caller_is_listed_by_number(
    client: httpx.AsyncClient,
    session: AsyncSession,
    factory: Factory,
    as_user: AsUser,
    frozen_clock: object,
) -> None:
    tenant = await factory.tenant()
    cora = await factory.user(tenant, Role.csr)
    await factory.call(
        tenant,
        started_at=NOW - timedelta(minutes=5),
        outcome=CallOutcome.abandoned,
        direction=CallDirection.inbound,
        from_number="+13125550123",
    )
    calls = (await get_ok(client, as_user, cora, "csr"))["queue"]["calls"]
    assert [(c["contact"], c["from_number"], c["session_id"]) for c in calls] == [
        (None, "+13125550123", None)
    ]
