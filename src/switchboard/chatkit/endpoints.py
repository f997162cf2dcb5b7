"""`POST /chatkit`, OpenAI ChatKit's server endpoint, and `GET /chatkit/prompts`, the start
screen's prompts from the user's suggestions. Authenticated by a bearer token or by the web
session cookie; a cookie-authenticated POST follows the web app's CSRF rule (our Origin,
the page's token), since a browser sends the cookie on its own."""

from __future__ import annotations

from typing import Annotated

from chatkit.server import StreamingResult
from chatkit.store import NotFoundError
from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError

from switchboard.assistant.endpoints import AssistantDep
from switchboard.assistant.service import ConversationService
from switchboard.assistant.streaming import sse_response
from switchboard.chatkit.schemas import StartScreen, StartScreenPrompt
from switchboard.chatkit.server import AssistantChatKitServer
from switchboard.chatkit.store import RequestContext
from switchboard.kit.db import Database
from switchboard.kit.deps import AppSettings, get_db
from switchboard.kit.errors import InvalidField, NotFound, Unauthorized
from switchboard.tenancy.deps import authenticate
from switchboard.tenancy.models import User
from switchboard.tenancy.security import SESSION_COOKIE
from switchboard.web.auth import check_csrf

router = APIRouter(tags=["chatkit"])
server = AssistantChatKitServer()  # holds no state: every request brings its context


async def chatkit_user(
    request: Request, db: Annotated[Database, Depends(get_db)], settings: AppSettings
) -> User:
    """The bearer token's user, else the session cookie's (after the CSRF check), read in
    a transaction of its own: none stays open while the model answers."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("the Authorization header takes a bearer token")
        return await authenticate(db, settings, token.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise Unauthorized("missing bearer token or session cookie")
    await check_csrf(request, settings)
    return await authenticate(db, settings, cookie)


ChatKitUser = Annotated[User, Depends(chatkit_user)]


@router.post(
    "/chatkit",
    responses={
        200: {"content": {"application/json": {}, "text/event-stream": {}}},
        404: {"description": "the thread is not one of the user's"},
    },
)
async def chatkit(request: Request, user: ChatKitUser, assistant: AssistantDep) -> Response:
    """One ChatKit request (its JSON body, as ChatKit.js sends it): thread and item lists,
    rename and delete answer JSON; a new thread or message answers ChatKit's event stream."""
    context = RequestContext(user=user, assistant=assistant)
    try:
        result = await server.process(await request.body(), context)
    except NotFoundError as exc:
        raise NotFound(str(exc) or "not found", kind="thread") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "body"
        raise InvalidField(where, f"not a ChatKit request: {error['msg']}") from None
    if isinstance(result, StreamingResult):
        return sse_response(result, ping_seconds=assistant.settings.chat_stream_ping_seconds)
    return Response(result.json, media_type="application/json")


@router.get("/chatkit/prompts", response_model=StartScreen)
async def start_screen(user: ChatKitUser, db: Annotated[Database, Depends(get_db)]) -> StartScreen:
    """The new-thread screen for ChatKit.js's `startScreen` option: the same suggested
    questions as `GET /api/chat/suggestions`."""
    async with db.transaction() as session:
        questions = await ConversationService(session, user).suggestions()
    first_name = user.name.split()[0] if user.name.strip() else ""
    greeting = f"What can I help with, {first_name}?" if first_name else "What can I help with?"
    return StartScreen(
        greeting=greeting,
        prompts=[StartScreenPrompt(label=question, prompt=question) for question in questions],
    )
