"""Frames written straight to uvicorn's transport are the frames ASGI's `send` writes; the
direct path is taken only where it is exact, and a socket whose transport is behind queues
(and resyncs) like any slow socket."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.asyncio.client import connect
from websockets.protocol import State
from websockets.server import ServerProtocol

from switchboard.kit.events import RESYNC
from switchboard.realtime.hub import Outbox, encode
from switchboard.realtime.wire import frame_bytes
from switchboard.tenancy.models import Role, User

# Sizes either side of each of the frame header's three length forms, and non-ASCII text.
TEXTS = ["", "x" * 125, "x" * 126, "é" * 40_000, "x" * 65_535, "x" * 65_536, "x" * 200_000]


def _user() -> User:
    return User(id=uuid.uuid4(), tenant_id=uuid.uuid4(), role=Role.csr, name="Desk", active=True)


@pytest.mark.parametrize("text", TEXTS, ids=lambda t: f"{len(t.encode())}B")
def test_a_pre_encoded_frame_is_the_frame_websockets_builds(text: str) -> None:
    protocol = ServerProtocol()
    protocol.state = State.OPEN  # as after the handshake
    protocol.send_text(text.encode())
    assert frame_bytes(text.encode()) == b"".join(protocol.data_to_send())


def test_encode_gives_the_asgi_message_and_its_wire_bytes() -> None:
    frame = encode("task.updated", {"task": {"title": "Café"}})
    assert frame == {"type": "websocket.send", "text": frame["text"]}
    assert json.loads(frame["text"]) == {
        "type": "task.updated",
        "data": {"task": {"title": "Café"}},
    }
    assert frame.wire == frame_bytes(frame["text"].encode())  # type: ignore[attr-defined]


# --- through a real uvicorn -------------------------------------------------------------------

FRAMES = [encode("task.updated", {"n": n, "pad": text}) for n, text in enumerate(TEXTS)]


def _app(outboxes: list[Outbox]) -> Starlette:
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        outbox = Outbox(websocket, _user())
        if websocket.query_params.get("direct") == "1":
            outbox.use_direct_writer()
        outboxes.append(outbox)
        sender = asyncio.create_task(outbox.run())
        for frame in FRAMES:
            outbox.push(frame)
        for _ in range(500):  # a close drops what is still queued: let it all go out
            if not outbox.backlog:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        outbox.close(1000, "done")
        await sender
        try:
            while (await websocket.receive())["type"] != "websocket.disconnect":
                pass
        except WebSocketDisconnect:
            pass

    return Starlette(routes=[WebSocketRoute("/ws", endpoint)])


@asynccontextmanager
async def _uvicorn(app: Starlette, deflate: bool) -> AsyncIterator[str]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        app, lifespan="off", log_level="warning", ws="auto", ws_per_message_deflate=deflate
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.01)
        yield f"ws://127.0.0.1:{port}/ws"
    finally:
        server.should_exit = True
        await task
        listener.close()


async def _received(url: str, deflate: bool) -> list[Any]:
    texts = []
    async with connect(url, compression="deflate" if deflate else None, max_size=None) as ws:
        async for text in ws:
            texts.append(text)
    return texts


@pytest.mark.parametrize("deflate", [False, True], ids=["plain", "deflate"])
async def test_uvicorn_delivers_the_same_frames_straight_and_through_asgi(deflate: bool) -> None:
    outboxes: list[Outbox] = []
    async with _uvicorn(_app(outboxes), deflate) as url:
        straight = await _received(url + "?direct=1", deflate)
        through_asgi = await _received(url, deflate)
    assert straight == through_asgi == [frame["text"] for frame in FRAMES]
    direct, asgi = outboxes
    assert asgi.direct is None and asgi.written == 0
    if deflate:
        # Each socket compresses with its own context: a shared frame would be wrong.
        assert direct.direct is None and direct.written == 0
    else:
        assert direct.direct is not None and direct.written == len(FRAMES)


class Tap:
    """A middleware that wraps `send` (as one that counts or rewrites frames would)."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.seen: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def tapped(message: Any) -> None:
            self.seen.append(message["type"])
            await send(message)

        await self.app(scope, receive, tapped)


async def test_an_unknown_middleware_around_send_keeps_frames_going_through_it() -> None:
    outboxes: list[Outbox] = []
    tap = Tap(_app(outboxes))
    async with _uvicorn(tap, deflate=False) as url:  # type: ignore[arg-type]
        received = await _received(url + "?direct=1", deflate=False)
    assert received == [frame["text"] for frame in FRAMES]
    assert outboxes[0].direct is None
    assert tap.seen.count("websocket.send") == len(FRAMES)  # none went around it


def test_no_direct_writer_outside_uvicorn() -> None:
    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: Any) -> None: ...

    websocket = WebSocket({"type": "websocket", "path": "/ws", "headers": []}, receive, send)
    outbox = Outbox(websocket, _user())
    outbox.use_direct_writer()
    assert outbox.direct is None


# --- flow control -----------------------------------------------------------------------------


class Transport:
    """A writer whose buffer the test fills and drains; `sent` is what went out by ASGI."""

    def __init__(self) -> None:
        self.full = False
        self.wire: list[bytes] = []
        self.sent: list[str] = []
        self.gate = asyncio.Event()
        self.gate.set()

    def write(self, wire: bytes) -> bool:
        if self.full:
            return False
        self.wire.append(wire)
        return True

    async def send(self, message: dict[str, Any]) -> None:
        await self.gate.wait()
        self.sent.append(message["text"])

    async def close(self, code: int = 1000, reason: str = "") -> None:
        pass


def _kinds(texts: list[str]) -> list[tuple[str, Any]]:
    return [(e["type"], e["data"].get("n")) for e in map(json.loads, texts)]


async def test_a_socket_whose_transport_is_behind_queues_in_order_then_resyncs() -> None:
    transport = Transport()
    outbox = Outbox(transport, _user(), limit=4)  # type: ignore[arg-type]
    outbox.direct = transport
    sender = asyncio.create_task(outbox.run())
    try:
        outbox.push(encode("task.updated", {"n": 0}))
        assert len(transport.wire) == 1 and outbox.backlog == 0  # straight out, no task

        transport.full = True  # the buffer is over its limit: queue, through ASGI
        transport.gate.clear()  # ... and the network is stalled
        for n in range(1, 3):
            outbox.push(encode("task.updated", {"n": n}))
        await asyncio.sleep(0)  # the sender takes frame 1 and waits on the network
        transport.full = False  # the buffer drained, but frames 2.. are still queued:
        outbox.push(encode("task.updated", {"n": 3}))  # ... so 3 must queue behind them
        assert len(transport.wire) == 1
        for n in range(4, 12):  # past the queue's limit: backlog dropped for one resync
            outbox.push(encode("task.updated", {"n": n}))
        assert outbox.backlog <= 4 and outbox.resyncs >= 1

        transport.gate.set()
        for _ in range(20):
            await asyncio.sleep(0)
        assert outbox.backlog == 0
        kinds = _kinds(transport.sent)
        assert kinds[0] == ("task.updated", 1)
        assert (RESYNC, None) in kinds
        numbers = [n for _, n in kinds if n is not None]
        assert numbers == sorted(numbers)  # in order, whatever was dropped

        outbox.push(encode("task.updated", {"n": 12}))  # caught up: straight out again
        assert len(transport.wire) == 2
    finally:
        sender.cancel()
