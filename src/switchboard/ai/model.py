"""The one model interface the staff assistant and the customer auto-responder share.

`complete(messages, tools, audience=...)` returns text or tool calls plus usage; the caller
says which conversation it serves (a customer's thread or a staff member's chat). Providers: `builtin`
(offline, deterministic) and `openai` (any OpenAI-compatible endpoint). Domain code never
imports a provider SDK; it talks to `ChatModel`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Protocol

Role = Literal["system", "user", "assistant", "tool"]


class Audience(StrEnum):
    """Whom the model answers: a customer (the auto-responder) or a staff member (the
    assistant). A provider that keeps one set of rules for both may ignore it."""

    CUSTOMER = "customer"
    STAFF = "staff"


@dataclass(frozen=True)
class ToolSpec:
    """A tool the model may call: a name, what it does, and a JSON schema for arguments."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]
    raw_arguments: str | None = None  # as the model sent them, when they were not valid JSON


@dataclass(frozen=True)
class ModelMessage:
    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False


@dataclass(frozen=True)
class Completion:
    text: str | None
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = field(default_factory=Usage)
    model: str = ""


@dataclass(frozen=True)
class TextDelta:
    """A streamed piece of the reply's text."""

    text: str


StreamItem = TextDelta | Completion  # deltas, then exactly one final Completion


class ModelError(Exception):
    """The model could not answer (unreachable, timed out, refused the key...)."""


class ChatModel(Protocol):
    name: str

    async def complete(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> Completion: ...

    def stream(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> AsyncIterator[StreamItem]:
        """Text deltas as they come, then the final Completion (with any tool calls)."""
        ...


def estimate_tokens(text: str) -> int:
    """About four characters a token: used when a server reports no usage."""
    return max(1, (len(text) + 3) // 4) if text else 0
