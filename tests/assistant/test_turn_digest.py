"""A turn builds the user's daily digest once, for its system prompt; the get_daily_digest
tool reads that one until a tool in the turn writes, and rebuilds it after."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from switchboard.ai.model import Audience, Completion, ModelMessage, StreamItem, ToolCall, ToolSpec
from switchboard.ai.staff_tools import staff_toolbox
from switchboard.assistant.schemas import ConversationCreate
from switchboard.assistant.service import Assistant
from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.tenancy.models import Role
from tests.assistant.test_agent_loop import answer
from tests.factories import Factory


class TickingModel:
    """Answers from a script, a minute passing on the clock before each answer: a digest
    built after the turn began shows a later `now` than the system prompt's."""

    name = "ticking"

    def __init__(self, clock: Any, *completions: Completion) -> None:
        self.clock = clock
        self.completions = list(completions)

    async def complete(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> Completion:
        self.clock.advance(60)
        return self.completions.pop(0)

    async def stream(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> AsyncIterator[StreamItem]:
        yield await self.complete(messages, tools, audience=audience)


def call(name: str, **arguments: Any) -> Completion:
    return Completion(text=None, tool_calls=(ToolCall(f"call_{name}", name, arguments),))


async def test_the_turn_digest_serves_the_tool_until_a_tool_writes(
    settings: Settings, db: Database, factory: Factory, frozen_clock: Any
) -> None:
    tenant = await factory.tenant(timezone="America/Chicago")
    user = await factory.user(tenant, Role.csr)
    model = TickingModel(
        frozen_clock,
        call("get_daily_digest"),
        call("create_task", title="Call Pat Lee back"),
        call("get_daily_digest"),
        answer("Done."),
    )
    assistant = Assistant(db, settings, model, staff_toolbox())
    conversation, _ = await assistant.create(user, ConversationCreate())
    turn = await assistant.start(user, conversation.id, "what's urgent? then add a task")

    reply = (await turn.run()).assistant_message

    assert reply.context is not None
    prepared = reply.context["operations"]
    first, created, second = reply.tool_calls
    assert [c["status"] for c in reply.tool_calls] == ["ok", "ok", "ok"]
    assert first["result"] == prepared  # the system prompt's digest, not built again
    assert created["name"] == "create_task"
    assert second["result"]["now"] > prepared["now"]  # rebuilt after the write
    titles = [task["title"] for task in second["result"]["tasks"]["top"]]
    assert "Call Pat Lee back" in titles
