from __future__ import annotations

import uuid

from fastapi import APIRouter

from switchboard.kit.deps import Session
from switchboard.kit.pagination import Page, Paging
from switchboard.tenancy.deps import CurrentUser
from switchboard.timeline.schemas import TimelineItem
from switchboard.timeline.service import contact_timeline

router = APIRouter(prefix="/api", tags=["contacts"])


@router.get("/contacts/{contact_id}/timeline", response_model=Page[TimelineItem])
async def get_contact_timeline(
    contact_id: uuid.UUID,
    user: CurrentUser,
    session: Session,
    paging: Paging,
) -> Page[TimelineItem]:
    items, next_cursor = await contact_timeline(session, user, contact_id, paging)
    return Page[TimelineItem](items=items, next_cursor=next_cursor)
