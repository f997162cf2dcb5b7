"""The fan-out over a real uvicorn server with `kit.wsserver.FrameWritingProtocol`, as
`switchboard serve` runs it: a batch's frames reach each socket in one write of bytes
built once, a client that stops reading is sent `resync` while the others get everything,
and a socket that negotiated compression is served through ASGI as before."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
import websockets
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection
from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.uri import parse_uri

from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.kit.events import RESYNC, Event, emit
from switchboard.kit.wsserver import WRITE_FRAMES, FrameWritingProtocol, text_frame
from switchboard.realtime.hub import SEND_QUEUE, Frame, Frames, Hub, Outbox, encode
from switchboard.tenancy.models import Role, User
from tests.factories import Factory
from tests.realtime.conftest import ticket_for
from tests.served import served


def serving(app: FastAPI, deflate: bool = False) -> AbstractAsyncContextManager[int]:
    """The app as `switchboard serve` runs it: uvicorn with the frame-writing protocol."""
    return served(app, lifespan="off", ws=FrameWritingProtocol, ws_per_message_deflate=deflate)


@pytest.fixture
async def live_url(app: FastAPI) -> AsyncIterator[str]:
    async with serving(app) as port:
        yield f"ws://127.0.0.1:{port}/ws"


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bytes]]:
    """Every direct write the served sockets make: (which protocol, what bytes)."""
    seen: list[tuple[int, bytes]] = []
    real = FrameWritingProtocol.write_frames

    def spy(self: FrameWritingProtocol, data: bytes) -> bool:
        written = real(self, data)
        if written:
            seen.append((id(self), data))
        return written

    monkeypatch.setattr(FrameWritingProtocol, "write_frames", spy)
    return seen


async def open_socket(
    url: str, api: httpx.AsyncClient, settings: Settings, user: User, **options: Any
) -> ClientConnection:
    ticket = await ticket_for(api, settings, user)
    client = await websockets.connect(f"{url}?ticket={ticket}", **options)
    ready = json.loads(await client.recv())
    assert ready["type"] == "ready"
    return client


async def test_a_commits_events_reach_each_socket_in_one_write_built_once(
    app: FastAPI,
    api: httpx.AsyncClient,
    db: Database,
    settings: Settings,
    factory: Factory,
    live_url: str,
    writes: list[tuple[int, bytes]],
) -> None:
    tenant = await factory.tenant()
    staff = [await factory.user(tenant, role) for role in (Role.manager, Role.csr)]
    clients = [
        await open_socket(live_url, api, settings, user, compression=None)
        for user in staff
        for _ in range(3)
    ]
    hub: Hub = app.state.hub
    try:
        assert all(outbox.writes_directly for outbox in hub.outboxes(tenant.id))
        writes.clear()  # the ready frames
        encodings = hub.encodings
        async with db.transaction() as session:
            emit(session, Event("session.updated", tenant.id, {"session": {"n": 1}}))
            emit(session, Event("task.created", tenant.id, {"task": {"n": 2}}))
        for client in clients:
            got = [json.loads(await client.recv()) for _ in range(2)]
            assert [(e["type"], next(iter(e["data"].values()))["n"]) for e in got] == [
                ("session.updated", 1),
                ("task.created", 2),
            ]
        assert hub.encodings - encodings == 2  # once per event, not once per socket
        # One write per socket, each holding both frames, and every one the same bytes.
        assert len(writes) == len(clients)
        assert len({protocol for protocol, _ in writes}) == len(clients)
        assert len({data for _, data in writes}) == 1
        assert writes[0][1].count(b'"type":') == 2
    finally:
        for client in clients:
            await client.close()


async def test_a_client_that_stops_reading_is_sent_resync_and_the_others_get_everything(
    app: FastAPI,
    api: httpx.AsyncClient,
    db: Database,
    settings: Settings,
    factory: Factory,
    live_url: str,
) -> None:
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    hub: Hub = app.state.hub
    reader = await open_socket(live_url, api, settings, csr, compression=None)
    stalled = await Stalled.open(live_url, await ticket_for(api, settings, csr))
    received: list[int] = []
    everything = asyncio.Event()  # the reader has the last event

    async def read() -> None:
        async for text in reader:
            event = json.loads(text)
            if event["type"] == "task.updated":
                received.append(event["data"]["task"]["n"])
                if event["data"]["task"].get("last"):
                    everything.set()

    reading = asyncio.create_task(read())
    [slow] = [o for o in hub.outboxes(tenant.id) if o is not hub_outbox_of(hub, reader)]
    pad = "x" * 8000
    sent = 0
    try:
        while slow.resyncs == 0:
            assert sent < 5000, "the stalled socket never fell behind"
            async with db.transaction() as session:
                for _ in range(20):
                    emit(session, Event("task.updated", tenant.id, {"task": {"n": sent}, "p": pad}))
                    sent += 1
            await hub.settled()
            await asyncio.sleep(0.01)  # let the reader and the transports move
        # Memory is bounded: never more than one queue's worth waits for the stalled socket.
        assert slow.backlog <= SEND_QUEUE
        async with db.transaction() as session:
            emit(session, Event("task.updated", tenant.id, {"task": {"n": sent, "last": True}}))
        sent += 1
        await asyncio.wait_for(everything.wait(), 20)
        assert received == list(range(sent))  # the others were not held up, nor lost a frame

        # Once it reads again: what was on the wire, then `resync` for what was dropped,
        # then live again, ending with the last event.
        kinds = await stalled.read_until(
            lambda event: event["data"].get("task", {}).get("n") == sent - 1
        )
        tasks = [k for k in kinds if k[0] == "task.updated"]
        assert (RESYNC, None) in kinds
        assert len(tasks) < sent - SEND_QUEUE  # its backlog was dropped, not delivered late
        assert kinds[-1] == ("task.updated", sent - 1)
    finally:
        reading.cancel()
        stalled.close()
        await reader.close()


def hub_outbox_of(hub: Hub, client: ClientConnection) -> Outbox | None:
    """The server-side outbox of `client` (matched by the client's port)."""
    port = client.local_address[1]
    for outbox in hub.outboxes():
        if outbox.websocket.client is not None and outbox.websocket.client.port == port:
            return outbox
    return None


class Stalled:
    """A client that completes the handshake and then does not read (a laptop that went to
    sleep), with a small receive buffer so the server's side fills quickly."""

    def __init__(self, sock: socket.socket, protocol: ClientProtocol) -> None:
        self.sock = sock
        self.protocol = protocol

    @classmethod
    async def open(cls, url: str, ticket: str) -> Stalled:
        uri = parse_uri(f"{url}?ticket={ticket}")
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        await loop.sock_connect(sock, (uri.host, uri.port))
        protocol = ClientProtocol(uri)
        protocol.send_request(protocol.connect())
        await loop.sock_sendall(sock, b"".join(protocol.data_to_send()))
        stalled = cls(sock, protocol)
        kinds = await stalled.read_until(lambda event: event["type"] == "ready")
        assert kinds == [("ready", None)]
        return stalled

    async def read_until(self, last: Callable[[dict[str, Any]], bool]) -> list[tuple[str, Any]]:
        loop = asyncio.get_running_loop()
        kinds: list[tuple[str, Any]] = []
        async with asyncio.timeout(20):
            while True:
                data = await loop.sock_recv(self.sock, 65536)
                assert data, "the server closed the stalled socket"
                self.protocol.receive_data(data)
                for event in self.protocol.events_received():
                    if not hasattr(event, "opcode") or event.opcode is not Opcode.TEXT:
                        continue
                    frame = json.loads(event.data)
                    kinds.append((frame["type"], frame["data"].get("task", {}).get("n")))
                    if last(frame):
                        return kinds

    def close(self) -> None:
        self.sock.close()


async def test_a_compressed_socket_is_served_through_asgi(
    app: FastAPI, api: httpx.AsyncClient, db: Database, settings: Settings, factory: Factory
) -> None:
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    async with serving(app, deflate=True) as port:
        # websockets' client offers permessage-deflate
        client = await open_socket(f"ws://127.0.0.1:{port}/ws", api, settings, csr)
        try:
            [outbox] = app.state.hub.outboxes(tenant.id)
            assert not outbox.writes_directly
            assert WRITE_FRAMES not in outbox.websocket.scope["extensions"]
            async with db.transaction() as session:
                emit(session, Event("task.created", tenant.id, {"task": {"n": 7}}))
            event = json.loads(await client.recv())
            assert event == {"type": "task.created", "data": {"task": {"n": 7}}}
        finally:
            await client.close()


class Socket:
    """An outbox's socket whose direct writer the test opens and shuts (a paused transport),
    and whose ASGI sends it records."""

    def __init__(self) -> None:
        self.open = True
        self.written: list[bytes] = []
        self.sent: list[str] = []
        self.scope = {"extensions": {WRITE_FRAMES: {"write": self.write}}}

    def write(self, data: bytes) -> bool:
        if self.open:
            self.written.append(data)
        return self.open

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message["text"])


