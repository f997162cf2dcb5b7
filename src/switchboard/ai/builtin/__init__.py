"""The built-in offline model: deterministic, no network. It reads the request, emits real
tool calls, then phrases their results. Customer conversations (the auto-responder's tools)
and staff conversations (the assistant's tools) have their own rules, and each its own
classifier, learned from `corpus/` once per process (see `intents`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from switchboard.ai.builtin import customer, staff
from switchboard.ai.builtin.customer import MODEL_NAME
from switchboard.ai.builtin.intents import trained
from switchboard.ai.model import Completion, ModelMessage, StreamItem, TextDelta, ToolSpec

CUSTOMER_TOOLSET_MARKER = "hand_to_human"


class BuiltinModel:
    name = MODEL_NAME

    async def complete(self, messages: list[ModelMessage], tools: list[ToolSpec]) -> Completion:
        if any(tool.name == CUSTOMER_TOOLSET_MARKER for tool in tools):
            await trained("customer")
            return customer.respond(messages, tools)
        await trained("staff")
        return staff.respond(messages, tools)

    async def stream(
        self, messages: list[ModelMessage], tools: list[ToolSpec]
    ) -> AsyncIterator[StreamItem]:
        completion = await self.complete(messages, tools)
        if completion.text and not completion.tool_calls:
            words = completion.text.split(" ")
            for index, word in enumerate(words):
                yield TextDelta(word if index == 0 else " " + word)
        yield completion
