"""A call's own page: who and when, Otto's analysis with the transcript lines each finding
cites, the tasks it made, what it changed, and the transcript by speaker."""

from __future__ import annotations

import uuid

from fastapi import Request, Response

from switchboard.callintel.views import call_view, line_number_list
from switchboard.kit.deps import Session
from switchboard.tenancy.service import staff_names
from switchboard.web.auth import WebUser
from switchboard.web.pages.common import page_router
from switchboard.web.shell import render, shell_of

router = page_router()


@router.get("/calls/{call_id}")
async def call_page(
    request: Request, call_id: uuid.UUID, user: WebUser, session: Session
) -> Response:
    view = await call_view(session, user, call_id)
    context = {
        "view": view,
        "names": await staff_names(session, user),
        "line_numbers": line_number_list,
    }
    return render(request, "call.html", context, shell=await shell_of(session, user))
