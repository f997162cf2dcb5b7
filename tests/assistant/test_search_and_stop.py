"""Search a page at a time (the cursor), titles by their words, the most recent conversation,
and stopping a turn: what was said is stored, a running round of tools finishes first."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.ai.model import (
    Audience,
    Completion,
    ModelMessage,
    StreamItem,
    TextDelta,
    ToolCall,
    ToolSpec,
)
from switchboard.ai.toolbox import Tool, Toolbox, ToolContext
from switchboard.assistant.models import ChatMessage, ChatMessageStatus, ChatRole
from switchboard.assistant.schemas import ConversationCreate
from switchboard.assistant.service import Assistant, ConversationService, TurnEvent
from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.kit.events import LocalBus
from switchboard.tasks.models import Task
from switchboard.tasks.schemas import TaskCreate
from switchboard.tasks.service import TaskService
from switchboard.tenancy.models import Role
from tests.assistant.conftest import new_conversation
from tests.factories import Factory
from tests.kit.helpers import AsUser


async def test_search_pages_follow_the_cursor_without_repeats(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, session: AsyncSession
) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.csr)
    service = ConversationService(session, user)
    expected = set()
    for number in range(7):
        conversation = await service.create(ConversationCreate(title=f"Roof {number}"))
        # Different lengths rank differently; two equal ones share a rank (ties break by time).
        words = "shingle " * (1 + number % 3) + "estimate"
        message = await service.append(conversation, ChatRole.user, words)
        expected.add(str(message.id))
        await service.append(conversation, ChatRole.assistant, "unrelated words")
    headers = as_user(user)

    whole = await client.get(
        "/api/chat/search", params={"q": "shingle", "limit": 50}, headers=headers
    )
    everything = [hit["message_id"] for hit in whole.json()["items"]]
    assert set(everything) == expected and whole.json()["next_cursor"] is None

    walked: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"q": "shingle", "limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/chat/search", params=params, headers=headers)).json()
        walked += [hit["message_id"] for hit in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert walked == everything  # the same hits in the same order, none twice
    bad = await client.get(
        "/api/chat/search", params={"q": "shingle", "cursor": "nope"}, headers=headers
    )
    assert bad.status_code == 422


async def test_titles_are_searched_by_their_words(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.manager))
    for title in ("Henderson roof", "Roof for the Patels", "Solar leads", "plan_b 100%"):
        await new_conversation(client, headers, title=title)

    async def titles(q: str) -> list[str]:
        response = await client.get("/api/chat/conversations", params={"q": q}, headers=headers)
        assert response.status_code == 200, response.text
        return sorted(c["title"] for c in response.json()["items"])

    assert await titles("roof") == ["Henderson roof", "Roof for the Patels"]
    assert await titles("ROOF patel") == ["Roof for the Patels"]
    assert await titles("plan_b") == ["plan_b 100%"]
    assert await titles("pla_") == []  # `_` is a character, not LIKE's wildcard ("plan")
    assert await titles("gutters") == []
    assert len(await titles("")) == 4


async def test_most_recent_ignores_pinning(
    factory: Factory, session: AsyncSession, frozen_clock: Any
) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.rep)
    service = ConversationService(session, user)
    assert await service.most_recent() is None
    older = await service.create(ConversationCreate(title="Older"))
    frozen_clock.advance(60)
    newer = await service.create(ConversationCreate(title="Newer"))
    older.pinned = True
    await session.flush()
    assert (await service.most_recent()) is newer
    frozen_clock.advance(60)
    await service.append(older, ChatRole.user, "back to this one")
    assert (await service.most_recent()) is older


class HangingModel:
    """Says a few words, then thinks forever: only a stop ends its turn."""

    name = "hanging"

    def __init__(self, *first: Completion) -> None:
        self.first = list(first)
        self.asked = 0

    async def complete(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> Completion:
        raise NotImplementedError

    async def stream(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> AsyncIterator[StreamItem]:
        self.asked += 1
        if self.first:
            yield self.first.pop(0)
            return
        yield TextDelta("Let me look")
        yield TextDelta(" into that")
        await asyncio.Event().wait()
        yield Completion(text="never")


async def _events_until(events: AsyncIterator[TurnEvent], kind: str) -> list[TurnEvent]:
    seen = []
    async for event in events:
        seen.append(event)
        if event.type == kind:
            break
    return seen


async def _stored(session: AsyncSession, conversation_id: Any) -> list[ChatMessage]:
    stmt = select(ChatMessage).where(ChatMessage.conversation_id == conversation_id)
    return list((await session.execute(stmt.order_by(ChatMessage.seq))).scalars())


async def test_stop_keeps_what_was_said_and_ends_the_stream(
    settings: Settings, db: Database, factory: Factory, session: AsyncSession
) -> None:
    db.bus = LocalBus()
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.csr)
    assistant = Assistant(db, settings, HangingModel(), Toolbox([]))
    conversation, _ = await assistant.create(user, ConversationCreate())
    turn = await assistant.start(user, conversation.id, "what is going on?")
    events = turn.stream()
    said = await _events_until(events, "text_delta")
    assert [e.type for e in said] == ["user_message", "text_delta"]

    # The stop request goes over the bus, as it would from another process.
    await assistant.stop(user, conversation.id, turn.user_message.id)
    rest = [event async for event in events]
    assert rest[-1].type == "done" and rest[-1].data["status"] == "stopped"
    assert "error" not in [e.type for e in rest]

    _, answer = await _stored(session, conversation.id)
    assert answer.status == ChatMessageStatus.stopped and answer.role == ChatRole.assistant
    assert answer.content == "Let me look into that" and answer.error is None
    assert db.bus.subscriber_count(tenant.id) == 0  # the turn stopped listening


async def test_stop_during_tools_lets_the_round_commit_and_asks_the_model_no_more(
    settings: Settings, db: Database, factory: Factory, session: AsyncSession
) -> None:
    db.bus = LocalBus()
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.manager)
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow_task(ctx: ToolContext, arguments: dict[str, Any]) -> dict[str, Any]:
        entered.set()
        await release.wait()
        assert ctx.user is not None
        task = await TaskService(ctx.session, ctx.user).create(TaskCreate(title=arguments["title"]))
        return {"created": task.title}

    spec = ToolSpec("slow_task", "Creates a task slowly.", {"type": "object", "properties": {}})
    call = ToolCall("c1", "slow_task", {"title": "Call the Hendersons"})
    model = HangingModel(Completion(text=None, tool_calls=(call,)))
    assistant = Assistant(db, settings, model, Toolbox([Tool(spec, slow_task, writes=True)]))
    conversation, _ = await assistant.create(user, ConversationCreate())
    turn = await assistant.start(user, conversation.id, "make a task")
    consumed = asyncio.create_task(_events_until(turn.stream(), "done"))
    await asyncio.wait_for(entered.wait(), 5)
    turn.stop()
    await asyncio.sleep(0.05)
    assert not consumed.done(), "the round of tools is not cut off"
    release.set()
    events = await asyncio.wait_for(consumed, 5)

    assert [e.type for e in events] == [
        "user_message",
        "tool_call_started",
        "tool_call_finished",
        "done",
    ]
    assert events[-1].data["status"] == "stopped" and model.asked == 1
    _, answer = await _stored(session, conversation.id)
    assert answer.status == ChatMessageStatus.stopped
    assert [(c["name"], c["status"]) for c in answer.tool_calls] == [("slow_task", "ok")]
    task = (await session.execute(select(Task).where(Task.tenant_id == tenant.id))).scalar_one()
    assert task.title == "Call the Hendersons"  # the stopped turn's tool work stays done


async def test_stopping_another_users_turn_is_not_found(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    owner, other = await factory.user(tenant, Role.csr), await factory.user(tenant, Role.csr)
    created = await new_conversation(client, as_user(owner), message="hello")
    question = created["reply"]["user_message"]["id"]
    url = f"/api/chat/conversations/{created['id']}/messages/{question}/stop"
    assert (await client.post(url, headers=as_user(other))).status_code == 404
    # The owner may; the turn has ended, so nothing changes.
    assert (await client.post(url, headers=as_user(owner))).status_code == 202
    stranger = f"/api/chat/conversations/{created['id']}/messages/{created['id']}/stop"
    assert (await client.post(stranger, headers=as_user(owner))).status_code == 404
