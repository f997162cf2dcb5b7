"""The process's live fan-out: committed events in, pre-encoded frames out to every socket
allowed to read them (docs/realtime.md).

- Publishing is a hand-off. The bus hands each event to `Hub.offer`, which appends it to a
  queue and returns; one fan-out task per process does the rest. A webhook's answer waits
  for its commit, never for the screens.
- Sockets are grouped into audiences: per tenant, everyone who reads the whole company
  (CSRs, managers, admins) is one audience, and each rep is an audience of their own (all
  of that rep's tabs). An event is encoded once (JSON, then its ASGI message and its bytes
  on the wire), and each audience that may read it gets the same frame; a rep audience asks
  the owning service once per batch of events which of their records it may read.
- A batch's frames for one audience go to each of its sockets together: with uvicorn's
  protocol (`kit.wsserver`) as one write of bytes joined once per audience, straight to the
  transport; elsewhere through ASGI, by the socket's own sender.
- Each socket has a bounded send queue. A socket that falls behind (a stalled network, a
  sleeping laptop) has its backlog dropped and is sent `resync`, so it neither holds up
  the others nor grows memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from switchboard.crm.service import ContactService
from switchboard.kit.db import Database
from switchboard.kit.events import RESYNC, Event
from switchboard.kit.wsserver import FrameWriter, frame_writer, text_frame
from switchboard.messaging.service import InboxService
from switchboard.tasks.service import TaskService
from switchboard.tenancy.models import User
from switchboard.tenancy.scope import ScopedService, reads_whole_company
from switchboard.tenancy.service import USER_UPDATED

log = logging.getLogger(__name__)

# Frames a socket may have waiting before its backlog is dropped for a `resync`: at the
# 10 events a second of a busy office, several seconds of a stalled connection.
SEND_QUEUE = 64
# Events waiting for the fan-out task before they are dropped (and every socket resyncs):
# only reached if the process cannot keep up at all.
PENDING_LIMIT = 10_000

# 4000-4999 are the application's own close codes; browsers show them to the page, which
# can then send the user to the login screen instead of retrying.
CLOSE_UNAUTHORIZED = 4401
# "Service restart": the client reconnects on its own and is authenticated afresh.
CLOSE_RECONNECT = 1012

# Sockets a fan-out writes to between two yields to the event loop, so that a request's next
# step never waits behind a whole office's writes (64 direct writes take about 0.7 ms).
YIELD_EVERY = 64

Message = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Frame:
    """One event as sockets receive it, built once per process: the ASGI message, and the
    same frame as bytes on the wire for a server that takes them as they are."""

    message: Message
    wire: bytes


class Frames:
    """Frames that go to a socket together, in order, with their wire bytes joined once for
    every socket of an audience."""

    __slots__ = ("frames", "wire")

    def __init__(self, frames: Sequence[Frame]) -> None:
        self.frames = tuple(frames)
        self.wire = frames[0].wire if len(frames) == 1 else b"".join(f.wire for f in frames)


def encode(event_type: str, data: dict[str, Any]) -> Frame:
    """The frame of one event: `{"type", "data"}` as compact JSON text."""
    event = {"type": event_type, "data": data}
    text = json.dumps(event, separators=(",", ":"), ensure_ascii=False, default=str)
    try:
        payload = text.encode()
    except UnicodeEncodeError:  # a lone surrogate, which UTF-8 cannot carry: JSON escapes can
        text = json.dumps(event, separators=(",", ":"), default=str)
        payload = text.encode()
    return Frame({"type": "websocket.send", "text": text}, text_frame(payload))


def _id(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


Subject = tuple[type[ScopedService[Any]], uuid.UUID | None]


def subject_of(event: Event) -> Subject | None:
    """The record an event is about and the service that owns its read rule, or None for an
    event that is not for screens at all (those are never sent)."""
    kind, data = event.type, event.data
    if kind.startswith("message."):
        return InboxService, _id((data.get("message") or {}).get("session_id"))
    if kind == "session.needs_human":
        if data.get("session_id"):
            return InboxService, _id(data["session_id"])
        return ContactService, _id(data.get("contact_id"))
    if kind.startswith("session."):
        return InboxService, _id((data.get("session") or {}).get("id"))
    if kind.startswith("task."):
        return TaskService, _id((data.get("task") or {}).get("id"))
    if kind.startswith("analysis."):
        # A call's or a visit's analysis: readable by whoever may read its contact.
        return ContactService, _id(data.get("contact_id"))
    return None


class Outbox:
    """One socket's bounded send queue, and how its frames leave.

    With a direct writer (`kit.wsserver`) frames are written the moment they are pushed, as
    long as nothing is queued before them. When the writer cannot take them (the transport
    is paused because the client is not reading, or the server speaks only ASGI) they
    queue, and the socket's sender task drains the queue through ASGI, in order, waiting
    for the transport. The sender is also the socket's only closer, after what it sent."""

    def __init__(self, websocket: WebSocket, user: User, limit: int = SEND_QUEUE) -> None:
        self.websocket = websocket
        self.user = user
        self.limit = limit
        self.resyncs = 0  # how often this socket's backlog was dropped
        self._write: FrameWriter | None = frame_writer(websocket.scope)
        self._frames: deque[Frame] = deque()
        self._sending = False  # the sender holds a frame it took from the queue
        self._waiter: asyncio.Future[None] | None = None
        self._closing: tuple[int, str] | None = None

    @property
    def writes_directly(self) -> bool:
        return self._write is not None

    def push(self, frames: Frames) -> None:
        if self._closing is not None:
            return
        if self._write is not None and not self._frames and not self._sending:
            try:
                if self._write(frames.wire):
                    return
            except Exception:  # a server that changed under us: ASGI still works
                log.exception("direct frame writes failed; this socket sends through ASGI")
                self._write = None
        for frame in frames.frames:
            self._queue(frame)
        self._wake()

    def _queue(self, frame: Frame) -> None:
        if len(self._frames) >= self.limit:
            # Behind by a whole queue: what it holds is stale anyway. Drop it, and have the
            # screen reload what it shows, which includes everything dropped.
            if self.resyncs == 0:
                log.info("live socket of user %s fell behind; resync", self.user.id)
            self.resyncs += 1
            self._frames.clear()
            self._frames.append(_RESYNC_BEHIND)
            return
        self._frames.append(frame)

    def close(self, code: int, reason: str) -> None:
        """Close after nothing else: what is still queued is dropped."""
        if self._closing is None:
            self._closing = (code, reason)
            self._frames.clear()
            self._wake()

    @property
    def backlog(self) -> int:
        return len(self._frames)

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def run(self) -> None:
        """Send until closed; returns when the close is sent, raises if the socket broke."""
        loop = asyncio.get_running_loop()
        while True:
            while self._frames:
                self._sending = True
                try:
                    await self.websocket.send(self._frames.popleft().message)
                finally:
                    self._sending = False
            if self._closing is not None:
                code, reason = self._closing
                with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                    await self.websocket.close(code=code, reason=reason)
                return
            self._waiter = loop.create_future()
            await self._waiter
            self._waiter = None


