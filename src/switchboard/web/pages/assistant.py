"""The assistant: the conversation sidebar (grouped by day, searched, renamed, pinned,
downloaded, deleted), one conversation with its history a page at a time, and sending a
message, whose reply streams back as server-sent events from the same `Assistant` service
the JSON API runs. The floating panel on every other page shows the same chat.

The stream's events carry HTML rendered here from the same templates as the history, so a
reply looks the same live and after a reload: `conversation` (a new conversation's id and
address), `user_message`, `tool_call_started` / `tool_call_finished` (a tool card),
`text_delta` (plain text, shown as text until the reply is done), `error`, and `done` (the
stored reply, its Markdown rendered and sanitised)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Form, Query, Request, Response

from switchboard.assistant.endpoints import AssistantDep, wants_event_stream
from switchboard.assistant.models import ChatMessage, Conversation
from switchboard.assistant.schemas import (
    DEFAULT_HISTORY_PAGE,
    MAX_MESSAGE_CHARS,
    ConversationCreate,
    ConversationUpdate,
)
from switchboard.assistant.service import (
    Assistant,
    ConversationService,
    Turn,
    export_markdown,
    snippet,
)
from switchboard.assistant.streaming import NamedEvent, event_stream
from switchboard.kit.clock import utcnow
from switchboard.kit.deps import Session
from switchboard.kit.errors import InvalidField
from switchboard.kit.pagination import PageParams
from switchboard.tenancy.models import User
from switchboard.tenancy.service import tenant_of
from switchboard.web.auth import WebUser, WebUserDetached
from switchboard.web.pages.common import back_to, page_router
from switchboard.web.shell import SECURITY_HEADERS, is_htmx, render, shell_of
from switchboard.web.templating import templates

router = page_router()

LIST_PAGE = 30
SEARCH_PAGE = 20
HISTORY_PAGE = DEFAULT_HISTORY_PAGE
COUNTER_FROM = 9_000  # the character counter shows from here up to the limit
Cursor = Annotated[str | None, Query(max_length=500)]
SearchText = Annotated[str, Query(max_length=200)]


# --- what the templates show -------------------------------------------------------------


def tool_summary(call: dict[str, Any]) -> str:
    """A tool call in one line, as a person would say what happened."""
    result = call.get("result")
    result = result if isinstance(result, dict) else {}
    status = call.get("status")
    if status == "running":
        return "Working…"
    if status != "ok":
        return f"Failed: {result.get('error') or 'the tool did not answer'}"
    name = call.get("name")
    count = result.get("count")

    def title_of(key: str) -> str:
        record = result.get(key)
        return str(record.get("title", "")) if isinstance(record, dict) else ""

    def plural(n: Any, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    if name == "create_task":
        return f"Created task: {title_of('created')}"
    if name == "update_task":
        return f"Updated task: {title_of('updated')}"
    if name == "complete_task":
        return f"Completed task: {title_of('completed')}"
    if name == "list_tasks":
        return f"Found {plural(result.get('total', count), 'task')}"
    if name == "search_contacts":
        return f"Found {plural(count, 'contact')}" if count else "No contact matched"
    if name == "get_contact_summary":
        contact = result.get("contact")
        return f"Read the record of {contact.get('name')}" if isinstance(contact, dict) else "Read"
    if name == "list_appointments":
        when = (result.get("range") or {}).get("label", "")
        return f"{plural(count, 'appointment')} {when}".strip()
    if name == "get_daily_digest":
        return "Read today's digest"
    if name == "list_unanswered_messages":
        return f"{plural(result.get('total', count), 'customer')} waiting on a reply"
    if name == "who_to_follow_up":
        return f"{plural(len(result.get('items') or []), 'person')} to follow up".replace(
            "persons", "people"
        )
    if name == "send_sms":
        sent = result.get("sent") or {}
        return f"Texted {(sent.get('contact') or {}).get('name', 'the customer')}"
    return "Done"


GROUPS = ("Pinned", "Today", "Yesterday", "Previous 7 days", "Older")


def group_of(conversation: Conversation, now: datetime, zone: ZoneInfo) -> str:
    if conversation.pinned:
        return "Pinned"
    today = now.astimezone(zone).date()
    day = conversation.last_message_at.astimezone(zone).date()
    if day >= today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    if day >= today - timedelta(days=7):
        return "Previous 7 days"
    return "Older"


@dataclass(frozen=True)
class Row:
    conversation: Conversation
    group: str
    heading: str | None  # the group's heading, on its first row


def rows_of(
    conversations: list[Conversation], zone: ZoneInfo, after_group: str | None = None
) -> list[Row]:
    """The list in its groups; `after_group`: the group the page before ended in, so a
    page that continues it ("more") does not repeat its heading."""
    now = utcnow()
    rows, previous = [], after_group
    for conversation in conversations:
        group = group_of(conversation, now, zone)
        rows.append(Row(conversation, group, group if group != previous else None))
        previous = group
    return rows


@dataclass(frozen=True)
class Hit:
    """A search result: a conversation, and the message that matched (None: the title)."""

    conversation_id: uuid.UUID
    title: str
    snippet: str | None
    at: datetime


def _view(**context: Any) -> dict[str, Any]:
    return {
        "tool_summary": tool_summary,
        "list_query": list_query,
        "counter_from": COUNTER_FROM,
        **context,
    }


async def _fragment(
    request: Request,
    session: Session,
    user: User,
    name: str,
    context: dict[str, Any],
    block: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A piece of a page (no shell), its times in the company's zone."""
    zone = (await tenant_of(session, user)).zone
    view = _view(**{**context, "zone": zone})
    return render(request, name, view, shell=None, block=block, headers=headers)


