"""What page modules share: their router's shape and the reply to a form POST."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from switchboard.web.auth import check_csrf
from switchboard.web.shell import WebRoute, is_htmx


def page_router() -> APIRouter:
    """Page routes: HTML errors, sign-in redirects, CSRF checked on every unsafe method."""
    return APIRouter(route_class=WebRoute, dependencies=[Depends(check_csrf)])


def back_to(request: Request, url: str) -> Response:
    """After a plain form POST (no script): see the page again, as a browser expects."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Location": url})
    return RedirectResponse(url, status_code=303)