def frame(text: str) -> Frames:
    return Frames([Frame({"type": "websocket.send", "text": text}, text_frame(text.encode()))])


async def test_frames_wait_their_turn_behind_a_queue_and_then_go_direct_again() -> None:
    wire = Socket()
    user = User(id=uuid.uuid4(), tenant_id=uuid.uuid4(), role=Role.csr, name="Desk", active=True)
    outbox = Outbox(wire, user)  # type: ignore[arg-type]
    sender = asyncio.create_task(outbox.run())
    try:
        outbox.push(frame("a"))
        assert wire.written == [text_frame(b"a")] and outbox.backlog == 0
        wire.open = False  # the transport paused: the client stopped reading
        outbox.push(frame("b"))
        wire.open = True  # ...and resumed before the sender ran
        outbox.push(frame("c"))  # must not overtake b
        assert wire.written == [text_frame(b"a")] and outbox.backlog == 2
        for _ in range(5):
            await asyncio.sleep(0)
        assert wire.sent == ["b", "c"] and outbox.backlog == 0
        outbox.push(frame("d"))
        assert wire.written == [text_frame(b"a"), text_frame(b"d")]
    finally:
        sender.cancel()


def test_a_lone_surrogate_still_makes_a_valid_frame() -> None:
    made = encode("message.created", {"message": {"body": "caf\u00e9 \ud83d"}})
    assert made.wire == text_frame(made.message["text"].encode())
    assert json.loads(made.message["text"])["data"]["message"]["body"] == "caf\u00e9 \ud83d"


async def test_a_writer_that_breaks_leaves_the_socket_on_asgi() -> None:
    wire = Socket()

    def broken(data: bytes) -> bool:
        raise AttributeError("'FrameWritingProtocol' object has no attribute 'writable'")

    wire.scope = {"extensions": {WRITE_FRAMES: {"write": broken}}}
    user = User(id=uuid.uuid4(), tenant_id=uuid.uuid4(), role=Role.csr, name="Desk", active=True)
    outbox = Outbox(wire, user)  # type: ignore[arg-type]
    sender = asyncio.create_task(outbox.run())
    try:
        outbox.push(frame("a"))
        outbox.push(frame("b"))
        for _ in range(5):
            await asyncio.sleep(0)
        assert wire.sent == ["a", "b"] and not outbox.writes_directly
    finally:
        sender.cancel()
