"""One staff screen's live socket: authenticated once, registered with the process's hub,
fed through its own bounded send queue until either side hangs up, the session or token it
was opened with expires, or the user is deactivated."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from switchboard.realtime.hub import (
    CLOSE_RECONNECT,
    CLOSE_UNAUTHORIZED,
    Frames,
    Hub,
    Outbox,
    encode,
)
from switchboard.tenancy.models import User

__all__ = ["CLOSE_RECONNECT", "CLOSE_UNAUTHORIZED", "LiveConnection", "refuse"]

log = logging.getLogger(__name__)
_PONG = Frames([encode("pong", {})])


async def refuse(websocket: WebSocket, reason: str = "invalid or expired credentials") -> None:
    """Accept, then close with 4401: a close before the handshake reaches a browser only as a
    bare failure (HTTP 403), which it cannot tell apart from the network being down."""
    await websocket.accept()
    await websocket.close(code=CLOSE_UNAUTHORIZED, reason=reason)


class LiveConnection:
    def __init__(self, websocket: WebSocket, hub: Hub, user: User, expires_at: float) -> None:
        self.websocket = websocket
        self.hub = hub
        self.user = user
        self.expires_at = expires_at  # Unix time: the session or token ends then
        self.outbox = Outbox(websocket, user)

    async def serve(self) -> None:
        await self.websocket.accept()
        # "ready" is queued first and the socket joins the hub before it is sent, so a
        # client that waits for it misses nothing: what arrives meanwhile queues behind it.
        ready = {"user_id": str(self.user.id), "tenant_id": str(self.user.tenant_id)}
        self.outbox.push(Frames([encode("ready", ready)]))
        self.hub.join(self.outbox)
        loop = asyncio.get_running_loop()
        expiry = loop.call_later(
            max(0.0, self.expires_at - time.time()),
            self.outbox.close,
            CLOSE_UNAUTHORIZED,
            "session expired",
        )
        sender = asyncio.create_task(self.outbox.run(), name="ws-send")
        try:
            await self._receive_until_done(sender)
        except WebSocketDisconnect:
            pass
        finally:
            expiry.cancel()
            self.hub.leave(self.outbox)
            if not sender.done():
                sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender
            if self.websocket.application_state == WebSocketState.CONNECTED and (
                self.websocket.client_state == WebSocketState.CONNECTED
            ):
                with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                    await self.websocket.close()

    async def _receive_until_done(self, sender: asyncio.Task[None]) -> None:
        """Answer pings until the client leaves or the sender stops (closed or broken)."""
        while True:
            receive = asyncio.create_task(self.websocket.receive())
            done, _ = await asyncio.wait({receive, sender}, return_when=asyncio.FIRST_COMPLETED)
            if receive not in done:
                receive.cancel()
                with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                    await receive
                if not sender.cancelled() and sender.exception() is not None:
                    log.info("live socket of user %s ended: %r", self.user.id, sender.exception())
                return
            message = receive.result()
            if message["type"] == "websocket.disconnect":
                return
            self._answer(message.get("text") or "")

    def _answer(self, text: str) -> None:
        try:
            request = json.loads(text)
        except ValueError:
            return
        if isinstance(request, dict) and request.get("type") == "ping":
            self.outbox.push(_PONG)
