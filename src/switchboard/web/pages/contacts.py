"""Contacts: a searchable list, and one contact's card with the whole timeline of what
happened with them (texts, calls with transcript and analysis, appointments, tasks,
recordings)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Request, Response

from switchboard.crm.service import ContactFilters, ContactService
from switchboard.kit.deps import Session
from switchboard.kit.pagination import PageParams
from switchboard.kit.schemas import Str
from switchboard.tenancy.service import staff_names
from switchboard.timeline.service import (
    contact_overview,
    contact_timeline,
    timeline_records,
    timeline_texts,
)
from switchboard.web.auth import WebUser
from switchboard.web.pages.common import page_router
from switchboard.web.shell import is_htmx, render, shell_of

router = page_router()
PAGE = 50
Cursor = Annotated[Str | None, Query(max_length=500)]


@router.get("/contacts")
async def contacts_page(
    request: Request,
    user: WebUser,
    session: Session,
    q: Annotated[Str | None, Query(max_length=100)] = None,
    cursor: Cursor = None,
) -> Response:
    term = (q or "").strip()
    rows, next_cursor = await ContactService(session, user).list_page(
        ContactFilters(q=term or None), PageParams(limit=PAGE, cursor=cursor)
    )
    shell = await shell_of(session, user)
    context = {"contacts": rows, "next_cursor": next_cursor, "q": term}
    if is_htmx(request) and cursor:
        return render(request, "contacts.html", context, shell=shell, block="contact_rows")
    if is_htmx(request) and request.headers.get("HX-Target") == "contact-results":
        return render(request, "contacts.html", context, shell=shell, block="contact_results")
    return render(request, "contacts.html", context, shell=shell)


@router.get("/contacts/{contact_id}")
async def contact_page(
    request: Request, contact_id: uuid.UUID, user: WebUser, session: Session, cursor: Cursor = None
) -> Response:
    overview = await contact_overview(session, user, contact_id)
    items, next_cursor = await contact_timeline(
        session, user, contact_id, PageParams(limit=PAGE, cursor=cursor)
    )
    context = {
        "overview": overview,
        "items": items,
        "records": await timeline_records(session, user, items),
        "texts": await timeline_texts(session, user, items),
        "next_cursor": next_cursor,
        "names": await staff_names(session, user),
    }
    shell = await shell_of(session, user)
    if is_htmx(request) and cursor:
        return render(request, "contact.html", context, shell=shell, block="timeline_items")
    return render(request, "contact.html", context, shell=shell)
