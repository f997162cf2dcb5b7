"""The agent loop with a scripted model and a small toolbox: rounds, streaming events, the
round limit, and tools that fail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.ai.agent import (
    AgentDone,
    AgentEvent,
    ToolFinished,
    ToolStarted,
    run_agent,
    stream_agent,
)
from switchboard.ai.model import (
    Audience,
    Completion,
    ModelMessage,
    StreamItem,
    TextDelta,
    ToolCall,
    ToolSpec,
    Usage,
)
from switchboard.ai.toolbox import Tool, Toolbox, ToolContext, ToolError
from switchboard.config import Settings
from switchboard.tenancy.models import Tenant


class ScriptedModel:
    name = "scripted"

    def __init__(self, *completions: Completion) -> None:
        self.completions = list(completions)
        self.seen: list[tuple[list[ModelMessage], list[ToolSpec]]] = []

    async def complete(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> Completion:
        self.seen.append((list(messages), list(tools)))
        return self.completions.pop(0)

    async def stream(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> AsyncIterator[StreamItem]:
        completion = await self.complete(messages, tools, audience=audience)
        for word in (completion.text or "").split(" "):
            if word:
                yield TextDelta(word + " ")
        yield completion


def calls(*names: str) -> Completion:
    return Completion(
        text=None,
        tool_calls=tuple(ToolCall(f"c{i}", name, {"n": i}) for i, name in enumerate(names)),
        usage=Usage(10, 2),
        model="scripted-1",
    )


def answer(text: str) -> Completion:
    return Completion(text=text, usage=Usage(20, 5), model="scripted-1")


async def echo(_ctx: ToolContext, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"echo": arguments}


async def refuse(_ctx: ToolContext, _arguments: dict[str, Any]) -> dict[str, Any]:
    raise ToolError("not allowed")


async def crash(_ctx: ToolContext, _arguments: dict[str, Any]) -> dict[str, Any]:
    raise RuntimeError("bug")


def spec(name: str) -> ToolSpec:
    return ToolSpec(name, f"The {name} tool.", {"type": "object", "properties": {}})


TOOLBOX = Toolbox(
    [Tool(spec("echo"), echo), Tool(spec("refuse"), refuse), Tool(spec("crash"), crash)]
)


@pytest.fixture
def ctx(session: AsyncSession) -> ToolContext:
    return ToolContext(
        session=session, tenant=Tenant(name="T", slug="t"), settings=Settings(demo=True)
    )


async def test_run_agent_rounds_usage_and_final_text(ctx: ToolContext) -> None:
    model = ScriptedModel(calls("echo", "refuse"), calls("crash"), answer("All done."))
    result = await run_agent(
        model, [ModelMessage("user", "go")], TOOLBOX, ctx, audience=Audience.STAFF
    )
    assert result.text == result.full_text == "All done."
    assert [(o.name, o.status) for o in result.outcomes] == [
        ("echo", "ok"),
        ("refuse", "error"),
        ("crash", "error"),
    ]
    assert result.outcomes[0].result == {"echo": {"n": 0}}
    assert result.outcomes[1].result == {"error": "not allowed"}
    assert result.outcomes[2].result == {"error": "the crash tool failed unexpectedly"}
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (40, 9)
    assert result.rounds == 3 and result.model == "scripted-1"
    last_messages, last_tools = model.seen[-1]
    assert [m.role for m in last_messages] == [
        "user",
        "assistant",
        "tool",
        "tool",
        "assistant",
        "tool",
    ]
    assert last_messages[2].tool_call_id == "c0" and '"echo"' in last_messages[2].content
    assert [t.name for t in last_tools] == ["echo", "refuse", "crash"]


async def test_out_of_rounds_asks_once_more_without_tools(ctx: ToolContext) -> None:
    model = ScriptedModel(calls("echo"), calls("echo"), answer("Here is what I found."))
    result = await run_agent(
        model, [ModelMessage("user", "loop")], TOOLBOX, ctx, audience=Audience.STAFF, max_rounds=2
    )
    assert result.text == "Here is what I found." and len(result.outcomes) == 2
    assert [len(tools) for _, tools in model.seen] == [3, 3, 0]


async def test_stream_events_and_one_scope_per_round(ctx: ToolContext) -> None:
    opened: list[int] = []

    @asynccontextmanager
    async def scope() -> AsyncIterator[ToolContext]:
        opened.append(len(opened))
        yield ctx

    model = ScriptedModel(
        Completion(
            text="Let me check.",
            tool_calls=(ToolCall("a", "echo", {}),),
            usage=Usage(1, 1),
        ),
        calls("echo", "echo"),
        answer("Found it."),
    )
    events: list[AgentEvent] = [
        event
        async for event in stream_agent(
            model, [ModelMessage("user", "x")], TOOLBOX, scope, audience=Audience.STAFF
        )
    ]
    kinds = [type(event).__name__ for event in events]
    assert kinds == [
        "TextDelta",
        "TextDelta",
        "TextDelta",
        "ToolStarted",
        "ToolFinished",
        "ToolStarted",
        "ToolFinished",
        "ToolStarted",
        "ToolFinished",
        "TextDelta",
        "TextDelta",
        "TextDelta",
        "AgentDone",
    ]
    assert opened == [0, 1]
    deltas = "".join(e.text for e in events if isinstance(e, TextDelta))
    done = events[-1]
    assert isinstance(done, AgentDone)
    assert done.result.full_text == deltas == "Let me check. \n\nFound it. "
    assert done.result.text == "Found it."
    started = [e.call.id for e in events if isinstance(e, ToolStarted)]
    finished = [e.outcome.id for e in events if isinstance(e, ToolFinished)]
    assert started == finished == ["a", "c0", "c1"]
