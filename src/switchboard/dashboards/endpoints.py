"""The signed-in user's day as the API serves it: the daily digest, who to follow up, and the
CSR, rep and executive dashboards."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from switchboard.dashboards.aggregates import RoleDashboards
from switchboard.dashboards.digest import build_digest, follow_up_queue
from switchboard.dashboards.schemas import CsrDashboard, ExecutiveDashboard, Period, RepDashboard
from switchboard.kit.deps import Session
from switchboard.tenancy.deps import CurrentUser, Manager, StaffWriter, require_role
from switchboard.tenancy.models import Role, User

router = APIRouter(prefix="/api/dashboards", tags=["dashboards"])


@router.get("/digest", response_model=dict[str, Any])
async def digest(user: CurrentUser, session: Session) -> dict[str, Any]:
    """Today's appointments, open and overdue tasks, customers waiting on a reply and the
    follow-ups due, in the user's scope and the company's time zone."""
    return await build_digest(session, user)


@router.get("/follow-ups", response_model=dict[str, Any])
async def follow_ups(
    user: CurrentUser, session: Session, limit: Annotated[int, Query(ge=1, le=25)] = 10
) -> dict[str, Any]:
    """Who to contact next, most pressing first, with every reason and the ids to act on."""
    return await follow_up_queue(session, user, limit)


# --- role dashboards ---

RepViewer = Annotated[User, Depends(require_role(Role.rep, Role.manager, Role.admin))]


@router.get("/csr", response_model=CsrDashboard)
async def csr_dashboard(
    user: StaffWriter, session: Session, day: date | None = None
) -> CsrDashboard:
    """A day's calls by outcome and booking rate (all CSRs' and the user's own), bookings,
    speed to lead, and the live queue: unanswered calls, customers waiting, CSR tasks.
    `day` defaults to today in the company's time zone."""
    return await RoleDashboards(session, user).csr(day)


@router.get("/rep", response_model=RepDashboard)
async def rep_dashboard(
    user: RepViewer, session: Session, day: date | None = None, rep_id: uuid.UUID | None = None
) -> RepDashboard:
    """A rep's day: appointments, shift, open tasks, leads by status, the week's recordings
    and the 30-day win rate. A rep sees their own; a manager may pick any rep by `rep_id`."""
    return await RoleDashboards(session, user).rep(day, rep_id)


@router.get("/executive", response_model=ExecutiveDashboard)
async def executive_dashboard(
    user: Manager, session: Session, period: Period = Period.week
) -> ExecutiveDashboard:
    """The company over the last 7, 30 or 90 days: calls, leads by source, pipeline, speed to
    lead, show rate, task flow, the AI's share and text delivery. Managers and admins only."""
    return await RoleDashboards(session, user).executive(period)
