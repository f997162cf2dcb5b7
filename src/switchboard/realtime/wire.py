"""Frames written straight to a socket's transport, below ASGI, when the server is uvicorn.

Going through ASGI costs each socket, for each frame, a walk down Starlette's and uvicorn's
`send` and a fresh frame built by the `websockets` protocol object. Server frames are not
masked and compression is off (docs/realtime.md), so the bytes of a frame are the same for
every socket: they are built once per event (`Frame.wire`) and handed to each transport
as they are.

This is only done where it is known to be exact: uvicorn's `websockets` (sans-I/O)
protocol, no extension negotiated (no permessage-deflate), and between the app and that
protocol nothing but wrappers known to pass `websocket.send` through untouched. Anything
else (another server, `wsproto`, deflate on, an unknown middleware, the tests' ASGI
harness) uses the ASGI `send`, which writes the same bytes (`tests/realtime/test_wire.py`).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any, Protocol

from starlette.websockets import WebSocket

# Bytes a transport may hold unsent before a frame is no longer written straight to it: the
# socket then queues in its bounded send queue like any slow socket (and resyncs when that
# is full), so its memory never grows without bound.
WRITE_BUFFER_LIMIT = 64 * 1024

_TEXT_FIN = 0x81  # FIN, opcode 1 (text); server frames carry no mask


def frame_bytes(payload: bytes) -> bytes:
    """One unmasked, uncompressed, final text frame (RFC 6455 section 5.2)."""
    size = len(payload)
    if size < 126:
        return bytes((_TEXT_FIN, size)) + payload
    if size < 1 << 16:
        return struct.pack("!BBH", _TEXT_FIN, 126, size) + payload
    return struct.pack("!BBQ", _TEXT_FIN, 127, size) + payload


class Frame(dict[str, Any]):
    """A ready-made ASGI `websocket.send` message that also carries its bytes on the wire."""

    __slots__ = ("wire",)

    def __init__(self, text: str) -> None:
        super().__init__(type="websocket.send", text=text)
        self.wire = frame_bytes(text.encode())


class Writer(Protocol):
    def write(self, wire: bytes) -> bool:
        """Write a frame now and answer True, or answer False (the socket is behind)."""
        ...


# Wrappers between the app and the server that forward `websocket.send` as it is, by
# qualified name: each keeps the next `send` in a closure variable called `send`.
_PASS_THROUGH = {
    # Starlette's exception handling only watches `http.response.start`.
    (
        "starlette._exception_handler",
        "wrap_app_handling_exceptions.<locals>.wrapped_app.<locals>.sender",
    ),
}
_DEPTH = 8


def _server_send(send: Callable[..., Any]) -> Any:
    """The object whose bound `send` the app's `send` ends in, through known wrappers only."""
    for _ in range(_DEPTH):
        owner = getattr(send, "__self__", None)
        if owner is not None:
            return owner
        code = getattr(send, "__code__", None)
        key = (getattr(send, "__module__", None), getattr(send, "__qualname__", None))
        if code is None or key not in _PASS_THROUGH or "send" not in code.co_freevars:
            return None
        closure = send.__closure__ or ()
        send = closure[code.co_freevars.index("send")].cell_contents
    return None


class UvicornWriter:
    """Writes pre-encoded frames to one uvicorn `websockets` connection's transport."""

    __slots__ = ("_protocol", "_transport")

    def __init__(self, protocol: Any) -> None:
        self._protocol = protocol
        self._transport = protocol.transport

    def write(self, wire: bytes) -> bool:
        protocol, transport = self._protocol, self._transport
        if protocol.close_sent or protocol.disconnected or transport.is_closing():
            return True  # gone or going: nothing to send, the socket's reader ends it
        if not protocol.writable.is_set() or transport.get_write_buffer_size() > WRITE_BUFFER_LIMIT:
            return False
        transport.write(wire)
        return True


def direct_writer(websocket: WebSocket) -> Writer | None:
    """A writer straight to the socket's transport, or None to keep to ASGI's `send`.
    Called once the socket is accepted (the extensions are negotiated by then)."""
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import (
            WebSocketsSansIOProtocol,
        )
    except ImportError:  # pragma: no cover - uvicorn without websockets
        return None
    protocol = _server_send(websocket._send)
    if type(protocol) is not WebSocketsSansIOProtocol:
        return None
    connection = getattr(protocol, "conn", None)
    if connection is None or connection.extensions or protocol.transport is None:
        return None
    return UvicornWriter(protocol)
