"""The built-in model's rules for staff conversations."""

from __future__ import annotations

from switchboard.ai.model import Completion, ModelMessage, ToolSpec


def respond(messages: list[ModelMessage], tools: list[ToolSpec]) -> Completion:
    return Completion(text="I can't help with that yet.", model="builtin")
