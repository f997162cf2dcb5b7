"""Signing in and out, and `/`, which sends each person to their home screen."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import RedirectResponse

from switchboard.kit.deps import AppSettings, Session
from switchboard.kit.errors import RateLimited, Unauthorized
from switchboard.kit.schemas import Str
from switchboard.tenancy import service as tenancy
from switchboard.tenancy.deps import user_from_token
from switchboard.tenancy.throttle import Throttle, client_address
from switchboard.web.auth import (
    SESSION_COOKIE,
    WebUser,
    end_session,
    home_of,
    safe_next,
    start_session,
)
from switchboard.web.pages.common import page_router
from switchboard.web.shell import render

router = page_router()
WRONG_CREDENTIALS = "Wrong email or password"


@router.get("/")
async def home(request: Request, session: Session, settings: AppSettings) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        try:
            user = await user_from_token(session, token, settings)
        except Unauthorized:
            pass
        else:
            return RedirectResponse(home_of(user), status_code=303)
    return RedirectResponse("/login", status_code=303)


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:
    return render(
        request, "login.html", {"next": safe_next(next), "error": None, "email": ""}, shell=None
    )


@router.post("/login")
async def login(
    request: Request,
    session: Session,
    settings: AppSettings,
    throttle: Throttle,
    email: Annotated[Str, Form(max_length=320)] = "",
    password: Annotated[Str, Form(max_length=1000)] = "",
    next: Annotated[Str | None, Form(max_length=2000)] = None,
) -> Response:
    context: dict[str, object] = {"next": safe_next(next), "email": email}
    try:
        token = await tenancy.login(
            session,
            settings,
            email,
            password,
            throttle=throttle,
            client_address=client_address(request),
        )
    except Unauthorized:
        context["error"] = WRONG_CREDENTIALS
        return render(request, "login.html", context, shell=None, status_code=401)
    except RateLimited as exc:
        context["error"] = f"Too many failed sign-ins. Try again in {exc.retry_after} seconds."
        headers = {"Retry-After": str(exc.retry_after)}
        return render(request, "login.html", context, shell=None, status_code=429, headers=headers)
    user = await user_from_token(session, token.access_token, settings)
    response = RedirectResponse(safe_next(next) or home_of(user), status_code=303)
    start_session(response, settings, token.access_token)
    return response


@router.post("/logout")
async def logout(user: WebUser, settings: AppSettings) -> Response:
    response = RedirectResponse("/login", status_code=303)
    end_session(response, settings)
    return response
