"""One staff screen's live socket: authenticated once, then fed the committed events of the
user's own tenant until either side hangs up."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from switchboard.kit.events import EventBus, Subscription
from switchboard.tenancy.models import User
from switchboard.tenancy.service import USER_UPDATED

log = logging.getLogger(__name__)

# 4000-4999 are the application's own close codes; browsers show them to the page, which
# can then send the user to the login screen instead of retrying.
CLOSE_UNAUTHORIZED = 4401
# "Service restart": the client reconnects on its own and is authenticated afresh.
CLOSE_RECONNECT = 1012


async def refuse(websocket: WebSocket) -> None:
    """Accept, then close with 4401: a close before the handshake reaches a browser only as a
    bare failure (HTTP 403), which it cannot tell apart from the network being down."""
    await websocket.accept()
    await websocket.close(code=CLOSE_UNAUTHORIZED, reason="invalid or expired token")


class LiveConnection:
    def __init__(self, websocket: WebSocket, bus: EventBus, user: User) -> None:
        self.websocket = websocket
        self.bus = bus
        self.user = user
        self._send_lock = asyncio.Lock()

    async def serve(self) -> None:
        # Subscribed before "ready" is sent, so a client that waits for it misses nothing;
        # what arrives meanwhile waits in the subscription's queue.
        subscription = self.bus.subscribe(self.user.tenant_id)
        forward: asyncio.Task[None] | None = None
        try:
            await self.websocket.accept()
            await self._send(
                "ready", {"user_id": str(self.user.id), "tenant_id": str(self.user.tenant_id)}
            )
            forward = asyncio.create_task(self._forward(subscription), name="ws-forward")
            await self._receive_until_disconnect(forward)
        except WebSocketDisconnect:
            pass
        finally:
            self.bus.unsubscribe(subscription)
            if forward is not None:
                forward.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await forward
            if self.websocket.application_state == WebSocketState.CONNECTED and (
                self.websocket.client_state == WebSocketState.CONNECTED
            ):
                with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                    await self.websocket.close()

    async def _forward(self, subscription: Subscription) -> None:
        async for event in subscription:
            if event.type == USER_UPDATED:  # for this process's sockets, not for screens
                if event.data.get("user_id") == str(self.user.id):
                    await self._hang_up(deactivated=not event.data.get("active"))
                    return
                continue
            await self._send(event.type, event.data)

    async def _hang_up(self, *, deactivated: bool) -> None:
        """The user was deactivated (the page goes to sign in) or given another role (the
        socket reconnects, read with the new role)."""
        code, reason = (
            (CLOSE_UNAUTHORIZED, "deactivated")
            if deactivated
            else (CLOSE_RECONNECT, "role changed")
        )
        async with self._send_lock:
            await self.websocket.close(code=code, reason=reason)

    async def _receive_until_disconnect(self, forward: asyncio.Task[None]) -> None:
        """Answer pings until the client leaves or forwarding stops (the socket broke)."""
        while True:
            receive = asyncio.create_task(self.websocket.receive())
            done, _ = await asyncio.wait({receive, forward}, return_when=asyncio.FIRST_COMPLETED)
            if receive not in done:
                receive.cancel()
                with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
                    await receive
                if not forward.cancelled() and forward.exception() is not None:
                    log.info("live socket of user %s ended: %r", self.user.id, forward.exception())
                return
            message = receive.result()
            if message["type"] == "websocket.disconnect":
                return
            await self._answer(message.get("text") or "")

    async def _answer(self, text: str) -> None:
        try:
            request = json.loads(text)
        except ValueError:
            return
        if isinstance(request, dict) and request.get("type") == "ping":
            await self._send("pong", {})

    async def _send(self, event_type: str, data: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.websocket.send_json({"type": event_type, "data": data})
