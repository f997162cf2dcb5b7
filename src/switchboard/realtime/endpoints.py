"""WebSocket `/ws`: live events for staff screens, only what the user may read.

Two ways in, and never a long-lived token in the URL (access logs print URLs):
- the web app's session cookie, from a page of our own origin (a cookie rides along on any
  site's socket, so the Origin header must be ours);
- a one-time ticket: `POST /api/realtime/ticket` with the bearer token answers
  `{"ticket", "expires_in"}`, good for one `/ws?ticket=` within 30 seconds.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request, WebSocket
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel

from switchboard.kit.errors import Unauthorized
from switchboard.realtime.connection import LiveConnection, refuse
from switchboard.realtime.tickets import TICKET_SECONDS, Grant, TicketStore
from switchboard.tenancy.deps import CurrentUserDetached, authenticate
from switchboard.tenancy.models import User
from switchboard.tenancy.security import SESSION_COOKIE, access_token_expiry

router = APIRouter(tags=["realtime"])
_bearer = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(websocket: WebSocket, public_url: str) -> bool:
    """The Origin header is the server's own: the public URL's origin, or this request's
    own (its Host, over http for ws and https for wss)."""
    origin = websocket.headers.get("origin")
    if not origin:
        return False
    origin = origin.rstrip("/").lower()
    host = websocket.headers.get("host", "")
    scheme = "https" if websocket.url.scheme == "wss" else "http"
    return origin in (_origin_of(public_url), f"{scheme}://{host}".lower())


class Ticket(BaseModel):
    ticket: str
    expires_in: int


@router.post("/api/realtime/ticket", response_model=Ticket)
async def issue_ticket(
    request: Request,
    user: CurrentUserDetached,
    token: Annotated[str | None, Depends(_bearer)],
) -> Ticket:
    """A one-time ticket that opens one `/ws?ticket=` socket within 30 seconds, for the
    bearer's user; the socket closes when the bearer token expires."""
    assert token is not None  # CurrentUserDetached refused a request without one
    state = request.app.state
    expires_at = access_token_expiry(token, state.settings.secret_key)
    tickets: TicketStore = state.tickets
    ticket = await tickets.issue(Grant(user.id, user.tenant_id, expires_at))
    return Ticket(ticket=ticket, expires_in=TICKET_SECONDS)


async def _user_of_grant(websocket: WebSocket, grant: Grant) -> User:
    """The grant's user, still active and still of the grant's tenant."""
    async with websocket.app.state.db.transaction() as session:
        user = await session.get(User, grant.user_id)
        if user is None or not user.active or user.tenant_id != grant.tenant_id:
            raise Unauthorized("user not found or inactive")
        return user


@router.websocket("/ws")
async def live_events(websocket: WebSocket, ticket: str | None = None) -> None:
    """Sends `{"type", "data"}` events (`ready` first, then e.g. `task.created`,
    `message.created`, `session.updated`, `resync`); answers `{"type": "ping"}` with pong.
    Closes with 4401 when refused, when the session or token expires and when the user is
    deactivated; with 1012 (reconnect) when their role changes."""
    state = websocket.app.state
    settings = state.settings
    try:
        if ticket is not None:
            tickets: TicketStore = state.tickets
            grant = await tickets.redeem(ticket)
            if grant is None:
                raise Unauthorized("unknown, used or expired ticket")
            user = await _user_of_grant(websocket, grant)
            expires_at = grant.token_expires_at
        else:
            cookie = websocket.cookies.get(SESSION_COOKIE)
            if cookie is None or not same_origin(websocket, settings.public_url):
                raise Unauthorized("a session cookie from this site, or a ticket, is required")
            user = await authenticate(state.db, settings, cookie)
            expires_at = access_token_expiry(cookie, settings.secret_key)
    except Unauthorized:
        await refuse(websocket)
        return
    await LiveConnection(websocket, state.hub, user, expires_at).serve()
