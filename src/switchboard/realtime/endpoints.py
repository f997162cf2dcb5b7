"""WebSocket `/ws?token=<jwt>`: live events for staff screens, only of the user's tenant."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from switchboard.kit.deps import authenticate
from switchboard.kit.errors import Unauthorized
from switchboard.realtime.connection import LiveConnection, refuse
from switchboard.tenancy.security import SESSION_COOKIE


def same_origin(websocket: WebSocket, public_url: str) -> bool:
    """A cookie rides along on any site's socket: only our own pages may use it."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return False
    host = origin.split("://", 1)[-1]
    return host in (websocket.headers.get("host"), public_url.split("://", 1)[-1].rstrip("/"))


router = APIRouter(tags=["realtime"])


@router.websocket("/ws")
async def live_events(websocket: WebSocket, token: str | None = None) -> None:
    """Sends `{"type", "data"}` events (`ready` first, then e.g. `task.created`,
    `message.created`, `session.updated`, `resync`); answers `{"type": "ping"}` with pong."""
    state = websocket.app.state
    if token is None and same_origin(websocket, state.settings.public_url):
        token = websocket.cookies.get(SESSION_COOKIE)  # the web app's session
    try:
        user = await authenticate(state.db, state.settings, token)
    except Unauthorized:
        await refuse(websocket)
        return
    await LiveConnection(websocket, state.bus, user).serve()
