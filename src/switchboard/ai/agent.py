"""The agent loop: the model answers or calls tools, tool results go back, a few rounds at most.
The staff assistant (streaming, `stream_agent`) and the customer auto-responder (`run_agent`)
both run through it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field

from switchboard.ai.model import (
    Audience,
    ChatModel,
    Completion,
    ModelMessage,
    StreamItem,
    TextDelta,
    ToolCall,
    ToolSpec,
    Usage,
)
from switchboard.ai.toolbox import Toolbox, ToolContext, ToolOutcome

MAX_TOOL_ROUNDS = 4
ROUND_SEPARATOR = "\n\n"


@dataclass
class AgentResult:
    text: str  # the last round's text: the answer itself
    outcomes: list[ToolOutcome] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    rounds: int = 0
    # Every round's text as the user saw it stream (a model may say something before it
    # calls a tool); equals `text` when only the last round spoke.
    full_text: str = ""


@dataclass(frozen=True)
class ToolStarted:
    call: ToolCall


@dataclass(frozen=True)
class ToolFinished:
    outcome: ToolOutcome


@dataclass(frozen=True)
class AgentDone:
    result: AgentResult


AgentEvent = TextDelta | ToolStarted | ToolFinished | AgentDone

# Opens the context one round of tool calls runs in: the assistant and the auto-responder
# give each round its own transaction, so nothing is held open while the model thinks.
ToolScope = Callable[[], AbstractAsyncContextManager[ToolContext]]


def add_usage(total: Usage, more: Usage) -> Usage:
    return Usage(
        prompt_tokens=total.prompt_tokens + more.prompt_tokens,
        completion_tokens=total.completion_tokens + more.completion_tokens,
        estimated=total.estimated or more.estimated,
    )


async def run_agent(
    model: ChatModel,
    messages: list[ModelMessage],
    toolbox: Toolbox,
    ctx: ToolContext | ToolScope,
    *,
    audience: Audience,
    max_rounds: int = MAX_TOOL_ROUNDS,
) -> AgentResult:
    """The whole turn at once, every tool call in `ctx`, or each round of tool calls in the
    context a `ToolScope` opens (the auto-responder commits each round on its own).
    `audience` tells the model whom it answers."""
    scope = ctx if not isinstance(ctx, ToolContext) else lambda: nullcontext(ctx)
    events = _agent_loop(
        model, messages, toolbox, scope, max_rounds, audience=audience, streaming=False
    )
    async for event in events:
        if isinstance(event, AgentDone):
            return event.result
    raise AssertionError("the agent loop always ends with AgentDone")


def stream_agent(
    model: ChatModel,
    messages: list[ModelMessage],
    toolbox: Toolbox,
    scope: ToolScope,
    *,
    audience: Audience,
    max_rounds: int = MAX_TOOL_ROUNDS,
) -> AsyncIterator[AgentEvent]:
    """The turn as it happens: text deltas, each tool call starting and finishing, and a
    final AgentDone. Raises ModelError when the model fails."""
    return _agent_loop(
        model, messages, toolbox, scope, max_rounds, audience=audience, streaming=True
    )


async def _agent_loop(
    model: ChatModel,
    messages: list[ModelMessage],
    toolbox: Toolbox,
    scope: ToolScope,
    max_rounds: int,
    *,
    audience: Audience,
    streaming: bool,
) -> AsyncIterator[AgentEvent]:
    conversation = list(messages)
    result = AgentResult(text="", model=model.name)
    specs = toolbox.specs()
    shown: list[str] = []
    for round_number in range(max_rounds + 1):
        # Out of rounds: ask once more with no tools, so the user still gets an answer.
        out_of_rounds = round_number == max_rounds
        completion: Completion | None = None
        separated = not shown
        tools = [] if out_of_rounds else specs
        async for item in _ask(model, conversation, tools, audience, streaming):
            if isinstance(item, TextDelta):
                if not item.text:
                    continue
                if not separated:
                    shown.append(ROUND_SEPARATOR)
                    yield TextDelta(ROUND_SEPARATOR)
                    separated = True
                shown.append(item.text)
                yield item
            else:
                completion = item
        if completion is None:
            raise AssertionError(f"{model.name} ended a stream without a Completion")
        if not streaming and completion.text:
            shown.extend([ROUND_SEPARATOR, completion.text] if shown else [completion.text])
        result.usage = add_usage(result.usage, completion.usage)
        result.model = completion.model or model.name
        result.rounds += 1
        if out_of_rounds or not completion.tool_calls:
            result.text = completion.text or ""
            result.full_text = "".join(shown)
            yield AgentDone(result)
            return
        conversation.append(
            ModelMessage(
                role="assistant", content=completion.text or "", tool_calls=completion.tool_calls
            )
        )
        async with scope() as ctx:
            for call in completion.tool_calls:
                yield ToolStarted(call)
                outcome = await toolbox.run(ctx, call)
                result.outcomes.append(outcome)
                yield ToolFinished(outcome)
                conversation.append(
                    ModelMessage(
                        role="tool",
                        content=outcome.for_model(),
                        tool_call_id=call.id,
                        name=call.name,
                    )
                )


async def _ask(
    model: ChatModel,
    conversation: list[ModelMessage],
    tools: list[ToolSpec],
    audience: Audience,
    streaming: bool,
) -> AsyncIterator[StreamItem]:
    if streaming:
        async for item in model.stream(conversation, tools, audience=audience):
            yield item
    else:
        yield await model.complete(conversation, tools, audience=audience)
