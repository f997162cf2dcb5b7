"""The inbox: the conversation list, one conversation with its composer, and the contact
panel beside it. Each live update asks for one block of the same template."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Query, Request, Response

from switchboard.channels.twilio.errors import meaning_of
from switchboard.kit.deps import Session
from switchboard.kit.pagination import PageParams
from switchboard.kit.schemas import Str
from switchboard.messaging import outbound
from switchboard.messaging import service as messaging
from switchboard.messaging.models import Channel, MessagingSession
from switchboard.messaging.schemas import InboxView, SessionFilters
from switchboard.messaging.service import InboxService
from switchboard.tenancy.models import User
from switchboard.tenancy.service import staff_names
from switchboard.timeline.service import contact_overview
from switchboard.web.auth import WebUser
from switchboard.web.pages.common import back_to, page_router
from switchboard.web.shell import is_htmx, render, shell_of

router = page_router()

LIST_PAGE = 30
THREAD_PAGE = 50
VIEWS = (
    (InboxView.all, "All"),
    (InboxView.waiting, "Waiting on a reply"),
    (InboxView.ai, "AI handling"),
    (InboxView.taken_over, "Taken over"),
)


@dataclass(frozen=True)
class ListQuery:
    """The list's filters as the page's URL carries them; unknown values mean "any"."""

    view: InboxView = InboxView.all
    channel: Channel | None = None
    mine: bool = False
    q: str = ""

    @classmethod
    def parse(
        cls, view: str | None, channel: str | None, mine: str | None, q: str | None
    ) -> ListQuery:
        return cls(
            view=InboxView(view) if view and view in InboxView.__members__ else InboxView.all,
            channel=Channel(channel) if channel and channel in Channel.__members__ else None,
            mine=mine in ("1", "on", "true"),
            q=(q or "").strip()[:100],
        )

    def filters(self, user: User) -> SessionFilters:
        return SessionFilters(
            view=self.view,
            channel=self.channel,
            taken_over_by_id=user.id if self.mine else None,
            q=self.q or None,
        )

    def query_string(self, **overrides: Any) -> str:
        values = {
            "view": self.view.value,
            "channel": self.channel or "",
            "mine": "1" if self.mine else "",
            "q": self.q,
        }
        values.update(overrides)
        kept = {key: value for key, value in values.items() if value}
        return urlencode(kept)


ListParams = Annotated[Str | None, Query(max_length=100)]


async def _list_context(
    session: Session, user: User, query: ListQuery, cursor: str | None
) -> dict[str, Any]:
    rows, next_cursor = await InboxService(session, user).list(
        query.filters(user), PageParams(limit=LIST_PAGE, cursor=cursor)
    )
    return {
        "sessions": rows,
        "next_cursor": next_cursor,
        "query": query,
        "views": VIEWS,
        "channels": list(Channel),
    }


@router.get("/inbox")
async def inbox(
    request: Request,
    user: WebUser,
    session: Session,
    view: ListParams = None,
    channel: ListParams = None,
    mine: ListParams = None,
    q: ListParams = None,
    cursor: Annotated[Str | None, Query(max_length=500)] = None,
) -> Response:
    query = ListQuery.parse(view, channel, mine, q)
    context = {**await _list_context(session, user, query, cursor), "selected": None}
    if is_htmx(request) and (cursor or request.headers.get("HX-Target") == "conversation-items"):
        return render(request, "inbox.html", context, shell=None, block="conversation_rows")
    if is_htmx(request) and request.headers.get("HX-Target") == "conversation-list":
        shell = await shell_of(session, user, count_waiting=True)
        return render(request, "inbox.html", context, shell=shell, block="conversation_list")
    return render(
        request, "inbox.html", context, shell=await shell_of(session, user, count_waiting=True)
    )


@router.get("/inbox/waiting")
async def waiting_badge(request: Request, user: WebUser, session: Session) -> Response:
    """The count of conversations waiting on a reply: the nav badge and the tab title."""
    return render(
        request,
        "base.html",
        {},
        shell=await shell_of(session, user, count_waiting=True),
        block="waiting_badge",
    )


async def _thread_context(session: Session, user: User, session_id: uuid.UUID) -> dict[str, Any]:
    """What rendering a message needs: the conversation (its contact) and staff names."""
    conversation = await InboxService(session, user).get_with_contact(session_id)
    return {
        "conversation": conversation,
        "names": await staff_names(session, user),
        "meaning_of": meaning_of,
    }


async def _conversation_context(
    session: Session, user: User, session_id: uuid.UUID
) -> dict[str, Any]:
    inbox = InboxService(session, user)
    context = await _thread_context(session, user, session_id)
    messages, older = await inbox.session_messages(session_id, PageParams(limit=THREAD_PAGE))
    context.update(
        messages=messages,
        older_cursor=older,
        opt_out=await inbox.opt_out_of(context["conversation"]),
    )
    return context


@router.get("/inbox/{session_id}")
async def conversation(
    request: Request,
    session_id: uuid.UUID,
    user: WebUser,
    session: Session,
    view: ListParams = None,
    channel: ListParams = None,
    mine: ListParams = None,
    q: ListParams = None,
) -> Response:
    query = ListQuery.parse(view, channel, mine, q)
    context = await _conversation_context(session, user, session_id)
    context.update(await _list_context(session, user, query, None))
    conversation: MessagingSession = context["conversation"]
    context["overview"] = await contact_overview(session, user, conversation.contact_id)
    context["selected"] = conversation.id
    return render(
        request, "inbox.html", context, shell=await shell_of(session, user, count_waiting=True)
    )


@router.get("/inbox/{session_id}/header")
async def conversation_header(
    request: Request, session_id: uuid.UUID, user: WebUser, session: Session
) -> Response:
    return await _conversation_block(request, session, user, session_id, "conversation_header")


@router.get("/inbox/{session_id}/composer")
async def composer(
    request: Request, session_id: uuid.UUID, user: WebUser, session: Session
) -> Response:
    return await _conversation_block(request, session, user, session_id, "composer")


async def _conversation_block(
    request: Request, session: Session, user: User, session_id: uuid.UUID, block: str
) -> Response:
    context = await _conversation_context(session, user, session_id)
    return render(request, "inbox.html", context, shell=None, block=block)


@router.get("/inbox/{session_id}/panel")
async def panel(
    request: Request, session_id: uuid.UUID, user: WebUser, session: Session
) -> Response:
    conversation = await InboxService(session, user).get(session_id)
    context = {
        "conversation": conversation,
        "overview": await contact_overview(session, user, conversation.contact_id),
    }
    shell = await shell_of(session, user, count_waiting=True)
    return render(request, "inbox.html", context, shell=shell, block="panel")


@router.get("/inbox/{session_id}/messages")
async def messages(
    request: Request,
    session_id: uuid.UUID,
    user: WebUser,
    session: Session,
    after: uuid.UUID | None = None,
    cursor: Annotated[Str | None, Query(max_length=500)] = None,
) -> Response:
    """`after`: what arrived since the newest message a screen shows (live updates);
    `cursor`: the page before the oldest it shows (scrolling back)."""
    inbox = InboxService(session, user)
    context = await _thread_context(session, user, session_id)
    if after is not None:
        context["messages"] = await inbox.messages_after(session_id, after)
        return render(request, "inbox.html", context, shell=None, block="message_items")
    rows, older = await inbox.session_messages(
        session_id, PageParams(limit=THREAD_PAGE, cursor=cursor)
    )
    context.update(messages=rows, older_cursor=older)
    return render(request, "inbox.html", context, shell=None, block="older_messages")


@router.get("/inbox/{session_id}/messages/{message_id}")
async def message(
    request: Request, session_id: uuid.UUID, message_id: uuid.UUID, user: WebUser, session: Session
) -> Response:
    context = await _thread_context(session, user, session_id)
    context["messages"] = [await InboxService(session, user).message(session_id, message_id)]
    return render(request, "inbox.html", context, shell=None, block="message_items")


@router.post("/inbox/{session_id}/send")
async def send(
    request: Request,
    session_id: uuid.UUID,
    user: WebUser,
    session: Session,
    body: Annotated[Str, Form(max_length=5000)] = "",
) -> Response:
    conversation = await InboxService(session, user).get(session_id)
    await outbound.send_staff_message(
        session, user, conversation.contact_id, body, session_id=conversation.id
    )
    if is_htmx(request):
        # The thread catches up the way it does for any new message, so it shows the
        # message once even when the live event arrives first.
        return Response(status_code=204, headers={"HX-Trigger": "sb:sent"})
    return back_to(request, f"/inbox/{session_id}")


async def _set_paused(
    request: Request, session: Session, user: User, session_id: uuid.UUID, paused: bool
) -> Response:
    if paused:
        await messaging.take_over(session, user, session_id)
    else:
        await messaging.release(session, user, session_id)
    if not is_htmx(request):
        return back_to(request, f"/inbox/{session_id}")
    return await _conversation_block(request, session, user, session_id, "conversation_header")


@router.post("/inbox/{session_id}/takeover")
async def take_over(
    request: Request, session_id: uuid.UUID, user: WebUser, session: Session
) -> Response:
    return await _set_paused(request, session, user, session_id, True)


@router.post("/inbox/{session_id}/release")
async def release(
    request: Request, session_id: uuid.UUID, user: WebUser, session: Session
) -> Response:
    return await _set_paused(request, session, user, session_id, False)
