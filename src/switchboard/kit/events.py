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
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)
_PENDING = "switchboard.pending_events"
_CHANNEL_PREFIX = "switchboard:events:"
RESYNC = "resync"  # events may have been missed: the screen should reload what it shows


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


class Subscription:
    """One subscriber's bounded queue of a tenant's events. It receives events from the
    moment it is created, so nothing slips by between subscribing and the first read.
    A subscriber too slow to keep up loses events and is told so by a `resync` event."""

    def __init__(self, tenant_id: uuid.UUID, queue_size: int) -> None:
        self.tenant_id = tenant_id
        # None is the end of the stream: it wakes a reader waiting on an empty queue.
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(queue_size)
        self._lagged = False
        self._closed = False

    def offer(self, event: Event) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            if not self._lagged:
                log.warning("dropping events for a slow subscriber of %s", self.tenant_id)
            self._lagged = True

    def close(self) -> None:
        """End the iteration, including one waiting for the next event."""
        self._closed = True
        # A full queue has no reader waiting, and the next read sees `_closed`.
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(None)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        if self._closed:
            raise StopAsyncIteration
        if self._lagged and self._queue.empty():
            self._lagged = False
            return Event(RESYNC, self.tenant_id, {"reason": "missed events"})
        event = await self._queue.get()
        if event is None:
            raise StopAsyncIteration
        return event


class EventBus(Protocol):
    async def publish(self, event: Event) -> None: ...

    async def publish_many(self, events: Sequence[Event]) -> None:
        """Publish `events` in order, at the cost of one publish."""
        ...

    def subscribe(self, tenant_id: uuid.UUID) -> Subscription: ...

    def unsubscribe(self, subscription: Subscription) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Tap(Protocol):
    """A consumer of every event this process's bus delivers (the live sockets' hub). Both
    calls are hand-offs: they must return at once, whatever they do with the event later."""

    def offer(self, event: Event) -> None: ...

    def offer_all(self, event_type: str, data: dict[str, Any]) -> None:
        """An event for every tenant the tap serves (a `resync` after a lost listener)."""
        ...


class LocalBus:
    """In-process fan-out: each subscriber has its own bounded queue, and each tap is handed
    every event."""

    def __init__(self, queue_size: int = 1000) -> None:
        self._subscriptions: dict[uuid.UUID, set[Subscription]] = defaultdict(set)
        self._queue_size = queue_size
        self._taps: list[Tap] = []

    def tap(self, tap: Tap) -> None:
        if tap not in self._taps:
            self._taps.append(tap)

    def untap(self, tap: Tap) -> None:
        if tap in self._taps:
            self._taps.remove(tap)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, event: Event) -> None:
        self.deliver(event)

    async def publish_many(self, events: Sequence[Event]) -> None:
        for event in events:
            self.deliver(event)

    def deliver(self, event: Event) -> None:
        for subscription in list(self._subscriptions.get(event.tenant_id, ())):
            subscription.offer(event)
        for tap in self._taps:
            tap.offer(event)

    def deliver_to_all(self, event_type: str, data: dict[str, Any]) -> None:
        for tenant_id in list(self._subscriptions):
            for subscription in list(self._subscriptions.get(tenant_id, ())):
                subscription.offer(Event(event_type, tenant_id, data))
        for tap in self._taps:
            tap.offer_all(event_type, data)

    def subscribe(self, tenant_id: uuid.UUID) -> Subscription:
        """Start receiving `tenant_id`'s events; pair with `unsubscribe`."""
        subscription = Subscription(tenant_id, self._queue_size)
        self._subscriptions[tenant_id].add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscription.close()
        subscribers = self._subscriptions.get(subscription.tenant_id)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self._subscriptions[subscription.tenant_id]

    def subscriber_count(self, tenant_id: uuid.UUID) -> int:
        return len(self._subscriptions.get(tenant_id, ()))


class RedisBus(LocalBus):
    """Publishes to Redis; one listener per process feeds the local subscribers.

    Pub/sub keeps nothing for a listener that is away: after the listener reconnects, every
    local subscriber gets a `resync` event so its screen reloads instead of silently
    missing changes.

    Publishing is a hand-off once the bus has started: the events queue for one publisher
    task, which sends whatever has queued in one pipelined round trip, in order. A webhook
    answers on its commit, never on Redis's reply (the event comes back to this process's
    listener, and its fan-out, while the answer would still be waiting). `stop` sends what
    is still queued."""

    RECONNECT_MAX_SECONDS = 30.0

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis.asyncio as redis

        self._redis = redis.from_url(url)
        self._listener: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._outgoing: list[Event] = []
        self._queued = asyncio.Event()
        self._publisher: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name="switchboard-redis-events")
        ready = asyncio.create_task(self._ready.wait())
        done, _ = await asyncio.wait(
            {ready, self._listener}, timeout=5, return_when=asyncio.FIRST_COMPLETED
        )
        if ready not in done:
            ready.cancel()
            await self.stop()
            raise ConnectionError("could not subscribe to Redis for live events")
        self._stopping = False
        self._publisher = asyncio.create_task(self._publish_queued(), name="switchboard-redis-out")

    async def stop(self) -> None:
        if self._publisher is not None:
            self._stopping = True
            self._queued.set()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._publisher, timeout=5)
            self._publisher = None
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        await self._redis.aclose()

    async def publish(self, event: Event) -> None:
        await self.publish_many([event])

    async def publish_many(self, events: Sequence[Event]) -> None:
        """Queue `events` for the publisher task, in order; on a bus not started (or one
        whose publisher has ended), send them here and now."""
        if not events:
            return
        if self._publisher is None or self._publisher.done():
            await self._send(events)
            return
        self._outgoing.extend(events)
        self._queued.set()

    async def _publish_queued(self) -> None:
        while True:
            if not self._outgoing:
                if self._stopping:
                    return
                await self._queued.wait()
                self._queued.clear()
                continue
            batch, self._outgoing = self._outgoing, []
            await self._send(batch)

    async def _send(self, events: Sequence[Event]) -> None:
        """One round trip for all of `events`, published in order. The transactions behind
        them have committed: a Redis outage costs live updates, never a request, and screens
        resync when the listener comes back."""
        from redis.exceptions import RedisError

        pipeline = self._redis.pipeline(transaction=False)
        for event in events:
            pipeline.publish(f"{_CHANNEL_PREFIX}{event.tenant_id}", event.to_json())
        try:
            await pipeline.execute()
        except (RedisError, OSError) as exc:
            log.warning("could not publish %d events to Redis: %s", len(events), exc)

    async def _listen(self) -> None:
        from redis.exceptions import RedisError

        delay = 0.5
        connected_before = False
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.psubscribe(f"{_CHANNEL_PREFIX}*")
                async for message in pubsub.listen():
                    if message.get("type") == "psubscribe":
                        # Confirmed by the server: from now on no publish can slip by.
                        if connected_before:
                            self.deliver_to_all(RESYNC, {"reason": "reconnected"})
                        connected_before, delay = True, 0.5
                        self._ready.set()
                    elif message.get("type") == "pmessage":
                        try:
                            self.deliver(Event.from_json(message["data"]))
                        except (ValueError, KeyError, TypeError) as exc:
                            log.warning("ignoring a malformed event: %s", exc)
            except (RedisError, OSError) as exc:
                log.warning("Redis event listener lost its connection (%s); retrying", exc)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.RECONNECT_MAX_SECONDS)


def make_bus(redis_url: str | None) -> LocalBus:
    return RedisBus(redis_url) if redis_url else LocalBus()
