"""ChatKit from the web app's own pages: the session cookie with the CSRF rule of every
cookie-authenticated POST; no database connection held while the model answers; and
ChatKit's stop button stopping the turn, which keeps what it had said."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
from chatkit.types import (
    AssistantMessageItem,
    ThreadCreatedEvent,
    ThreadItemDoneEvent,
    ThreadListParams,
    ThreadsListReq,
)
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.ai.builtin import BuiltinModel
from switchboard.ai.model import (
    Audience,
    ModelError,
    ModelMessage,
    StreamItem,
    TextDelta,
    ToolSpec,
)
from switchboard.ai.providers import get_model
from switchboard.ai.staff_tools import staff_toolbox
from switchboard.app import create_app
from switchboard.assistant.models import ChatMessage, ChatMessageStatus, ChatRole, Conversation
from switchboard.assistant.service import Assistant
from switchboard.chatkit.endpoints import server
from switchboard.chatkit.store import RequestContext
from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.tenancy.models import Role, Tenant
from switchboard.tenancy.security import SESSION_COOKIE
from switchboard.tenancy.service import issue_token
from tests.chatkit.conftest import EVENTS, ORIGIN, Chat, create_thread, parse_events, post
from tests.factories import Factory
from tests.kit.helpers import AsUser

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


async def signed_in(client: httpx.AsyncClient, settings: Settings, user: Any) -> str:
    """Sign the client in with the session cookie; the CSRF token a page of ours embeds."""
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, issue_token(settings, user))
    page = await client.get("/tasks")
    found = CSRF_FIELD.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


async def owned(session: AsyncSession, user: Any) -> list[Conversation]:
    rows = await session.execute(
        select(Conversation)
        .where(Conversation.owner_id == user.id)
        .execution_options(populate_existing=True)
    )
    return list(rows.scalars())


async def test_the_session_cookie_works_with_the_pages_csrf_token_only(
    client: httpx.AsyncClient, factory: Factory, settings: Settings, session: AsyncSession
) -> None:
    user = await factory.user(await factory.tenant(), Role.rep)
    token = await signed_in(client, settings, user)

    refused = [
        {},  # no token: a form on another site could send the cookie
        {"X-CSRF-Token": "forged"},
        {"X-CSRF-Token": token, "Origin": "https://evil.example"},
    ]
    for headers in refused:
        response = await post(client, headers, create_thread("create a task to call Ann"))
        assert response.status_code == 403, (headers, response.text)
        listing = await post(client, headers, ThreadsListReq(params=ThreadListParams()))
        assert listing.status_code == 403
    assert await owned(session, user) == []

    page = {"X-CSRF-Token": token, "Origin": ORIGIN}
    events = parse_events(await post(client, page, create_thread("what's most urgent today?")))
    [created] = [e for e in events if isinstance(e, ThreadCreatedEvent)]
    assert [str(c.id) for c in await owned(session, user)] == [created.thread.id]
    listed = await Chat(client, page).json(ThreadsListReq(params=ThreadListParams()))
    assert [thread["id"] for thread in listed["data"]] == [created.thread.id]
    # A GET changes nothing: no token needed, as for any page.
    assert (await client.get("/chatkit/prompts")).status_code == 200

    client.cookies.clear()
    assert (await post(client, page, create_thread("hello"))).status_code == 401


async def test_a_bearer_token_needs_no_csrf_token_and_wins_over_a_cookie(
    client: httpx.AsyncClient, factory: Factory, settings: Settings, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    cookie_user, bearer_user = await factory.user(tenant, Role.csr), await factory.user(tenant)
    await signed_in(client, settings, cookie_user)
    headers = {**as_user(bearer_user), "Origin": "https://portal.example"}
    events = parse_events(await post(client, headers, create_thread("hello")))
    [created] = [e for e in events if isinstance(e, ThreadCreatedEvent)]
    mine = (await client.get("/api/chat/conversations", headers=as_user(bearer_user))).json()
    assert [item["id"] for item in mine["items"]] == [created.thread.id]


class WatchingModel:
    """The built-in model, noting how many connections the app's engine has checked out
    each time it is asked."""

    name = "builtin"

    def __init__(self, db: Database) -> None:
        self.db = db
        self.inner = BuiltinModel()
        self.checked_out: list[int] = []

    async def complete(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> Any:
        raise AssertionError("a chat turn streams")

    async def stream(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> AsyncIterator[StreamItem]:
        self.checked_out.append(self.db.engine.pool.checkedout())  # type: ignore[attr-defined]
        async for item in self.inner.stream(messages, tools, audience=audience):
            yield item


async def test_no_connection_is_held_while_the_model_answers(
    database_url: str, settings: Settings
) -> None:
    # Committed on a Database of its own: the tests' shared connection could not show it.
    db = Database.from_url(database_url)
    async with db.transaction() as session:
        factory = Factory(session, settings)
        tenant = await factory.tenant()
        user = await factory.user(tenant, Role.csr)
    try:
        app = create_app(settings, db=db)
        model = WatchingModel(db)
        app.state.resources.provide(get_model, model)
        headers = {"Authorization": f"Bearer {issue_token(settings, user)}"}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=ORIGIN
        ) as client:
            events = parse_events(
                await post(client, headers, create_thread("create a task to call Ann tomorrow"))
            )
        replies = [
            e.item
            for e in events
            if isinstance(e, ThreadItemDoneEvent) and isinstance(e.item, AssistantMessageItem)
        ]
        assert len(replies) == 1
        # Three rounds (two look-ups, the task, the answer's words), none holding a connection.
        assert len(model.checked_out) >= 2 and set(model.checked_out) == {0}
    finally:
        async with db.transaction() as session:
            await session.execute(delete(Tenant).where(Tenant.id == tenant.id))
        await db.dispose()


class HangingModel:
    """Says a few words, then thinks until it is stopped."""

    name = "hanging"

    async def complete(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> Any:
        raise AssertionError("a chat turn streams")

    async def stream(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> AsyncIterator[StreamItem]:
        yield TextDelta("Let me look that up")
        await asyncio.Event().wait()
        raise AssertionError("stopped before it answers")


async def test_chatkits_stop_stops_the_turn_and_keeps_what_it_said(
    db: Database, settings: Settings, factory: Factory, session: AsyncSession
) -> None:
    user = await factory.user(await factory.tenant(), Role.csr)
    context = RequestContext(
        user=user, assistant=Assistant(db, settings, HangingModel(), staff_toolbox())
    )
    result = await server.process(
        create_thread("where is the Henderson file?").model_dump_json(), context
    )
    speaking = asyncio.Event()

    async def read() -> None:
        async for chunk in result:  # type: ignore[union-attr]
            if b"text_delta" in chunk:
                speaking.set()

    reader = asyncio.create_task(read())
    await asyncio.wait_for(speaking.wait(), timeout=10)
    reader.cancel()  # the client went away: ChatKit's stop button
    with contextlib.suppress(asyncio.CancelledError):
        await reader

    [conversation] = await owned(session, user)
    reply: ChatMessage | None = None
    for _ in range(200):  # the turn finishes on its own task: wait for it, not for a time
        rows = await session.execute(
            select(ChatMessage)
            .where(
                ChatMessage.conversation_id == conversation.id,
                ChatMessage.role == ChatRole.assistant,
            )
            .execution_options(populate_existing=True)
        )
        reply = rows.scalars().first()
        if reply is not None:
            break
        await asyncio.sleep(0.05)
    assert reply is not None
    assert reply.status == ChatMessageStatus.stopped and reply.content == "Let me look that up"


class FailingModel:
    """Starts to answer, then its endpoint fails."""

    name = "failing"

    async def complete(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> Any:
        raise AssertionError("a chat turn streams")

    async def stream(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> AsyncIterator[StreamItem]:
        yield TextDelta("Checking")
        raise ModelError("the model endpoint answered 503")


async def test_a_model_failure_shows_the_stored_apology(
    db: Database, settings: Settings, factory: Factory, session: AsyncSession
) -> None:
    user = await factory.user(await factory.tenant(), Role.csr)
    context = RequestContext(
        user=user, assistant=Assistant(db, settings, FailingModel(), staff_toolbox())
    )
    result = await server.process(create_thread("how is my day?").model_dump_json(), context)
    body = b"".join([chunk async for chunk in result])  # type: ignore[union-attr]
    events = [EVENTS.validate_json(line[len(b"data: ") :]) for line in body.split(b"\n\n") if line]
    [reply] = [
        e.item
        for e in events
        if isinstance(e, ThreadItemDoneEvent) and isinstance(e.item, AssistantMessageItem)
    ]
    [conversation] = await owned(session, user)
    stored = (
        await session.execute(
            select(ChatMessage).where(
                ChatMessage.conversation_id == conversation.id,
                ChatMessage.role == ChatRole.assistant,
            )
        )
    ).scalar_one()
    assert stored.status == ChatMessageStatus.error and "503" in (stored.error or "")
    assert reply.id == str(stored.id) and reply.content[0].text == stored.content
    assert stored.content.startswith("Sorry, I couldn't answer that")
