"""The agent loop: the model answers or calls tools, tool results go back, a few rounds at most.
The staff assistant and the customer auto-responder both run through it."""

from __future__ import annotations

from dataclasses import dataclass, field

from switchboard.ai.model import ChatModel, ModelMessage, Usage
from switchboard.ai.toolbox import Toolbox, ToolContext, ToolOutcome

MAX_TOOL_ROUNDS = 4


@dataclass
class AgentResult:
    text: str
    outcomes: list[ToolOutcome] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    rounds: int = 0


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
    ctx: ToolContext,
    *,
    max_rounds: int = MAX_TOOL_ROUNDS,
) -> AgentResult:
    conversation = list(messages)
    result = AgentResult(text="", model=model.name)
    for _ in range(max_rounds):
        completion = await model.complete(conversation, toolbox.specs())
        result.usage = add_usage(result.usage, completion.usage)
        result.model = completion.model or model.name
        result.rounds += 1
        if not completion.tool_calls:
            result.text = completion.text or ""
            return result
        conversation.append(
            ModelMessage(
                role="assistant", content=completion.text or "", tool_calls=completion.tool_calls
            )
        )
        for call in completion.tool_calls:
            outcome = await toolbox.run(ctx, call)
            result.outcomes.append(outcome)
            conversation.append(
                ModelMessage(
                    role="tool", content=outcome.for_model(), tool_call_id=call.id, name=call.name
                )
            )
    # Out of rounds: ask once more with no tools, so the user still gets an answer.
    completion = await model.complete(conversation, [])
    result.usage = add_usage(result.usage, completion.usage)
    result.text = completion.text or ""
    return result
