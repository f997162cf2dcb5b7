"""Live events for staff screens: recorded in a transaction, published after it commits.

One bus per process. `LocalBus` fans out in memory; `RedisBus` publishes through Redis
pub/sub so an event raised in one process reaches a socket held by another."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)
_PENDING = "switchboard.pending_events"
_CHANNEL_PREFIX = "switchboard:events:"


@dataclass(frozen=True)
class Event:
    type: str
    tenant_id: uuid.UUID
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {"type": self.type, "tenant_id": str(self.tenant_id), "data": self.data}, default=str
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> Event:
        doc = json.loads(raw)
        return cls(type=doc["type"], tenant_id=uuid.UUID(doc["tenant_id"]), data=doc["data"])


def emit(session: AsyncSession, event: Event) -> None:
    """Queue `event` on the session; Database.transaction publishes it after the commit."""
    session.info.setdefault(_PENDING, []).append(event)


def take_pending(session: AsyncSession) -> list[Event]:
    events: list[Event] = session.info.pop(_PENDING, [])
    return events


class EventBus(Protocol):
    async def publish(self, event: Event) -> None: ...

    def subscribe(self, tenant_id: uuid.UUID) -> AsyncIterator[Event]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class LocalBus:
    """In-process fan-out: each subscriber has its own bounded queue."""

    def __init__(self, queue_size: int = 1000) -> None:
        self._queues: dict[uuid.UUID, set[asyncio.Queue[Event]]] = defaultdict(set)
        self._queue_size = queue_size

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, event: Event) -> None:
        self.deliver(event)

    def deliver(self, event: Event) -> None:
        for queue in list(self._queues.get(event.tenant_id, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                log.warning("dropping event for a slow subscriber of %s", event.tenant_id)

    async def subscribe(self, tenant_id: uuid.UUID) -> AsyncIterator[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue(self._queue_size)
        self._queues[tenant_id].add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues[tenant_id].discard(queue)


class RedisBus(LocalBus):
    """Publishes to Redis; one listener per process feeds the local subscribers."""

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis.asyncio as redis

        self._redis = redis.from_url(url)
        self._listener: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name="switchboard-redis-events")
        await asyncio.wait_for(self._ready.wait(), timeout=5)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._redis.aclose()

    async def publish(self, event: Event) -> None:
        await self._redis.publish(f"{_CHANNEL_PREFIX}{event.tenant_id}", event.to_json())

    async def _listen(self) -> None:
        pubsub = self._redis.pubsub()
        await pubsub.psubscribe(f"{_CHANNEL_PREFIX}*")
        self._ready.set()
        try:
            async for message in pubsub.listen():
                if message.get("type") == "pmessage":
                    try:
                        self.deliver(Event.from_json(message["data"]))
                    except (ValueError, KeyError) as exc:
                        log.warning("ignoring a malformed event: %s", exc)
        finally:
            await pubsub.aclose()


def make_bus(redis_url: str | None) -> LocalBus:
    return RedisBus(redis_url) if redis_url else LocalBus()
