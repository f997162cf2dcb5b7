"""POST /chatkit through ChatKit's own request and event types: a thread is an assistant
conversation (the same id, messages and tool calls in /api/chat), tool calls are task items
naming the tool, threads and items page both ways, rename and delete, another user's thread
is ChatKit's not-found error, and refused messages store nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from chatkit.types import (
    AssistantMessageContentPartTextDelta,
    AssistantMessageItem,
    AttachmentCreateParams,
    AttachmentsCreateReq,
    ErrorEvent,
    StreamOptionsEvent,
    TaskItem,
    ThreadCreatedEvent,
    ThreadDeleteParams,
    ThreadGetByIdParams,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemUpdatedEvent,
    ThreadListParams,
    ThreadRetryAfterItemParams,
    ThreadsDeleteReq,
    ThreadsGetByIdReq,
    ThreadsListReq,
    ThreadsRetryAfterItemReq,
    ThreadStreamEvent,
    ThreadsUpdateReq,
    ThreadUpdatedEvent,
    ThreadUpdateParams,
    UserMessageItem,
)
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from switchboard.assistant.models import ChatMessage, Conversation
from switchboard.assistant.schemas import MAX_MESSAGE_CHARS
from switchboard.config import Settings
from switchboard.tasks.models import Task, TaskSource
from switchboard.tenancy.models import Role, User
from switchboard.tenancy.security import create_access_token
from tests.assistant.conftest import new_conversation, seed_messages
from tests.chatkit.conftest import (
    THREAD,
    Chat,
    add_message,
    create_thread,
    list_items,
    post,
)
from tests.factories import Factory
from tests.kit.helpers import AsUser
from tests.kit.test_query_counts import count_statements

CREATE = "create a task to call the Hendersons tomorrow"


def of_type(events: list[ThreadStreamEvent], kind: type) -> list[Any]:
    return [event for event in events if isinstance(event, kind)]


def done_items(events: list[ThreadStreamEvent]) -> list[Any]:
    return [event.item for event in of_type(events, ThreadItemDoneEvent)]


async def messages_of(session: AsyncSession, conversation_id: str) -> list[ChatMessage]:
    rows = await session.execute(
        select(ChatMessage)
        .where(ChatMessage.conversation_id == uuid.UUID(conversation_id))
        .order_by(ChatMessage.seq)
        .execution_options(populate_existing=True)
    )
    return list(rows.scalars())


async def conversations_of(session: AsyncSession, user: User) -> int:
    stmt = select(func.count()).select_from(Conversation).where(Conversation.owner_id == user.id)
    return int((await session.execute(stmt)).scalar_one())


async def csr(factory: Factory, as_user: AsUser) -> tuple[User, dict[str, str]]:
    tenant = await factory.tenant(timezone="America/Chicago")
    user = await factory.user(tenant, Role.csr, name="Casey Rivera")
    return user, as_user(user)


async def test_a_new_thread_runs_the_assistant_turn_with_its_tools(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, session: AsyncSession
) -> None:
    user, headers = await csr(factory, as_user)
    chat = Chat(client, headers)

    events = await chat.stream(create_thread(CREATE))

    [created] = of_type(events, ThreadCreatedEvent)
    thread_id = created.thread.id
    assert isinstance(events[1], ThreadItemDoneEvent)
    user_item = events[1].item
    assert isinstance(user_item, UserMessageItem) and user_item.content[0].text == CREATE
    assert of_type(events, StreamOptionsEvent)[0].stream_options.allow_cancel
    # Each tool call is a task item naming the tool: added while it runs, done with its result.
    added = [e.item for e in of_type(events, ThreadItemAddedEvent) if isinstance(e.item, TaskItem)]
    tasks = [item for item in done_items(events) if isinstance(item, TaskItem)]
    assert [t.task.title for t in tasks] == ["search_contacts", "search_contacts", "create_task"]
    assert [t.id for t in added] == [t.id for t in tasks]
    assert {t.task.status_indicator for t in added} == {"loading"}
    assert {t.task.status_indicator for t in tasks} == {"complete"}
    assert '"title": "Call the Hendersons"' in (tasks[-1].task.content or "")
    assert "**Result** (ok," in (tasks[-1].task.content or "")
    # The reply streams as text deltas, then is done with the text as stored.
    deltas = [
        e.update.delta
        for e in of_type(events, ThreadItemUpdatedEvent)
        if isinstance(e.update, AssistantMessageContentPartTextDelta)
    ]
    [reply] = [item for item in done_items(events) if isinstance(item, AssistantMessageItem)]
    assert "".join(deltas) == reply.content[0].text
    assert reply.content[0].text.startswith("Done: I created the task “Call the Hendersons”")
    # The first message names the thread, as it names a conversation.
    [updated] = of_type(events, ThreadUpdatedEvent)
    assert updated.thread.title == "Create a task to call the Hendersons tomorrow"

    # The thread is a conversation: same id, same owner, the same stored turn.
    conversation = await session.get(Conversation, uuid.UUID(thread_id))
    assert conversation is not None and conversation.owner_id == user.id
    question, answer = await messages_of(session, thread_id)
    assert str(question.id) == user_item.id and question.content == CREATE
    assert str(answer.id) == reply.id and answer.content == reply.content[0].text
    assert [call["name"] for call in answer.tool_calls] == [t.task.title for t in tasks]
    assert answer.model == "builtin" and answer.latency_ms is not None
    assert (answer.prompt_tokens or 0) > 0 and (answer.completion_tokens or 0) > 0
    assert answer.context is not None and answer.context["user"]["name"] == "Casey Rivera"
    task = (
        await session.execute(select(Task).where(Task.tenant_id == user.tenant_id))
    ).scalar_one()
    assert task.title == "Call the Hendersons" and task.source == TaskSource.assistant

    # Read back through the JSON API: the same conversation, messages and tool calls.
    listed = (await client.get("/api/chat/conversations", headers=headers)).json()
    assert [item["id"] for item in listed["items"]] == [thread_id]
    assert listed["items"][0]["title"] == updated.thread.title
    assert listed["items"][0]["message_count"] == 2
    history = (
        await client.get(f"/api/chat/conversations/{thread_id}/messages", headers=headers)
    ).json()["items"]
    assert [m["id"] for m in history] == [user_item.id, reply.id]
    assert [c["name"] for c in history[1]["tool_calls"]] == [
        "search_contacts",
        "search_contacts",
        "create_task",
    ]

    # And through ChatKit again: the items a reload lists are the items the stream showed.
    items = await chat.items(thread_id, order="asc")
    assert [item.id for item in items.data] == [user_item.id, *[t.id for t in tasks], reply.id]
    assert [i.model_dump()["type"] for i in items.data] == [
        "user_message",
        "task",
        "task",
        "task",
        "assistant_message",
    ]
    assert [i.task.title for i in items.data if isinstance(i, TaskItem)] == [
        t.task.title for t in tasks
    ]
    assert [i.task.content for i in items.data if isinstance(i, TaskItem)] == [
        t.task.content for t in tasks
    ]


async def test_items_page_both_ways_and_a_new_token_resumes_the_thread(
    client: httpx.AsyncClient,
    factory: Factory,
    as_user: AsUser,
    session: AsyncSession,
    settings: Settings,
) -> None:
    user, _ = await csr(factory, as_user)
    short_lived = create_access_token(
        user_id=user.id,
        tenant_id=user.tenant_id,
        role=user.role,
        secret=settings.secret_key,
        minutes=5,
    )
    headers = {"Authorization": f"Bearer {short_lived}"}
    chat = Chat(client, headers)
    thread_id = of_type(await chat.stream(create_thread(CREATE)), ThreadCreatedEvent)[0].thread.id

    # Signed in again: a new token carries on the same thread, with its history.
    token = await client.post(
        "/api/auth/token", data={"username": user.email, "password": "secret"}
    )
    assert token.status_code == 200, token.text
    again = Chat(client, {"Authorization": f"Bearer {token.json()['access_token']}"})
    assert again.headers != headers
    thread = THREAD.validate_json(
        (
            await post(
                client,
                again.headers,
                ThreadsGetByIdReq(params=ThreadGetByIdParams(thread_id=thread_id)),
            )
        ).content
    )
    assert thread.title == "Create a task to call the Hendersons tomorrow"
    assert len(thread.items.data) == 5
    events = await again.stream(add_message(thread_id, "what's most urgent today?"))
    assert not of_type(events, ThreadCreatedEvent) and not of_type(events, ErrorEvent)
    [reply] = [item for item in done_items(events) if isinstance(item, AssistantMessageItem)]
    *_, answer = await messages_of(session, thread_id)
    assert str(answer.id) == reply.id and answer.seq == 4
    assert answer.context is not None and answer.context["history"]["messages"] >= 3

    # Every item once, in order, a page of two at a time, oldest first and newest first.
    everything = (await again.items(thread_id, order="asc", limit=50)).data
    assert not (await again.items(thread_id, order="asc", limit=50)).has_more
    assert len(everything) == 5 + 1 + len(answer.tool_calls) + 1
    for order, expected in (("asc", everything), ("desc", everything[::-1])):
        walked: list[str] = []
        after: str | None = None
        for _ in range(20):
            page = await again.items(thread_id, order=order, limit=2, after=after)
            walked += [item.id for item in page.data]
            if not page.has_more:
                break
            after = page.after
        assert walked == [item.id for item in expected], order
    newest = await again.items(thread_id, order="desc", limit=1)
    assert newest.data[0].id == reply.id and newest.has_more


async def test_threads_list_pages_rename_and_delete(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, session: AsyncSession
) -> None:
    user, headers = await csr(factory, as_user)
    chat = Chat(client, headers)
    seeded = [await seed_messages(session, user, 2, words=f"chat {n}") for n in range(5)]
    other = await factory.user(await factory.tenant(), Role.csr)
    await seed_messages(session, other, 2)  # another company's user: never listed

    ids: dict[str, list[str]] = {}
    for order in ("desc", "asc"):
        ids[order] = []
        after = None
        for _ in range(10):
            page = await chat.json(
                ThreadsListReq(params=ThreadListParams(limit=2, order=order, after=after))
            )
            ids[order] += [thread["id"] for thread in page["data"]]
            if not page["has_more"]:
                break
            after = page["after"]
    api = (await client.get("/api/chat/conversations", headers=headers)).json()["items"]
    assert ids["desc"] == [item["id"] for item in api]  # the assistant page's own order
    assert ids["asc"] == ids["desc"][::-1]
    assert sorted(ids["desc"]) == sorted(str(c.id) for c in seeded)

    target = ids["desc"][0]
    renamed = await chat.json(
        ThreadsUpdateReq(params=ThreadUpdateParams(thread_id=target, title="Henderson roof"))
    )
    assert renamed["id"] == target and renamed["title"] == "Henderson roof"
    read = (await client.get(f"/api/chat/conversations/{target}", headers=headers)).json()
    assert read["title"] == "Henderson roof" and read["title_is_auto"] is False
    too_long = await post(
        client,
        headers,
        ThreadsUpdateReq(params=ThreadUpdateParams(thread_id=target, title="x" * 201)),
    )
    assert too_long.status_code == 422, too_long.text

    assert await chat.json(ThreadsDeleteReq(params=ThreadDeleteParams(thread_id=target))) == {}
    gone = await client.get(f"/api/chat/conversations/{target}", headers=headers)
    assert gone.status_code == 404
    conversation = await session.get(Conversation, uuid.UUID(target), populate_existing=True)
    assert conversation is not None and conversation.deleted_at is not None  # soft delete
    missing = await post(
        client, headers, ThreadsGetByIdReq(params=ThreadGetByIdParams(thread_id=target))
    )
    assert missing.status_code == 404
    listed = await chat.json(ThreadsListReq(params=ThreadListParams(limit=20)))
    assert target not in [thread["id"] for thread in listed["data"]]


async def test_another_users_thread_is_not_found_and_untouched(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, session: AsyncSession
) -> None:
    tenant = await factory.tenant()
    owner = await factory.user(tenant, Role.manager)
    theirs = await seed_messages(session, owner, 2, words="private pricing")
    thread_id = str(theirs.id)
    colleague = await factory.user(tenant, Role.manager)  # same company, still not theirs
    stranger = await factory.user(await factory.tenant(), Role.admin)
    requests = [
        ThreadsGetByIdReq(params=ThreadGetByIdParams(thread_id=thread_id)),
        list_items(thread_id),
        add_message(thread_id, "show me the pricing"),
        ThreadsUpdateReq(params=ThreadUpdateParams(thread_id=thread_id, title="Mine now")),
        ThreadsDeleteReq(params=ThreadDeleteParams(thread_id=thread_id)),
        ThreadsRetryAfterItemReq(
            params=ThreadRetryAfterItemParams(thread_id=thread_id, item_id=str(uuid.uuid4()))
        ),
    ]
    for intruder in (colleague, stranger):
        for request in requests:
            response = await post(client, as_user(intruder), request)
            assert response.status_code == 404, (request.type, response.text)
            assert response.json()["error"] == "not_found"
            assert "pricing" not in response.text
    for bad_id in ("thr_1234", str(uuid.uuid4())):
        response = await post(client, as_user(owner), list_items(bad_id))
        assert response.status_code == 404
    await session.refresh(theirs)
    assert theirs.title == "Seeded" and theirs.deleted_at is None and theirs.message_count == 2
    listed = await Chat(client, as_user(colleague)).json(ThreadsListReq(params=ThreadListParams()))
    assert listed["data"] == []


async def test_a_message_over_the_limit_is_refused_before_anything_is_stored(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, session: AsyncSession
) -> None:
    user, headers = await csr(factory, as_user)
    chat = Chat(client, headers)
    too_long = "x" * (MAX_MESSAGE_CHARS + 1)

    [refused] = await chat.stream(create_thread(too_long))
    assert isinstance(refused, ErrorEvent) and not refused.allow_retry
    assert refused.message is not None and "10,000 characters" in refused.message
    assert await conversations_of(session, user) == 0  # not even an empty thread

    thread_id = of_type(await chat.stream(create_thread("hello")), ThreadCreatedEvent)[0].thread.id
    before = len(await messages_of(session, thread_id))
    [refused] = await chat.stream(add_message(thread_id, too_long))
    assert isinstance(refused, ErrorEvent)
    [refused] = await chat.stream(add_message(thread_id, "   "))
    assert isinstance(refused, ErrorEvent) and refused.message == "Type a message first."
    [refused] = await chat.stream(add_message(thread_id, "nul \x00 here"))
    assert isinstance(refused, ErrorEvent) and "NUL" in (refused.message or "")
    assert len(await messages_of(session, thread_id)) == before
    # Exactly at the limit is fine.
    events = await chat.stream(add_message(thread_id, "y" * MAX_MESSAGE_CHARS))
    assert not of_type(events, ErrorEvent)
    assert len(await messages_of(session, thread_id)) == before + 2


async def test_the_rate_limit_refuses_before_anything_is_stored(
    settings: Any, db: Any, factory: Factory, as_user: AsUser, session: AsyncSession
) -> None:
    from switchboard.app import create_app

    limited = settings.model_copy(update={"chat_rate_limit_per_minute": 2})
    app = create_app(limited, db=db)
    user, headers = await csr(factory, as_user)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://switchboard.test"
    ) as client:
        chat = Chat(client, headers)
        thread_id = of_type(await chat.stream(create_thread("hi")), ThreadCreatedEvent)[0].thread.id
        # The JSON API and ChatKit count against one window.
        await client.post(
            f"/api/chat/conversations/{thread_id}/messages",
            json={"content": "again"},
            headers=headers,
        )
        stored = len(await messages_of(session, thread_id))
        [refused] = await chat.stream(add_message(thread_id, "and again"))
        assert isinstance(refused, ErrorEvent) and refused.allow_retry
        assert "too many requests" in (refused.message or "")
        [refused] = await chat.stream(create_thread("a new one"))
        assert isinstance(refused, ErrorEvent)
        assert len(await messages_of(session, thread_id)) == stored
        assert await conversations_of(session, user) == 1


async def test_a_json_api_conversation_reads_through_chatkit(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser
) -> None:
    _, headers = await csr(factory, as_user)
    conversation = await new_conversation(client, headers, message=CREATE)
    reply = conversation["reply"]

    thread = THREAD.validate_json(
        (
            await post(
                client,
                headers,
                ThreadsGetByIdReq(params=ThreadGetByIdParams(thread_id=conversation["id"])),
            )
        ).content
    )
    assert thread.id == conversation["id"] and thread.title == conversation["title"]
    question, *tasks, answer = thread.items.data
    assert isinstance(question, UserMessageItem) and question.id == reply["user_message"]["id"]
    assert question.content[0].text == CREATE
    assert [t.task.title for t in tasks if isinstance(t, TaskItem)] == [
        call["name"] for call in reply["assistant_message"]["tool_calls"]
    ]
    assert isinstance(answer, AssistantMessageItem)
    assert answer.id == reply["assistant_message"]["id"]
    assert answer.content[0].text == reply["assistant_message"]["content"]

    # ChatKit carries on the conversation the JSON API began.
    events = await Chat(client, headers).stream(add_message(conversation["id"], "thanks!"))
    assert not of_type(events, ErrorEvent)
    history = (
        await client.get(f"/api/chat/conversations/{conversation['id']}/messages", headers=headers)
    ).json()["items"]
    assert [m["content"] for m in history][2] == "thanks!" and len(history) == 4


async def test_retry_attachments_and_garbage_are_refused(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, session: AsyncSession
) -> None:
    user, headers = await csr(factory, as_user)
    chat = Chat(client, headers)
    events = await chat.stream(create_thread("hello"))
    thread_id = of_type(events, ThreadCreatedEvent)[0].thread.id
    stored = len(await messages_of(session, thread_id))

    user_item = done_items(events)[0]
    [refused] = await chat.stream(
        ThreadsRetryAfterItemReq(
            params=ThreadRetryAfterItemParams(thread_id=thread_id, item_id=user_item.id)
        )
    )
    assert isinstance(refused, ErrorEvent) and "send your message again" in (refused.message or "")
    assert len(await messages_of(session, thread_id)) == stored  # nothing removed or added

    upload = await post(
        client,
        headers,
        AttachmentsCreateReq(params=AttachmentCreateParams(name="a.pdf", size=3, mime_type="x")),
    )
    assert upload.status_code == 400
    garbage = await client.post("/chatkit", content=b'{"type": "threads.nope"}', headers=headers)
    assert garbage.status_code == 422
    unauthenticated = await post(client, {}, create_thread("hello"))
    assert unauthenticated.status_code == 401
    assert await conversations_of(session, user) == 1


async def test_start_screen_prompts_are_the_suggestions(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser
) -> None:
    _, headers = await csr(factory, as_user)
    suggestions = (await client.get("/api/chat/suggestions", headers=headers)).json()["items"]
    screen = await client.get("/chatkit/prompts", headers=headers)
    assert screen.status_code == 200, screen.text
    body = screen.json()
    assert body["greeting"] == "What can I help with, Casey?"
    assert [p["prompt"] for p in body["prompts"]] == suggestions
    assert [p["label"] for p in body["prompts"]] == suggestions
    assert (await client.get("/chatkit/prompts")).status_code == 401


@pytest.mark.parametrize("installed", [True, False])
async def test_chatkit_is_mounted_only_when_the_package_is_installed(
    settings: Any, db: Any, monkeypatch: pytest.MonkeyPatch, installed: bool
) -> None:
    from switchboard import app as app_module

    monkeypatch.setattr(app_module, "chatkit_available", lambda: installed)
    app = app_module.create_app(settings, db=db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://switchboard.test"
    ) as client:
        response = await post(client, {}, create_thread("hello"))
    assert response.status_code == (401 if installed else 404)
    assert ("/chatkit" in app.openapi()["paths"]) is installed


async def test_a_page_of_items_costs_the_same_in_a_long_thread(
    client: httpx.AsyncClient,
    factory: Factory,
    as_user: AsUser,
    session: AsyncSession,
    engine: AsyncEngine,
) -> None:
    user, headers = await csr(factory, as_user)
    chat = Chat(client, headers)
    short = await seed_messages(session, user, 12)
    long = await seed_messages(session, user, 400)

    counts: list[int] = []
    pages: list[list[str]] = []
    for thread, order, after in (
        (short, "desc", None),
        (long, "desc", None),
        (long, "desc", None),  # replaced below by a cursor deep in the history
        (long, "asc", None),
    ):
        if len(pages) == 2:
            after = pages[1][-1]
        with count_statements(engine) as statements:
            page = await chat.items(str(thread.id), order=order, limit=10, after=after)
        counts.append(len(statements))
        pages.append([item.id for item in page.data])
        assert len(page.data) == 10 and page.has_more
    # A long thread's first page, either way, costs what a short one's does; a cursor adds
    # only the look-up of the message it names.
    assert counts[0] == counts[1] == counts[3] and counts[2] == counts[0] + 2, counts
    assert counts[0] <= 4, counts
    assert set(pages[1]).isdisjoint(pages[2])  # the next page, not the same one again