def _part(name: str, **context: Any) -> str:
    """One of the chat's templates as a string, for the stream."""
    return templates.env.get_template(name).render(_view(**context))


# --- the sidebar ---------------------------------------------------------------------------


async def _list_context(
    session: Session,
    user: User,
    zone: ZoneInfo,
    *,
    cursor: str | None = None,
    after_group: str | None = None,
    current: uuid.UUID | None = None,
) -> dict[str, Any]:
    rows, next_cursor = await ConversationService(session, user).list_page(
        PageParams(limit=LIST_PAGE, cursor=cursor)
    )
    grouped = rows_of(rows, zone, after_group)
    return {
        "rows": grouped,
        "next_cursor": next_cursor,
        "last_group": grouped[-1].group if grouped else (after_group or ""),
        "current_id": current,
        "q": "",
        "hits": None,
        "edit": None,
        "edit_id": None,
    }


async def _search_context(
    session: Session,
    user: User,
    q: str,
    *,
    cursor: str | None = None,
    current: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Titles holding the words first (on the first page), then the messages, best first."""
    service = ConversationService(session, user)
    hits: list[Hit] = []
    if cursor is None:
        titled, _ = await service.list_page(PageParams(limit=SEARCH_PAGE), title=q)
        hits += [Hit(c.id, c.title, None, c.last_message_at) for c in titled]
    found, next_cursor = await service.search(q, PageParams(limit=SEARCH_PAGE, cursor=cursor))
    hits += [
        Hit(m.conversation_id, title, snippet(m.content, q), m.created_at) for m, title in found
    ]
    return {
        "hits": hits,
        "q": q,
        "next_cursor": next_cursor,
        "current_id": current,
        "rows": [],
        "last_group": "",
        "edit": None,
        "edit_id": None,
    }


# --- the conversation ----------------------------------------------------------------------


async def _chat_context(
    session: Session, user: User, conversation: Conversation | None, before: str | None = None
) -> dict[str, Any]:
    service = ConversationService(session, user)
    messages: list[ChatMessage] = []
    older: str | None = None
    if conversation is not None:
        messages, older = await service.history(conversation.id, HISTORY_PAGE, before=before)
    return {
        "conversation": conversation,
        "messages": messages,
        "older_cursor": older,
        "suggestions": [] if messages else await service.suggestions(),
        "max_chars": MAX_MESSAGE_CHARS,
    }


async def _page(
    request: Request,
    session: Session,
    user: User,
    conversation_id: uuid.UUID | None,
    *,
    before: str | None = None,
    edit: str | None = None,
) -> Response:
    shell = await shell_of(session, user)
    service = ConversationService(session, user)
    conversation = await service.get(conversation_id) if conversation_id else None
    context = await _chat_context(session, user, conversation, before)
    context.update(await _list_context(session, user, shell.zone, current=conversation_id))
    editing = edit if edit in ("rename", "delete") and conversation_id else None
    context.update(in_panel=False, edit=editing, edit_id=conversation_id if editing else None)
    return render(request, "assistant.html", _view(**context), shell=shell)


@router.get("/assistant")
async def start(request: Request, user: WebUser, session: Session) -> Response:
    """The start screen: the sidebar, the suggested questions and the composer."""
    return await _page(request, session, user, None)


@router.get("/assistant/conversations")
async def conversation_list(
    request: Request,
    user: WebUser,
    session: Session,
    cursor: Cursor = None,
    after: Annotated[str | None, Query(max_length=40)] = None,
    current: uuid.UUID | None = None,
) -> Response:
    """The sidebar's list (after a change), or with `cursor` its next rows ("more")."""
    zone = (await tenant_of(session, user)).zone
    context = await _list_context(
        session, user, zone, cursor=cursor, after_group=after, current=current
    )
    block = "chat_rows" if cursor else "chat_list"
    return await _fragment(request, session, user, "assistant.html", context, block)


@router.get("/assistant/search")
async def search(
    request: Request,
    user: WebUser,
    session: Session,
    q: SearchText = "",
    cursor: Cursor = None,
    current: uuid.UUID | None = None,
) -> Response:
    """Conversations whose title or messages hold the words; empty: the whole list."""
    text = q.strip()
    if not text:
        return await conversation_list(request, user, session, current=current)
    context = await _search_context(session, user, text, cursor=cursor, current=current)
    block = "search_rows" if cursor else "chat_list"
    return await _fragment(request, session, user, "assistant.html", context, block)


@router.get("/assistant/panel")
async def panel(request: Request, user: WebUser, session: Session, new: bool = False) -> Response:
    """The chat for the floating panel: the most recent conversation, or a new one."""
    service = ConversationService(session, user)
    conversation = None if new else await service.most_recent()
    context = await _chat_context(session, user, conversation)
    context["in_panel"] = True
    return await _fragment(request, session, user, "assistant/_chat.html", context)


@router.get("/assistant/{conversation_id}")
async def conversation_page(
    request: Request,
    conversation_id: uuid.UUID,
    user: WebUser,
    session: Session,
    before: Annotated[str | None, Query(max_length=64)] = None,
    edit: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    return await _page(request, session, user, conversation_id, before=before, edit=edit)


@router.get("/assistant/{conversation_id}/messages")
async def older_messages(
    request: Request,
    conversation_id: uuid.UUID,
    user: WebUser,
    session: Session,
    before: Annotated[str, Query(max_length=64)],
) -> Response:
    """The page of history before `before` (a seq): scrolling up."""
    service = ConversationService(session, user)
    conversation = await service.get(conversation_id)
    messages, older = await service.history(conversation.id, HISTORY_PAGE, before=before)
    context = {"conversation": conversation, "messages": messages, "older_cursor": older}
    return await _fragment(request, session, user, "assistant/_older.html", context)


@router.get("/assistant/{conversation_id}/row")
async def row(
    request: Request,
    conversation_id: uuid.UUID,
    user: WebUser,
    session: Session,
    edit: Annotated[str | None, Query(max_length=16)] = None,
    current: uuid.UUID | None = None,
) -> Response:
    """One sidebar row: as it is, being renamed in place, or asking to confirm a delete."""
    conversation = await ConversationService(session, user).get(conversation_id)
    return await _row(request, session, user, conversation, edit, current)


async def _row(
    request: Request,
    session: Session,
    user: User,
    conversation: Conversation,
    edit: str | None,
    current: uuid.UUID | None,
    headers: dict[str, str] | None = None,
) -> Response:
    context = {
        "item": Row(conversation, "", None),
        "edit": edit if edit in ("rename", "delete") else None,
        "edit_id": conversation.id,
        "current_id": current,
    }
    return await _fragment(request, session, user, "assistant/_row.html", context, None, headers)


@router.post("/assistant/{conversation_id}/rename")
async def rename(
    request: Request,
    conversation_id: uuid.UUID,
    user: WebUser,
    session: Session,
    title: Annotated[str, Form(max_length=1000)] = "",
    current: Annotated[str | None, Form(max_length=40)] = None,
) -> Response:
    name = " ".join(title.split())
    if not name or len(name) > 200:
        raise InvalidField("title", "a title is 1 to 200 characters")
    conversation = await ConversationService(session, user).update(
        conversation_id, ConversationUpdate(title=name)
    )
    if not is_htmx(request):
        return back_to(request, f"/assistant/{conversation_id}")
    showing = _uuid_or_none(current)
    # The open conversation's heading follows its new name (assistant.js).
    renamed = json.dumps({"sb:renamed": {"id": str(conversation.id), "title": conversation.title}})
    headers = {"HX-Trigger": renamed} if showing == conversation.id else None
    return await _row(request, session, user, conversation, None, showing, headers)


@router.post("/assistant/{conversation_id}/pin")
async def pin(
    request: Request,
    conversation_id: uuid.UUID,
    user: WebUser,
    session: Session,
    pinned: Annotated[str, Form(max_length=8)] = "true",
    current: Annotated[str | None, Form(max_length=40)] = None,
) -> Response:
    await ConversationService(session, user).update(
        conversation_id, ConversationUpdate(pinned=pinned == "true")
    )
    if not is_htmx(request):
        return back_to(request, f"/assistant/{conversation_id}")
    return await conversation_list(request, user, session, current=_uuid_or_none(current))


@router.post("/assistant/{conversation_id}/delete")
async def delete(
    request: Request,
    conversation_id: uuid.UUID,
    user: WebUser,
    session: Session,
    current: Annotated[str | None, Form(max_length=40)] = None,
) -> Response:
    """Soft delete, after the row asked to confirm."""
    await ConversationService(session, user).delete(conversation_id)
    showing = _uuid_or_none(current)
    if not is_htmx(request) or showing == conversation_id:
        return back_to(request, "/assistant")
    return await conversation_list(request, user, session, current=showing)


@router.get("/assistant/{conversation_id}/export")
async def download(conversation_id: uuid.UUID, user: WebUser, session: Session) -> Response:
    """The conversation as Markdown: the API's export."""
    conversation, messages = await ConversationService(session, user).export(conversation_id)
    return Response(
        export_markdown(conversation, messages),
        media_type="text/markdown; charset=utf-8",
        headers={
            **SECURITY_HEADERS,
            "Content-Disposition": f'attachment; filename="conversation-{conversation.id}.md"',
        },
    )


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


# --- sending -------------------------------------------------------------------------------

Content = Annotated[str, Form(max_length=4 * MAX_MESSAGE_CHARS)]


def _question(content: str) -> str:
    text = content.strip()
    if not text:
        raise InvalidField("content", "write a question first")
    if len(text) > MAX_MESSAGE_CHARS:
        raise InvalidField("content", f"a message is at most {MAX_MESSAGE_CHARS:,} characters")
    return text


@router.post("/assistant/messages")
async def send_new(
    request: Request,
    user: WebUserDetached,
    assistant: AssistantDep,
    content: Content = "",
) -> Response:
    """The first message: a new conversation, named by it, and its reply."""
    conversation, turn = await assistant.create(
        user, ConversationCreate(message=_question(content))
    )
    assert turn is not None, "a conversation created with a message has its turn"
    return await _reply(request, assistant, user, conversation, turn, new=True)


@router.post("/assistant/{conversation_id}/messages")
async def send(
    request: Request,
    conversation_id: uuid.UUID,
    user: WebUserDetached,
    assistant: AssistantDep,
    content: Content = "",
) -> Response:
    turn = await assistant.start(user, conversation_id, _question(content))
    conversation = await assistant.conversation(user, conversation_id)
    return await _reply(request, assistant, user, conversation, turn, new=False)


@router.post("/assistant/{conversation_id}/stop")
async def stop(
    conversation_id: uuid.UUID,
    user: WebUserDetached,
    assistant: AssistantDep,
    message_id: Annotated[uuid.UUID, Form()],
) -> Response:
    """Stop the reply to `message_id`: its stream ends with what was said so far."""
    await assistant.stop(user, conversation_id, message_id)
    return Response(status_code=204)


async def _reply(
    request: Request,
    assistant: Assistant,
    user: User,
    conversation: Conversation,
    turn: Turn,
    *,
    new: bool,
) -> Response:
    if not wants_event_stream(request):  # no script: answer, then show the conversation
        await turn.run()
        return back_to(request, f"/assistant/{conversation.id}")
    async with assistant.db.transaction() as session:
        zone = (await tenant_of(session, user)).zone
    return event_stream(
        _stream(turn, conversation, zone, new=new),
        ping_seconds=assistant.settings.chat_stream_ping_seconds,
        headers=SECURITY_HEADERS,
    )


async def _stream(
    turn: Turn, conversation: Conversation, zone: ZoneInfo, *, new: bool
) -> AsyncIterator[NamedEvent]:
    if new:
        url = f"/assistant/{conversation.id}"
        yield (
            "conversation",
            {
                "id": str(conversation.id),
                "url": url,
                "title": conversation.title,
                "send_url": f"{url}/messages",
                "stop_url": f"{url}/stop",
            },
        )
    async for event in turn.stream():
        if event.type == "user_message":
            html = _part("assistant/_message.html", message=turn.user_message, zone=zone)
            yield "user_message", {"id": str(turn.user_message.id), "html": html}
        elif event.type == "text_delta":
            yield "text_delta", {"text": event.data["text"]}
        elif event.type in ("tool_call_started", "tool_call_finished"):
            call = dict(event.data)
            call.setdefault("status", "running")
            html = _part("assistant/_tool_call.html", tool=call)
            yield event.type, {"id": str(call["id"]), "html": html}
        elif event.type == "error":
            yield "error", {"message": event.data["message"]}
        elif event.type == "done":
            message = turn.assistant_message
            assert message is not None
            html = _part("assistant/_message.html", message=message, zone=zone)
            yield "done", {"id": str(message.id), "status": str(message.status), "html": html}


def list_query(**values: Any) -> str:
    """The sidebar's links carry only what they need."""
    return urlencode({key: value for key, value in values.items() if value})
