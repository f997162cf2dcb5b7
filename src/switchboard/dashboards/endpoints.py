"""The signed-in user's day as the API serves it: the daily digest and who to follow up."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from switchboard.dashboards.digest import build_digest, follow_up_queue
from switchboard.kit.deps import CurrentUser, Session

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
