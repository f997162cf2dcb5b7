"""Signing in to the web app: the session cookie, the signed-in user, and CSRF protection.

The session cookie holds an ordinary access token, so a web session ends exactly when a
bearer token would (expiry, a deactivated user). Every state-changing request carries the
page's CSRF token (a header from htmx, a hidden field from a plain form) and, when the
browser says where it came from, an Origin of our own."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request, Response

from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.kit.deps import AppSettings, Session, get_db
from switchboard.kit.errors import Forbidden, Unauthorized
from switchboard.tenancy.deps import authenticate, user_from_token
from switchboard.tenancy.models import Role, User
from switchboard.tenancy.security import SESSION_COOKIE

CSRF_COOKIE = "sb_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

HOME_OF_ROLE = {Role.csr: "/inbox", Role.rep: "/today", Role.manager: "/dashboard"}


def home_of(user: User) -> str:
    return HOME_OF_ROLE.get(user.role, "/dashboard")


class SignInRequired(Exception):
    """The page needs a signed-in user; the handler sends the browser to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def login_url(next_url: str | None) -> str:
    return f"/login?next={quote(next_url, safe='/')}" if next_url else "/login"


def safe_next(value: str | None) -> str | None:
    """Only a path on this site: never `//evil.example` or `https://evil.example`."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    return value


def _secure(settings: Settings) -> bool:
    return settings.public_url.startswith("https://")


def start_session(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.access_token_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=_secure(settings),
        path="/",
    )


def end_session(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=_secure(settings), path="/"
    )


async def web_user(request: Request, session: Session, settings: AppSettings) -> User:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired(_here(request))
    try:
        return await user_from_token(session, token, settings)
    except Unauthorized as exc:
        raise SignInRequired(_here(request)) from exc


def _here(request: Request) -> str:
    """Where to come back to after signing in: the page, not the fragment htmx asked for."""
    current = request.headers.get("HX-Current-URL")
    url = urlsplit(current) if current else request.url
    return url.path + (f"?{url.query}" if url.query else "")


WebUser = Annotated[User, Depends(web_user)]


async def web_user_detached(
    request: Request, db: Annotated[Database, Depends(get_db)], settings: AppSettings
) -> User:
    """The signed-in user, read in a transaction of its own that is over before the route
    runs: for a route that commits in steps (an assistant turn), like the API's
    `CurrentUserDetached`, so no request transaction is held while a model answers."""
    try:
        return await authenticate(db, settings, request.cookies.get(SESSION_COOKIE))
    except Unauthorized as exc:
        raise SignInRequired(_here(request)) from exc


WebUserDetached = Annotated[User, Depends(web_user_detached)]


def require_manager(user: WebUser) -> User:
    if user.role not in (Role.manager, Role.admin):
        raise Forbidden("this page is for managers and admins")
    return user


ManagerUser = Annotated[User, Depends(require_manager)]


# --- CSRF ------------------------------------------------------------------------------------------


def _signed(settings: Settings, nonce: str) -> str:
    return hmac.new(
        settings.secret_key.encode(), f"csrf:{nonce}".encode(), hashlib.sha256
    ).hexdigest()


def csrf_nonce(request: Request) -> str:
    """The browser's CSRF nonce: its cookie, or a new one the page response will set."""
    nonce = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_nonce", None)
    if not nonce:
        nonce = secrets.token_urlsafe(24)
        request.state.new_csrf_nonce = nonce
    return nonce


def csrf_token(request: Request) -> str:
    """What the page embeds: the nonce signed with our key, so a token is only good with
    the cookie it was made for."""
    return _signed(request.app.state.settings, csrf_nonce(request))


def set_csrf_cookie(request: Request, response: Response) -> None:
    nonce = getattr(request.state, "new_csrf_nonce", None)
    if nonce:
        response.set_cookie(
            CSRF_COOKIE,
            nonce,
            httponly=True,
            samesite="strict",
            secure=_secure(request.app.state.settings),
            path="/",
        )


def _own_origin(request: Request, settings: Settings) -> set[str]:
    public = urlsplit(settings.public_url)
    return {f"{public.scheme}://{public.netloc}", f"{request.url.scheme}://{request.url.netloc}"}


async def check_csrf(request: Request, settings: AppSettings) -> None:
    """Router-wide: any unsafe method needs our Origin (when sent) and the page's token."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("Origin")
    if origin is not None and origin not in _own_origin(request, settings):
        raise Forbidden("this request came from another site")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        field = (await request.form()).get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    nonce = request.cookies.get(CSRF_COOKIE)
    if not sent or not nonce or not hmac.compare_digest(sent, _signed(settings, nonce)):
        raise Forbidden("the form has expired or did not come from this site; reload the page")
