"""Sending a message with the built-in model: JSON and server-sent events, what is stored
(tool calls, usage, context, the conversation's counters), limits and validation."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.assistant.models import ChatMessage, Conversation
from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.tasks.models import Task, TaskSource
from switchboard.tenancy.models import Role
from tests.assistant.conftest import new_conversation, parse_sse, send
from tests.factories import Factory
from tests.kit.helpers import AsUser, assert_invalid

CREATE = "create a task to call the Hendersons tomorrow at 5pm"


async def test_reply_stores_tool_calls_usage_and_context(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, session: AsyncSession
) -> None:
    tenant = await factory.tenant(timezone="America/Chicago")
    user = await factory.user(tenant, Role.csr, name="Casey Rivera")
    headers = as_user(user)
    conversation = await new_conversation(client, headers)
    assert conversation["title"] == "New conversation" and conversation["message_count"] == 0

    reply = await send(client, headers, conversation["id"], CREATE)

    user_message, answer = reply["user_message"], reply["assistant_message"]
    assert (user_message["seq"], user_message["role"], user_message["content"]) == (
        1,
        "user",
        CREATE,
    )
    assert answer["seq"] == 2 and answer["role"] == "assistant" and answer["status"] == "ok"
    # The built-in model looks the Hendersons up (no such contact here), then creates the task.
    *lookups, call = answer["tool_calls"]
    assert [lookup["name"] for lookup in lookups] == ["search_contacts", "search_contacts"]
    assert call["name"] == "create_task" and call["status"] == "ok"
    assert call["arguments"] == {"title": "Call the Hendersons", "due": "tomorrow at 5pm"}
    assert call["result"]["created"]["title"] == "Call the Hendersons"
    assert isinstance(call["duration_ms"], int)
    assert answer["content"].startswith("Done: I created the task “Call the Hendersons”, due ")
    assert answer["model"] == "builtin"
    assert answer["prompt_tokens"] > 0 and answer["completion_tokens"] > 0
    assert answer["latency_ms"] >= 0
    context = answer["context"]
    assert context["user"] == {"id": str(user.id), "name": "Casey Rivera", "role": "csr"}
    assert context["timezone"] == "America/Chicago" and context["today"]
    assert "tasks" in context["operations"] and "appointments_today" in context["operations"]
    assert context["history"]["messages"] == 1

    task = (await session.execute(select(Task).where(Task.tenant_id == tenant.id))).scalar_one()
    assert task.title == "Call the Hendersons" and task.source == TaskSource.assistant
    assert task.due_at is not None

    stored = (
        await client.get(f"/api/chat/conversations/{conversation['id']}", headers=headers)
    ).json()
    assert stored["message_count"] == 2
    assert stored["title"] == "Create a task to call the Hendersons tomorrow at 5pm"
    assert stored["last_message_preview"].startswith("Done: I created the task")
    snapshot = (
        await session.execute(
            select(Conversation.context_snapshot).where(
                Conversation.id == uuid.UUID(conversation["id"])
            )
        )
    ).scalar_one()
    assert snapshot is not None and snapshot["user"]["name"] == "Casey Rivera"


async def test_first_message_on_create_names_the_conversation(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.manager))
    long_question = (
        "Who do I need to follow up with this afternoon before the crew meeting at four, "
        "and which of them are new leads?"
    )
    created = await new_conversation(client, headers, message=long_question)
    assert created["title"] == "Who do I need to follow up with this afternoon before the…"
    assert len(created["title"]) <= 60
    assert created["message_count"] == 2
    assert created["reply"]["assistant_message"]["tool_calls"][0]["name"] == "who_to_follow_up"

    titled = await new_conversation(client, headers, title="Pipeline", message="hello")
    assert titled["title"] == "Pipeline" and titled["title_is_auto"] is False


async def test_event_stream_sends_each_step_once(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.csr))
    conversation = await new_conversation(client, headers)
    response = await client.post(
        f"/api/chat/conversations/{conversation['id']}/messages",
        json={"content": CREATE},
        headers={**headers, "Accept": "text/event-stream"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    kinds = [event.event for event in events]
    # Two contact lookups (the Hendersons, then Henderson), then the task itself.
    steps = ["tool_call_started", "tool_call_finished"] * 3
    assert kinds[:7] == ["user_message", *steps]
    assert kinds[-1] == "done" and "error" not in kinds
    deltas = [event.data["text"] for event in events if event.event == "text_delta"]
    assert len(deltas) > 3 and kinds[7 : 7 + len(deltas)] == ["text_delta"] * len(deltas)

    assert events[0].data["content"] == CREATE and events[0].data["seq"] == 1
    assert [events[n].data["name"] for n in (1, 3, 5)] == [
        "search_contacts",
        "search_contacts",
        "create_task",
    ]
    assert events[5].data["arguments"]["due"] == "tomorrow at 5pm"
    assert events[6].data["status"] == "ok" and events[6].data["id"] == events[5].data["id"]
    done = events[-1].data
    assert done["status"] == "ok" and done["user_message_id"] == events[0].data["id"]
    assert done["usage"]["prompt_tokens"] > 0 and done["usage"]["estimated"] is True
    assert done["tool_calls"] == 3

    history = (
        await client.get(f"/api/chat/conversations/{conversation['id']}/messages", headers=headers)
    ).json()["items"]
    stored = history[-1]
    assert stored["id"] == done["assistant_message_id"]
    # Each delta carries only new text: together they are the stored reply, exactly once.
    assert "".join(deltas) == stored["content"]
    assert all(delta != stored["content"] for delta in deltas)
    assert [call["name"] for call in stored["tool_calls"]] == [
        "search_contacts",
        "search_contacts",
        "create_task",
    ]


async def test_not_understood_lists_what_it_can_do(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.rep))
    conversation = await new_conversation(client, headers)
    answer = (await send(client, headers, conversation["id"], "what's the weather like?"))[
        "assistant_message"
    ]
    assert answer["tool_calls"] == []
    assert "not sure" in answer["content"] and "mark a task done" in answer["content"]


async def test_content_must_be_1_to_10000_characters(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.csr))
    conversation = await new_conversation(client, headers)
    url = f"/api/chat/conversations/{conversation['id']}/messages"
    assert_invalid(await client.post(url, json={"content": ""}, headers=headers), "content")
    assert_invalid(await client.post(url, json={"content": "   "}, headers=headers), "content")
    too_long = "x" * 10_001
    assert_invalid(await client.post(url, json={"content": too_long}, headers=headers), "content")
    longest = await client.post(url, json={"content": "y" * 10_000}, headers=headers)
    assert longest.status_code == 201
    assert longest.json()["user_message"]["content"] == "y" * 10_000
    assert (await client.post(url, json={}, headers=headers)).status_code == 422
    assert (await client.post(url, json={"content": "hi"})).status_code == 401


async def test_rate_limit_answers_429_with_retry_after(
    settings: Settings, db: Database, factory: Factory, as_user: AsUser, session: AsyncSession
) -> None:
    from switchboard.app import create_app

    app = create_app(settings.model_copy(update={"chat_rate_limit_per_minute": 2}), db=db)
    transport = httpx.ASGITransport(app=app)
    tenant = await factory.tenant()
    user, other = await factory.user(tenant, Role.csr), await factory.user(tenant, Role.csr)
    headers = as_user(user)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        conversation = await new_conversation(client, headers)
        url = f"/api/chat/conversations/{conversation['id']}/messages"
        for _ in range(2):
            assert (
                await client.post(url, json={"content": "hi"}, headers=headers)
            ).status_code == 201
        limited = await client.post(url, json={"content": "hi again"}, headers=headers)
        assert limited.status_code == 429, limited.text
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert limited.json()["error"] == "rate_limited"
        # Nothing was stored for the refused message; another user has their own allowance.
        count = await session.execute(
            select(func.count()).where(ChatMessage.conversation_id == uuid.UUID(conversation["id"]))
        )
        assert count.scalar_one() == 4
        theirs = await new_conversation(client, as_user(other), message="hi")
        assert theirs["reply"]["assistant_message"]["status"] == "ok"


async def test_history_given_to_the_model_stays_within_the_budget(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, session: AsyncSession
) -> None:
    from switchboard.assistant.service import HISTORY_TOKEN_BUDGET
    from tests.assistant.conftest import seed_messages

    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.manager)
    conversation = await seed_messages(session, user, 30, words="lorem ipsum " * 300)
    answer = (await send(client, as_user(user), str(conversation.id), "thanks"))[
        "assistant_message"
    ]
    history: dict[str, Any] = answer["context"]["history"]
    assert history["tokens"] <= HISTORY_TOKEN_BUDGET
    assert 1 <= history["messages"] < 31 and history["from_seq"] > 1


async def test_conversation_activity_moves_it_up_the_list(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, frozen_clock: Any
) -> None:
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.csr))
    first = await new_conversation(client, headers, title="First")
    frozen_clock.advance(60)
    second = await new_conversation(client, headers, title="Second")
    frozen_clock.advance(60)
    await send(client, headers, first["id"], "hello")
    listed = (await client.get("/api/chat/conversations", headers=headers)).json()["items"]
    assert [c["title"] for c in listed] == ["First", "Second"]
    assert listed[0]["last_message_at"] > second["last_message_at"]
    assert listed[0]["last_message_preview"].startswith("Hi!")


async def test_a_reply_is_stored_even_if_the_stream_is_dropped(
    settings: Settings, db: Database, factory: Factory, session: AsyncSession
) -> None:
    import asyncio

    from switchboard.ai.builtin import BuiltinModel
    from switchboard.ai.staff_tools import staff_toolbox
    from switchboard.assistant import service as assistant_service
    from switchboard.assistant.schemas import ConversationCreate

    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.csr)
    assistant = assistant_service.Assistant(db, settings, BuiltinModel(), staff_toolbox())
    conversation, _ = await assistant.create(user, ConversationCreate())
    turn = await assistant.start(user, conversation.id, CREATE)
    events = turn.stream()
    first = await anext(events)
    assert first.type == "user_message"
    await events.aclose()  # the client went away after the first event
    assert assistant_service._DETACHED, "the turn goes on without its client"
    await asyncio.gather(*assistant_service._DETACHED)
    assert turn.assistant_message is not None
    stored = (
        (
            await session.execute(
                select(ChatMessage).where(ChatMessage.conversation_id == conversation.id)
            )
        )
        .scalars()
        .all()
    )
    assert [(m.seq, m.role, m.status) for m in stored] == [
        (1, "user", "ok"),
        (2, "assistant", "ok"),
    ]
