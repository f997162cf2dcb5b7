"""WebSocket `/ws?token=<jwt>`: live events for staff screens, only of the user's tenant."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from switchboard.kit.deps import authenticate
from switchboard.kit.errors import Unauthorized
from switchboard.realtime.connection import LiveConnection, refuse

router = APIRouter(tags=["realtime"])


@router.websocket("/ws")
async def live_events(websocket: WebSocket, token: str | None = None) -> None:
    """Sends `{"type", "data"}` events (`ready` first, then e.g. `task.created`,
    `message.created`, `session.updated`, `resync`); answers `{"type": "ping"}` with pong."""
    state = websocket.app.state
    try:
        user = await authenticate(state.db, state.settings, token)
    except Unauthorized:
        await refuse(websocket)
        return
    await LiveConnection(websocket, state.bus, user).serve()
