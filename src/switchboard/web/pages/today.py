"""/today: a rep's day on their phone (the appointments in order with directions, call, text
and the customer's last messages; the shift; the tasks), and the one-tap "On my way" text.
A rep sees their own day; a manager or admin may open any rep's."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Query, Request, Response

from switchboard.dashboards.today import rep_day, send_on_my_way
from switchboard.kit.deps import Session
from switchboard.kit.errors import OptedOut
from switchboard.tenancy.models import User
from switchboard.web.auth import WebUser
from switchboard.web.pages.common import back_to, page_router
from switchboard.web.shell import is_htmx, render, shell_of

router = page_router()


async def _context(session: Session, user: User, rep_id: uuid.UUID | None) -> dict[str, Any]:
    day = await rep_day(session, user, rep_id)
    return {"day": day, "board": day.board, "rep_id": rep_id}


@router.get("/today")
async def today(
    request: Request,
    user: WebUser,
    session: Session,
    rep: Annotated[uuid.UUID | None, Query()] = None,
) -> Response:
    context = await _context(session, user, rep)
    return render(request, "today.html", context, shell=await shell_of(session, user))


@router.post("/today/appointments/{appointment_id}/on-my-way")
async def on_my_way(
    request: Request,
    appointment_id: uuid.UUID,
    user: WebUser,
    session: Session,
    rep: Annotated[uuid.UUID | None, Query()] = None,
) -> Response:
    sent_note = "On my way text sent"
    try:
        await send_on_my_way(session, user, appointment_id)
    except OptedOut as exc:
        sent_note = exc.message  # nothing was sent; the card says why
    back = f"/today?rep={rep}" if rep else "/today"
    if not is_htmx(request):
        return back_to(request, back)
    context = await _context(session, user, rep)
    stop = next((s for s in context["day"].stops if s.appointment.id == appointment_id), None)
    if stop is None:  # not on the day shown (it moved meanwhile): show the day again
        return back_to(request, back)
    context.update(stop=stop, note=sent_note)
    return render(request, "today.html", context, shell=None, block="stop_card")
