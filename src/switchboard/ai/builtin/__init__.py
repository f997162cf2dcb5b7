"""The built-in offline model: deterministic, no network. It reads the request, emits real
tool calls, then phrases their results. Customer conversations (the auto-responder) and
staff conversations (the assistant) have their own rules, chosen by the audience the caller
names, and each its own classifier, learned from `corpus/` once per process (see `intents`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from switchboard.ai.builtin import customer, staff
from switchboard.ai.builtin.customer import MODEL_NAME
from switchboard.ai.builtin.intents import trained
from switchboard.ai.model import (
    Audience,
    Completion,
    ModelMessage,
    StreamItem,
    TextDelta,
    ToolSpec,
)


class BuiltinModel:
    name = MODEL_NAME

    async def complete(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> Completion:
        if audience == Audience.CUSTOMER:
            await trained("customer")
            return customer.respond(messages, tools)
        await trained("staff")
        return staff.respond(messages, tools)

    async def stream(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> AsyncIterator[StreamItem]:
        completion = await self.complete(messages, tools, audience=audience)
        if completion.text and not completion.tool_calls:
            words = completion.text.split(" ")
            for index, word in enumerate(words):
                yield TextDelta(word if index == 0 else " " + word)
        yield completion
