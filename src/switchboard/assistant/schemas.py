from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from switchboard.assistant.models import ChatMessageStatus, ChatRole
from switchboard.kit import limits
from switchboard.kit.schemas import RecordRead, Schema, Str, UpdateSchema

MAX_MESSAGE_CHARS = limits.NOTES
MAX_HISTORY_PAGE = 200
DEFAULT_HISTORY_PAGE = 50


class ConversationCreate(Schema):
    title: Str | None = Field(None, min_length=1, max_length=limits.TITLE)
    # A first message is sent like any other: stored, answered, and it names the chat.
    message: Str | None = Field(None, min_length=1, max_length=MAX_MESSAGE_CHARS)


class ConversationUpdate(UpdateSchema):
    title: Str | None = Field(None, min_length=1, max_length=limits.TITLE)
    pinned: bool | None = None

    not_null = frozenset({"title", "pinned"})


class ConversationRead(RecordRead):
    title: str
    title_is_auto: bool
    pinned: bool
    message_count: int
    last_message_at: datetime
    last_message_preview: str | None


class MessageCreate(Schema):
    content: Str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


class ToolCallRecord(Schema):
    """One tool call the assistant made, as stored and shown to staff."""

    id: str
    name: str
    arguments: dict[str, Any]
    result: Any
    status: Literal["ok", "error"]
    duration_ms: int


class ChatMessageRead(RecordRead):
    conversation_id: uuid.UUID
    seq: int
    role: ChatRole
    content: str
    status: ChatMessageStatus
    tool_calls: list[ToolCallRecord]
    model: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_ms: int | None
    error: str | None


class ChatMessageDetail(ChatMessageRead):
    """With the context the answer was given in (the system prompt's facts)."""

    context: dict[str, Any] | None


class TurnRead(Schema):
    user_message: ChatMessageRead
    assistant_message: ChatMessageDetail


class ConversationCreated(ConversationRead):
    reply: TurnRead | None = None


class MessagePage(Schema):
    """Always oldest first. `next_cursor` is the seq to pass as `before` (older history) or
    as `since` (polling) to get the following page; null when there is none."""

    items: list[ChatMessageRead]
    next_cursor: str | None = None


class SearchHit(Schema):
    conversation_id: uuid.UUID
    conversation_title: str
    message_id: uuid.UUID
    seq: int
    role: ChatRole
    snippet: str
    created_at: datetime


class SearchResults(Schema):
    """Best first; `next_cursor` fetches the next page (null at the end)."""

    query: str
    items: list[SearchHit]
    next_cursor: str | None = None


class ExportFormat(StrEnum):
    markdown = "markdown"
    json = "json"


class ConversationExport(Schema):
    conversation: ConversationRead
    messages: list[ChatMessageDetail]
    exported_at: datetime


class Suggestions(Schema):
    items: list[str]
