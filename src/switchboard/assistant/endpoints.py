"""The staff assistant's HTTP API: conversations, their history, search, export, sending a
message (JSON or server-sent events) and suggested questions."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from switchboard.ai.model import ChatModel
from switchboard.ai.providers import get_model
from switchboard.ai.staff_tools import staff_toolbox
from switchboard.ai.toolbox import Toolbox
from switchboard.assistant.schemas import (
    DEFAULT_HISTORY_PAGE,
    MAX_HISTORY_PAGE,
    ChatMessageDetail,
    ChatMessageRead,
    ConversationCreate,
    ConversationCreated,
    ConversationExport,
    ConversationRead,
    ConversationUpdate,
    ExportFormat,
    MessageCreate,
    MessagePage,
    SearchHit,
    SearchResults,
    Suggestions,
    TurnRead,
)
from switchboard.assistant.service import (
    Assistant,
    ConversationService,
    TurnEvent,
    TurnResult,
    export_markdown,
    snippet,
)
from switchboard.assistant.streaming import NamedEvent, event_stream
from switchboard.kit.clock import utcnow
from switchboard.kit.db import Database
from switchboard.kit.deps import AppSettings, Session, get_db
from switchboard.kit.pagination import Page, PageParams, Paging, to_page
from switchboard.kit.ratelimit import RateLimiter, app_rate_limiter
from switchboard.kit.resources import Resources
from switchboard.kit.schemas import Str
from switchboard.tenancy.deps import CurrentUser, CurrentUserDetached

router = APIRouter(prefix="/api/chat", tags=["assistant"])


def get_chat_model(request: Request) -> ChatModel:
    """One model per app: the OpenAI client keeps its connections between turns."""
    resources: Resources = request.app.state.resources
    return resources.get(get_model)


def get_staff_toolbox() -> Toolbox:
    return staff_toolbox()


def get_chat_limiter(request: Request, settings: AppSettings) -> RateLimiter:
    return app_rate_limiter(
        request.app.state, "chat", settings.chat_rate_limit_per_minute, settings.redis_url
    )


def get_assistant(
    db: Annotated[Database, Depends(get_db)],
    settings: AppSettings,
    model: Annotated[ChatModel, Depends(get_chat_model)],
    toolbox: Annotated[Toolbox, Depends(get_staff_toolbox)],
    limiter: Annotated[RateLimiter, Depends(get_chat_limiter)],
) -> Assistant:
    return Assistant(db, settings, model, toolbox, limiter=limiter)


AssistantDep = Annotated[Assistant, Depends(get_assistant)]


def turn_read(result: TurnResult) -> TurnRead:
    return TurnRead(
        user_message=ChatMessageRead.model_validate(result.user_message),
        assistant_message=ChatMessageDetail.model_validate(result.assistant_message),
    )


def wants_event_stream(request: Request) -> bool:
    return "text/event-stream" in request.headers.get("accept", "")


async def _named(events: AsyncIterator[TurnEvent]) -> AsyncIterator[NamedEvent]:
    async for event in events:
        yield event.type, event.data


@router.post("/conversations", response_model=ConversationCreated, status_code=201)
async def create_conversation(
    data: ConversationCreate, user: CurrentUserDetached, assistant: AssistantDep
) -> ConversationCreated:
    conversation, result = await assistant.open_conversation(user, data)
    read = ConversationRead.model_validate(conversation)
    return ConversationCreated(**read.model_dump(), reply=turn_read(result) if result else None)


@router.get("/conversations", response_model=Page[ConversationRead])
async def list_conversations(
    user: CurrentUser,
    session: Session,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=200, description="words of the title")] = None,
) -> Page[ConversationRead]:
    rows, cursor = await ConversationService(session, user).list_page(paging, q)
    return to_page(ConversationRead, rows, cursor)


@router.get("/conversations/{conversation_id}", response_model=ConversationRead)
async def get_conversation(
    conversation_id: uuid.UUID, user: CurrentUser, session: Session
) -> ConversationRead:
    return ConversationRead.model_validate(
        await ConversationService(session, user).get(conversation_id)
    )


@router.patch("/conversations/{conversation_id}", response_model=ConversationRead)
async def update_conversation(
    conversation_id: uuid.UUID, data: ConversationUpdate, user: CurrentUser, session: Session
) -> ConversationRead:
    return ConversationRead.model_validate(
        await ConversationService(session, user).update(conversation_id, data)
    )


@router.delete("/conversations/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_conversation(
    conversation_id: uuid.UUID, user: CurrentUser, session: Session
) -> None:
    await ConversationService(session, user).delete(conversation_id)


@router.get("/conversations/{conversation_id}/messages", response_model=MessagePage)
async def list_messages(
    conversation_id: uuid.UUID,
    user: CurrentUser,
    session: Session,
    limit: Annotated[int, Query(ge=1, le=MAX_HISTORY_PAGE)] = DEFAULT_HISTORY_PAGE,
    before: Annotated[Str | None, Query(max_length=64)] = None,
    since: Annotated[Str | None, Query(max_length=64)] = None,
) -> MessagePage:
    rows, cursor = await ConversationService(session, user).history(
        conversation_id, limit, before=before, since=since
    )
    return MessagePage(
        items=[ChatMessageRead.model_validate(row) for row in rows], next_cursor=cursor
    )


@router.post(
    "/conversations/{conversation_id}/messages",
    response_model=TurnRead,
    status_code=201,
    responses={201: {"content": {"text/event-stream": {}}}},
)
async def send_message(
    conversation_id: uuid.UUID,
    data: MessageCreate,
    request: Request,
    user: CurrentUserDetached,
    assistant: AssistantDep,
) -> Response | TurnRead:
    """Answer as JSON, or as server-sent events with `Accept: text/event-stream`:
    `user_message`, then `tool_call_started` / `tool_call_finished` and `text_delta` as they
    happen, `error` if the model failed, and `done` with the stored ids and the usage."""
    turn = await assistant.start(user, conversation_id, data.content)
    if wants_event_stream(request):
        return event_stream(
            _named(turn.stream()), ping_seconds=assistant.settings.chat_stream_ping_seconds
        )
    return turn_read(await turn.run())


@router.post(
    "/conversations/{conversation_id}/messages/{message_id}/stop",
    status_code=status.HTTP_202_ACCEPTED,
)
async def stop_turn(
    conversation_id: uuid.UUID,
    message_id: uuid.UUID,
    user: CurrentUserDetached,
    assistant: AssistantDep,
) -> None:
    """Stop the reply to the user's message `message_id`: the turn stores what it said so
    far (status `stopped`) and its stream ends with `done`."""
    await assistant.stop(user, conversation_id, message_id)


@router.get("/search", response_model=SearchResults)
async def search_messages(
    user: CurrentUser,
    session: Session,
    q: Annotated[Str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> SearchResults:
    hits, next_cursor = await ConversationService(session, user).search(
        q, PageParams(limit=limit, cursor=cursor)
    )
    return SearchResults(
        query=q,
        next_cursor=next_cursor,
        items=[
            SearchHit(
                conversation_id=message.conversation_id,
                conversation_title=title,
                message_id=message.id,
                seq=message.seq,
                role=message.role,
                snippet=snippet(message.content, q),
                created_at=message.created_at,
            )
            for message, title in hits
        ],
    )


@router.get(
    "/conversations/{conversation_id}/export",
    response_model=ConversationExport,
    responses={200: {"content": {"text/markdown": {}}}},
)
async def export_conversation(
    conversation_id: uuid.UUID,
    user: CurrentUser,
    session: Session,
    format: Annotated[ExportFormat, Query()] = ExportFormat.markdown,
) -> Response:
    conversation, messages = await ConversationService(session, user).export(conversation_id)
    name = f"conversation-{conversation.id}"
    if format == ExportFormat.json:
        document = ConversationExport(
            conversation=ConversationRead.model_validate(conversation),
            messages=[ChatMessageDetail.model_validate(m) for m in messages],
            exported_at=utcnow(),
        )
        return Response(
            document.model_dump_json(),
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
        )
    return Response(
        export_markdown(conversation, messages),
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.md"'},
    )


@router.get("/suggestions", response_model=Suggestions)
async def suggestions(user: CurrentUser, session: Session) -> Suggestions:
    return Suggestions(items=await ConversationService(session, user).suggestions())
