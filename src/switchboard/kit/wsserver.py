"""uvicorn's WebSocket protocol with one addition: a socket may be handed frames that are
already on-the-wire bytes, so a fan-out that sends one event to a thousand sockets builds
its frame once instead of once per socket, and writes it without a trip through the ASGI
`send` chain.

The addition is an ASGI extension, `scope["extensions"][WRITE_FRAMES]["write"]`: a callable
taking the bytes of whole, unmasked, uncompressed server frames (`text_frame`) and writing
them to the transport now. It returns False, writing nothing, whenever it cannot: before
the handshake, once a close has begun, while the transport is paused (the client is not
reading and the buffer is over its high-water mark), and on a connection that negotiated
an extension (per-message deflate frames are compressed per socket, so none can be shared)
— the caller then sends through ASGI as usual, which waits for the transport. A server that
does not offer the extension (any other ASGI server, the tests' in-process harness) serves
the same app over plain ASGI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State

WRITE_FRAMES = "switchboard.websocket.write_frames"

FrameWriter = Callable[[bytes], bool]


def text_frame(payload: bytes) -> bytes:
    """One whole text frame as a server sends it (unmasked, no extension), header and all."""
    return Frame(Opcode.TEXT, payload).serialize(mask=False)


def frame_writer(scope: Any) -> FrameWriter | None:
    """The socket's direct writer, when its server offers one."""
    extension = (scope.get("extensions") or {}).get(WRITE_FRAMES)
    return extension.get("write") if extension else None


class FrameWritingProtocol(WebSocketsSansIOProtocol):
    """`uvicorn.run(app, ws=FrameWritingProtocol)`: uvicorn's own protocol (the one it picks
    when `websockets` is installed), offering `WRITE_FRAMES` on each accepted socket that
    negotiated no extension."""

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None and not self.conn.extensions:
            scope["extensions"][WRITE_FRAMES] = {"write": self.write_frames}

    def write_frames(self, data: bytes) -> bool:
        if (
            not self.handshake_complete
            or self.close_sent
            or self.initial_response is not None
            or self.conn.state is not State.OPEN
            or not self.writable.is_set()
            or self.transport.is_closing()
        ):
            return False
        self.transport.write(data)
        return True
