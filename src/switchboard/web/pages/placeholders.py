"""The screens a later release fills in (the rep's day, dashboards),
showing plainly what the API already knows meanwhile."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from switchboard.dashboards.aggregates import RoleDashboards
from switchboard.dashboards.digest import build_digest
from switchboard.dashboards.schemas import Period
from switchboard.kit.deps import Session
from switchboard.tenancy.models import Role
from switchboard.web.auth import WebUser
from switchboard.web.pages.common import page_router
from switchboard.web.shell import render, shell_of

router = page_router()


@router.get("/today")
async def today(request: Request, user: WebUser, session: Session) -> Response:
    digest = await build_digest(session, user)
    return render(request, "today.html", {"digest": digest}, shell=await shell_of(session, user))


@router.get("/dashboard")
async def dashboard(
    request: Request,
    user: WebUser,
    session: Session,
    period: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    dashboards = RoleDashboards(session, user)
    chosen = Period(period) if period in {p.value for p in Period} else Period.week
    context: dict[str, object] = {"period": chosen, "periods": list(Period)}
    if user.role in (Role.manager, Role.admin):
        context["executive"] = await dashboards.executive(chosen)
    elif user.role == Role.rep:
        context["rep"] = await dashboards.rep()
    else:
        context["csr"] = await dashboards.csr()
    return render(request, "dashboard.html", context, shell=await shell_of(session, user))
