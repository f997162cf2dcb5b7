"""Our stored chat messages as ChatKit thread items, and back to the message they came from.

A user message is a `user_message` item; an assistant message is one `task` item per tool
call (naming the tool, with its arguments, result and status) followed by its
`assistant_message` item. Item ids are the message's id (a tool call's adds `-tool-N`), and
the reply's id is chosen before it streams, so the ids a stream announces are the ids a
reload lists."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chatkit.types import (
    AssistantMessageContent,
    AssistantMessageItem,
    CustomTask,
    InferenceOptions,
    TaskItem,
    ThreadItem,
    UserMessageInput,
    UserMessageItem,
    UserMessageTagContent,
    UserMessageTextContent,
)

from switchboard.assistant.models import ChatMessage, ChatRole

TOOL_MARK = "-tool-"
SHOWN_JSON_CHARS = 2_000  # a tool result shown in a task; the whole of it is in the JSON API


@dataclass(frozen=True)
class ItemRef:
    """Where an item id points: a message, and which of its items (tool N, or the text)."""

    message_id: uuid.UUID
    tool_index: int | None = None


def tool_item_id(message_id: uuid.UUID, index: int) -> str:
    return f"{message_id}{TOOL_MARK}{index}"


def parse_item_id(item_id: str) -> ItemRef | None:
    """None for an id that none of our items has."""
    head, mark, tail = item_id.partition(TOOL_MARK)
    try:
        message_id = uuid.UUID(head)
    except ValueError:
        return None
    if not mark:
        return ItemRef(message_id)
    if not tail.isdigit():
        return None
    return ItemRef(message_id, int(tail))


def input_text(message: UserMessageInput | UserMessageItem) -> str:
    """What the user typed: text and tags in order, after the text they quoted."""
    parts: list[str] = []
    for part in message.content:
        if isinstance(part, UserMessageTextContent | UserMessageTagContent):
            parts.append(part.text)
    text = "".join(parts).strip()
    if message.quoted_text and message.quoted_text.strip():
        quoted = "\n".join("> " + line for line in message.quoted_text.strip().splitlines())
        text = f"{quoted}\n\n{text}"
    return text


def _json(value: Any) -> str:
    # Sorted: PostgreSQL (jsonb) gives keys back in its own order, and a reload shows
    # exactly what the stream did.
    shown = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    if len(shown) > SHOWN_JSON_CHARS:
        shown = shown[:SHOWN_JSON_CHARS] + "\n…"
    return shown


def tool_task(
    name: str, arguments: dict[str, Any], record: dict[str, Any] | None = None
) -> CustomTask:
    """A tool call as a ChatKit task: running (`record` None) or finished."""
    lines = ["**Arguments**", "", "```json", _json(arguments), "```"]
    if record is None:
        return CustomTask(
            title=name, icon="bolt", content="\n".join(lines), status_indicator="loading"
        )
    failed = record.get("status") == "error"
    lines += [
        "",
        f"**Result** ({'failed' if failed else 'ok'}, {record.get('duration_ms', 0)} ms)",
        "",
        "```json",
        _json(record.get("result")),
        "```",
    ]
    return CustomTask(
        title=f"{name} (failed)" if failed else name,
        icon="bolt" if failed else "check-circle",
        content="\n".join(lines),
        status_indicator="complete",
    )


def tool_item(
    thread_id: str,
    message_id: uuid.UUID,
    index: int,
    created_at: datetime,
    name: str,
    arguments: dict[str, Any],
    record: dict[str, Any] | None = None,
) -> TaskItem:
    return TaskItem(
        id=tool_item_id(message_id, index),
        thread_id=thread_id,
        created_at=created_at,
        task=tool_task(name, arguments, record),
    )


def reply_item(
    thread_id: str, message_id: uuid.UUID, created_at: datetime, text: str
) -> AssistantMessageItem:
    return AssistantMessageItem(
        id=str(message_id),
        thread_id=thread_id,
        created_at=created_at,
        content=[AssistantMessageContent(text=text)] if text else [],
    )


def message_items(thread_id: str, message: ChatMessage) -> list[ThreadItem]:
    """A stored message as the items ChatKit shows, oldest first."""
    if message.role == ChatRole.user:
        return [
            UserMessageItem(
                id=str(message.id),
                thread_id=thread_id,
                created_at=message.created_at,
                content=[UserMessageTextContent(text=message.content)],
                inference_options=InferenceOptions(),
            )
        ]
    items: list[ThreadItem] = [
        tool_item(
            thread_id,
            message.id,
            index,
            message.created_at,
            str(record.get("name", "")),
            record.get("arguments") or {},
            record,
        )
        for index, record in enumerate(message.tool_calls)
    ]
    if message.content:
        items.append(reply_item(thread_id, message.id, message.created_at, message.content))
    return items


def position(message: ChatMessage, ref: ItemRef) -> int:
    """The item's place among its message's items (tool calls first, then the text)."""
    return ref.tool_index if ref.tool_index is not None else len(message.tool_calls)
