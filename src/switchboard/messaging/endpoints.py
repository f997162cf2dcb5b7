"""The inbox API: sessions, their messages, takeover, and a contact's thread (read and send)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from switchboard.kit.deps import Session
from switchboard.kit.pagination import Page, Paging, to_page
from switchboard.messaging import jobs as _jobs  # noqa: F401  (registers the send handlers)
from switchboard.messaging import outbound, service
from switchboard.messaging.schemas import (
    InboxSessionRead,
    MessageRead,
    SessionFilters,
    SessionRead,
    StaffMessageCreate,
)
from switchboard.messaging.service import InboxService
from switchboard.tenancy.deps import CurrentUser

router = APIRouter(prefix="/api", tags=["inbox"])

MESSAGE_PAGES = (
    "Pages walk back in time: the first page holds the newest messages and `next_cursor` "
    "fetches older ones. Within a page, messages read oldest to newest, as a thread shows them."
)


@router.get("/inbox/sessions", response_model=Page[InboxSessionRead])
async def list_sessions(
    user: CurrentUser,
    session: Session,
    paging: Paging,
    filters: Annotated[SessionFilters, Depends()],
) -> Page[InboxSessionRead]:
    """Sessions by latest activity, newest first."""
    return to_page(InboxSessionRead, *await InboxService(session, user).list(filters, paging))


@router.get("/inbox/sessions/{session_id}", response_model=InboxSessionRead)
async def get_session(
    session_id: uuid.UUID, user: CurrentUser, session: Session
) -> InboxSessionRead:
    found = await InboxService(session, user).get_with_contact(session_id)
    return InboxSessionRead.model_validate(found)


@router.get(
    "/inbox/sessions/{session_id}/messages",
    response_model=Page[MessageRead],
    description=MESSAGE_PAGES,
)
async def list_session_messages(
    session_id: uuid.UUID, user: CurrentUser, session: Session, paging: Paging
) -> Page[MessageRead]:
    rows = await InboxService(session, user).session_messages(session_id, paging)
    return to_page(MessageRead, *rows)


@router.post("/inbox/sessions/{session_id}/takeover", response_model=SessionRead)
async def take_over_session(
    session_id: uuid.UUID, user: CurrentUser, session: Session
) -> SessionRead:
    """Pause the AI in this session; the caller answers from now on."""
    return SessionRead.model_validate(await service.take_over(session, user, session_id))


@router.post("/inbox/sessions/{session_id}/release", response_model=SessionRead)
async def release_session(
    session_id: uuid.UUID, user: CurrentUser, session: Session
) -> SessionRead:
    """Hand the session back to the AI."""
    return SessionRead.model_validate(await service.release(session, user, session_id))


@router.get(
    "/contacts/{contact_id}/messages", response_model=Page[MessageRead], description=MESSAGE_PAGES
)
async def list_contact_messages(
    contact_id: uuid.UUID, user: CurrentUser, session: Session, paging: Paging
) -> Page[MessageRead]:
    rows = await InboxService(session, user).contact_messages(contact_id, paging)
    return to_page(MessageRead, *rows)


@router.post(
    "/contacts/{contact_id}/messages",
    response_model=MessageRead,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "The contact opted out (or has no number to text)."}},
)
async def send_message(
    contact_id: uuid.UUID, data: StaffMessageCreate, user: CurrentUser, session: Session
) -> MessageRead:
    """Queue a text to the contact; it pauses the AI in that session. The answer is the
    stored message (`queued`); delivery progress follows as `message.updated` events."""
    message = await outbound.send_staff_message(session, user, contact_id, data.body)
    return MessageRead.model_validate(message)
