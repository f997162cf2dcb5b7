"""What every page shares: the shell's facts (company, the signed-in user, the waiting
count in the tab title), one render helper that sets the security headers, and the route
class that turns domain errors and signed-out visitors into pages instead of JSON."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kit.errors import SwitchboardError
from switchboard.messaging.service import InboxService
from switchboard.tenancy.models import Role, Tenant, User
from switchboard.tenancy.service import tenant_of
from switchboard.web.auth import CSRF_HEADER, SignInRequired, csrf_token, login_url, set_csrf_cookie
from switchboard.web.templating import templates

# No inline script or style anywhere: htmx's own indicator styles are switched off in the
# page's htmx-config, and every behaviour lives in a file under /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

NAV = (
    ("Inbox", "/inbox"),
    ("Today", "/today"),
    ("Tasks", "/tasks"),
    ("Contacts", "/contacts"),
    ("Assistant", "/assistant"),
    ("Dashboard", "/dashboard"),
)
MANAGER_NAV = (("Settings", "/settings"),)


@dataclass(frozen=True)
class Shell:
    user: User
    tenant: Tenant
    waiting: int | None  # None: not counted for this page; the page's script fetches it

    @property
    def zone(self) -> ZoneInfo:
        return self.tenant.zone

    @property
    def nav(self) -> tuple[tuple[str, str], ...]:
        managers = self.user.role in (Role.manager, Role.admin)
        return NAV + MANAGER_NAV if managers else NAV


async def shell_of(session: AsyncSession, user: User, *, count_waiting: bool = False) -> Shell:
    """The shell's facts. The waiting count reads every conversation of the company, so
    only the inbox, where a CSR watches it, renders it in the page; elsewhere the tab title
    and badge fill in from /inbox/waiting after the page has loaded."""
    tenant = await tenant_of(session, user)
    waiting = await InboxService(session, user).waiting_count() if count_waiting else None
    return Shell(user=user, tenant=tenant, waiting=waiting)


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    shell: Shell | None,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The whole page, or only `block` of it (the fragment htmx swaps): one template for
    both, so a page and its live updates never drift apart."""
    page = {
        "request": request,
        "shell": shell,
        "zone": shell.zone if shell else ZoneInfo("UTC"),
        "csrf_token": csrf_token(request),
        "csrf_header": CSRF_HEADER,
        "path": request.url.path,
        **context,
    }
    response = templates.TemplateResponse(
        request,
        name,
        page,
        status_code=status_code,
        headers={**SECURITY_HEADERS, "Vary": "HX-Request", **(headers or {})},
        block_name=block,
    )
    set_csrf_cookie(request, response)
    return response


def error_page(request: Request, status_code: int, message: str) -> Response:
    if is_htmx(request):
        # Shown in the page's alert region, whatever element asked.
        return render(
            request,
            "error.html",
            {"message": message, "status_code": status_code},
            shell=None,
            block="alert",
            status_code=status_code,
            headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"},
        )
    return render(
        request,
        "error.html",
        {"message": message, "status_code": status_code},
        shell=None,
        status_code=status_code,
    )


class WebRoute(APIRoute):
    """A page route: a domain error becomes an error page (or, for htmx, an alert), and a
    signed-out visitor goes to /login and comes back afterwards."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired as exc:
                target = login_url(exc.next_url)
                if is_htmx(request):
                    return Response(status_code=204, headers={"HX-Redirect": target})
                return RedirectResponse(target, status_code=303)
            except SwitchboardError as exc:
                return error_page(request, exc.status_code, exc.message)
            except RequestValidationError as exc:
                wrong = ", ".join(str(error["loc"][-1]) for error in exc.errors())
                return error_page(request, 422, f"these values are not valid: {wrong}")

        return handle
