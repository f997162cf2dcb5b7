"""Server-sent events for a streamed assistant turn, through sse-starlette: each event a name
and compact JSON data, and a comment ping every few seconds, so a proxy or load balancer
never drops the connection as idle while the model thinks."""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from typing import Any

from sse_starlette import EventSourceResponse, ServerSentEvent

# One "\n" a line and a blank line between events: clients split events on "\n\n"
# (web/static/js/assistant.js), so sse-starlette's default "\r\n" would not do.
LINE_END = "\n"

NamedEvent = tuple[str, Mapping[str, Any]]


def sse_frame(event: str, data: Mapping[str, Any]) -> ServerSentEvent:
    body = json.dumps(data, separators=(",", ":"), default=str)
    return ServerSentEvent(body, event=event, sep=LINE_END)


def ping_frame() -> ServerSentEvent:
    """A comment line: every SSE client skips it, every proxy sees bytes flow."""
    return ServerSentEvent(comment="ping", sep=LINE_END)


def sse_response(
    frames: AsyncIterable[ServerSentEvent | bytes],
    *,
    ping_seconds: float,
    headers: Mapping[str, str] | None = None,
) -> EventSourceResponse:
    """A `text/event-stream` response of `frames` (events, or bytes already framed, as
    ChatKit's server writes them), pinging every `ping_seconds` (0: never)."""
    return EventSourceResponse(
        frames,
        headers={"Cache-Control": "no-cache", **(headers or {})},
        ping=ping_seconds,
        sep=LINE_END,
        ping_message_factory=ping_frame,
    )


def event_stream(
    events: AsyncIterable[NamedEvent],
    *,
    ping_seconds: float,
    headers: Mapping[str, str] | None = None,
) -> EventSourceResponse:
    """`sse_response` of named events with JSON data."""

    async def frames() -> AsyncIterator[ServerSentEvent]:
        async for event, data in events:
            yield sse_frame(event, data)

    return sse_response(frames(), ping_seconds=ping_seconds, headers=headers)