_RESYNC_BEHIND = encode(RESYNC, {"reason": "fell behind"})


@dataclass(eq=False)
class Audience:
    """The sockets of one tenant that may read the same events: `owner` None for everyone
    who reads the whole company, else one rep (each of their tabs)."""

    tenant_id: uuid.UUID
    owner: User | None
    outboxes: set[Outbox] = field(default_factory=set)


AudienceKey = uuid.UUID | None


class Hub:
    """One per process (app.state.hub): the bus's tap and the sockets' registry."""

    def __init__(self, db: Callable[[], Database], pending_limit: int = PENDING_LIMIT) -> None:
        self._db = db
        self._pending: deque[Event] = deque()
        self._pending_limit = pending_limit
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()  # nothing pending, nothing being fanned out
        self._idle.set()
        self._tenants: dict[uuid.UUID, dict[AudienceKey, Audience]] = {}
        self._task: asyncio.Task[None] | None = None
        self.encodings = 0  # events encoded, for tests and the bench: once per event

    # --- the bus's side: hand-offs that return at once ------------------------------------

    def offer(self, event: Event) -> None:
        if event.tenant_id not in self._tenants:
            return  # nobody of that tenant is connected to this process
        if len(self._pending) >= self._pending_limit:
            log.warning(
                "live fan-out is %d events behind; every socket resyncs", len(self._pending)
            )
            self._pending.clear()
            self.offer_all(RESYNC, {"reason": "fan-out fell behind"})
        self._pending.append(event)
        self._idle.clear()
        self._wake.set()

    def offer_all(self, event_type: str, data: dict[str, Any]) -> None:
        for tenant_id in list(self._tenants):
            self._pending.append(Event(event_type, tenant_id, data))
            self._idle.clear()
        self._wake.set()

    # --- the sockets' side ----------------------------------------------------------------

    def join(self, outbox: Outbox) -> None:
        user = outbox.user
        audiences = self._tenants.setdefault(user.tenant_id, {})
        key: AudienceKey = None if reads_whole_company(user) else user.id
        audience = audiences.get(key)
        if audience is None:
            audience = audiences[key] = Audience(user.tenant_id, None if key is None else user)
        audience.outboxes.add(outbox)
        self._ensure_running()

    def leave(self, outbox: Outbox) -> None:
        audiences = self._tenants.get(outbox.user.tenant_id, {})
        for key, audience in list(audiences.items()):
            audience.outboxes.discard(outbox)
            if not audience.outboxes:
                del audiences[key]
        if not audiences:
            self._tenants.pop(outbox.user.tenant_id, None)

    def outboxes(self, tenant_id: uuid.UUID | None = None) -> list[Outbox]:
        """The sockets of `tenant_id` (of every tenant, given None) on this process."""
        tenants = [tenant_id] if tenant_id is not None else list(self._tenants)
        return [
            outbox
            for tenant in tenants
            for audience in self._tenants.get(tenant, {}).values()
            for outbox in audience.outboxes
        ]

    def socket_count(self, tenant_id: uuid.UUID | None = None) -> int:
        return len(self.outboxes(tenant_id))

    def audience_count(self, tenant_id: uuid.UUID) -> int:
        return len(self._tenants.get(tenant_id, {}))

    # --- the fan-out task ----------------------------------------------------------------

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="switchboard-live-fan-out")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._pending.clear()
        self._idle.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            # One more turn of the loop: what the bus delivers from the same read (a commit's
            # events through Redis) joins this batch, and so each socket's single write.
            await asyncio.sleep(0)
            self._wake.clear()
            batch = list(self._pending)
            self._pending.clear()
            try:
                await self.fan_out(batch)
            except Exception:  # one bad batch must not end live updates for the process
                log.exception("live fan-out failed for %d events", len(batch))
            if not self._pending:
                self._idle.set()

    async def settled(self) -> None:
        """Until every event offered so far has been handed to the sockets' queues (tests
        on one shared connection wait for it before their next request)."""
        await self._idle.wait()

    async def fan_out(self, batch: list[Event]) -> None:
        readable = await self._readable(batch)
        plan: dict[Audience, list[Frame]] = {}  # each audience's frames of this batch
        for event in batch:
            audiences = self._tenants.get(event.tenant_id)
            if not audiences:
                continue
            if event.type == USER_UPDATED:
                await self._deliver(plan)  # what came before the close goes first
                plan = {}
                self._user_updated(event, audiences.values())
                continue
            if event.type == RESYNC:
                allowed = list(audiences.values())
            else:
                subject = subject_of(event)
                if subject is None:
                    continue  # not for screens (e.g. an assistant turn's stop request)
                service, ident = subject
                allowed = [
                    audience
                    for audience in audiences.values()
                    if audience.owner is None or ident in readable.get((audience, service), set())
                ]
            frame: Frame | None = None
            for audience in allowed:
                if frame is None:  # encoded once, and only if someone gets it
                    frame = encode(event.type, event.data)
                    self.encodings += 1
                plan.setdefault(audience, []).append(frame)
        await self._deliver(plan)

    async def _deliver(self, plan: dict[Audience, list[Frame]]) -> None:
        """Each audience's frames go to each of its sockets as one push (one write, where the
        socket writes directly), yielding to the loop every `YIELD_EVERY` sockets."""
        pushed = 0
        for audience, frames in plan.items():
            together = Frames(frames)
            for outbox in list(audience.outboxes):
                outbox.push(together)
                pushed += 1
                if pushed % YIELD_EVERY == 0:
                    await asyncio.sleep(0)

    async def _readable(
        self, batch: list[Event]
    ) -> dict[tuple[Audience, type[ScopedService[Any]]], set[uuid.UUID]]:
        """For each rep audience with events in `batch`: which of those events' records the
        rep may read, asked of the owning service (one query per service per audience)."""
        wanted: dict[tuple[Audience, type[ScopedService[Any]]], set[uuid.UUID]] = {}
        for event in batch:
            subject = subject_of(event)
            if subject is None or subject[1] is None:
                continue
            for audience in self._tenants.get(event.tenant_id, {}).values():
                if audience.owner is not None:
                    wanted.setdefault((audience, subject[0]), set()).add(subject[1])
        readable: dict[tuple[Audience, type[ScopedService[Any]]], set[uuid.UUID]] = {}
        if not wanted:
            return readable
        try:
            async with self._db().sessionmaker() as session:
                for (audience, service), ids in wanted.items():
                    assert audience.owner is not None
                    scoped = service(session, audience.owner)
                    readable[(audience, service)] = await scoped.visible_ids(ids)
        except Exception:  # the database is away: a rep hears nothing rather than too much
            log.exception("could not check which live events reps may read")
        return readable

    def _user_updated(self, event: Event, audiences: Iterable[Audience]) -> None:
        """A deactivated user's sockets close (the page goes to sign in); a new role makes
        them reconnect, to be read with it. Nobody else hears of it."""
        user_id = str(event.data.get("user_id"))
        deactivated = not event.data.get("active")
        for audience in list(audiences):
            for outbox in list(audience.outboxes):
                if str(outbox.user.id) == user_id:
                    if deactivated:
                        outbox.close(CLOSE_UNAUTHORIZED, "deactivated")
                    else:
                        outbox.close(CLOSE_RECONNECT, "role changed")
