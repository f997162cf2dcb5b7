"""Conversations: the owner's list (pinned first, keyset pages), renaming and pinning, soft
delete, history pages by seq or id, full-text search, export, and isolation between users
and tenants."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.assistant.models import ChatMessage, ChatRole
from switchboard.assistant.repository import ChatMessageRepository, fts5_query
from switchboard.assistant.schemas import ConversationCreate
from switchboard.assistant.service import ConversationService, snippet, title_from
from switchboard.kit.pagination import PageParams
from switchboard.tenancy.models import Role
from tests.assistant.conftest import new_conversation, seed_messages, send
from tests.factories import Factory
from tests.kit.helpers import AsUser, assert_invalid, walk_pages


def seqs(page: dict[str, Any]) -> list[int]:
    return [item["seq"] for item in page["items"]]


async def test_list_is_pinned_first_then_latest_activity(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, frozen_clock: Any
) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.csr)
    headers = as_user(user)
    titles = [f"Chat {n}" for n in range(7)]
    ids = {}
    for title in titles:
        ids[title] = (await new_conversation(client, headers, title=title))["id"]
        frozen_clock.advance(30)
    await client.patch(
        f"/api/chat/conversations/{ids['Chat 2']}", json={"pinned": True}, headers=headers
    )
    await send(client, headers, ids["Chat 0"], "hello")  # newest activity

    items = await walk_pages(client, "/api/chat/conversations", headers, limit=2)
    assert [c["title"] for c in items] == [
        "Chat 2",
        "Chat 0",
        "Chat 6",
        "Chat 5",
        "Chat 4",
        "Chat 3",
        "Chat 1",
    ]
    assert items[0]["pinned"] is True and items[1]["message_count"] == 2
    assert items[1]["last_message_preview"].startswith("Hi!")
    assert items[2]["message_count"] == 0 and items[2]["last_message_preview"] is None


async def test_rename_and_pin_rules(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.rep))
    conversation = await new_conversation(
        client, headers, message="what appointments do I have tomorrow?"
    )
    assert conversation["title"] == "What appointments do I have tomorrow"
    assert conversation["title_is_auto"] is True
    url = f"/api/chat/conversations/{conversation['id']}"

    renamed = await client.patch(url, json={"title": "  Tomorrow  "}, headers=headers)
    assert renamed.status_code == 200
    assert renamed.json()["title"] == "Tomorrow" and renamed.json()["title_is_auto"] is False
    assert_invalid(await client.patch(url, json={"title": ""}, headers=headers), "title")
    assert_invalid(await client.patch(url, json={"title": "x" * 201}, headers=headers), "title")
    assert_invalid(await client.patch(url, json={"title": None}, headers=headers), "title")
    assert_invalid(await client.patch(url, json={"pinned": None}, headers=headers), "pinned")
    assert (await client.patch(url, json={"colour": "red"}, headers=headers)).status_code == 422
    assert (await client.patch(url, json={"title": "y" * 200}, headers=headers)).status_code == 200
    pinned = await client.patch(url, json={"pinned": True}, headers=headers)
    assert pinned.json()["pinned"] is True and pinned.json()["title"] == "y" * 200

    # A renamed conversation keeps its name when more messages come.
    await send(client, headers, conversation["id"], "who do I need to follow up with?")
    assert (await client.get(url, headers=headers)).json()["title"] == "y" * 200


async def test_soft_delete(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, session: AsyncSession
) -> None:
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.manager))
    keep = await new_conversation(client, headers, title="Keep")
    gone = await new_conversation(client, headers, message="hello")
    url = f"/api/chat/conversations/{gone['id']}"
    assert (await client.delete(url, headers=headers)).status_code == 204

    listed = (await client.get("/api/chat/conversations", headers=headers)).json()["items"]
    assert [c["id"] for c in listed] == [keep["id"]]
    for method, path, body in [
        ("GET", url, None),
        ("PATCH", url, {"title": "Back"}),
        ("DELETE", url, None),
        ("GET", f"{url}/messages", None),
        ("POST", f"{url}/messages", {"content": "hi"}),
        ("GET", f"{url}/export", None),
    ]:
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == 404, (method, path, response.text)
    found = (await client.get("/api/chat/search", params={"q": "hello"}, headers=headers)).json()
    assert found["items"] == []
    # Soft: the rows are still there.
    rows = await session.execute(
        select(func.count()).where(ChatMessage.conversation_id == uuid.UUID(gone["id"]))
    )
    assert rows.scalar_one() == 2


async def test_another_user_or_tenant_cannot_reach_a_conversation(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser
) -> None:
    tenant, elsewhere = await factory.tenant(), await factory.tenant()
    owner = await factory.user(tenant, Role.manager)
    colleague = await factory.user(tenant, Role.manager)
    outsider = await factory.user(elsewhere, Role.admin)
    mine = await new_conversation(client, as_user(owner), message="summarize the Zebulon account")
    url = f"/api/chat/conversations/{mine['id']}"
    for intruder in (colleague, outsider):
        headers = as_user(intruder)
        for method, path, body in [
            ("GET", url, None),
            ("GET", f"{url}/messages", None),
            ("GET", f"{url}/messages?since=0", None),
            ("POST", f"{url}/messages", {"content": "hi"}),
            ("PATCH", url, {"title": "Mine now"}),
            ("DELETE", url, None),
            ("GET", f"{url}/export?format=json", None),
            ("GET", f"{url}/export?format=markdown", None),
        ]:
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["error"] == "not_found"
        listed = (await client.get("/api/chat/conversations", headers=headers)).json()
        assert listed["items"] == []
        found = await client.get("/api/chat/search", params={"q": "Zebulon"}, headers=headers)
        assert found.status_code == 200 and found.json()["items"] == []
    # The owner still has it, untouched.
    owned = (await client.get(url, headers=as_user(owner))).json()
    assert owned["title"] == mine["title"] and owned["message_count"] == 2
    found = await client.get("/api/chat/search", params={"q": "Zebulon"}, headers=as_user(owner))
    assert {hit["conversation_id"] for hit in found.json()["items"]} == {mine["id"]}


async def test_history_pages_are_chronological_by_seq_or_id(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, session: AsyncSession
) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.csr)
    headers = as_user(user)
    conversation = await seed_messages(session, user, 25)
    url = f"/api/chat/conversations/{conversation.id}/messages"

    latest = (await client.get(url, params={"limit": 10}, headers=headers)).json()
    assert seqs(latest) == list(range(16, 26)) and latest["next_cursor"] == "16"
    assert latest["items"][0]["content"] == "message 16"
    older = (await client.get(url, params={"limit": 10, "before": "16"}, headers=headers)).json()
    assert seqs(older) == list(range(6, 16)) and older["next_cursor"] == "6"
    oldest = (await client.get(url, params={"limit": 10, "before": "6"}, headers=headers)).json()
    assert seqs(oldest) == [1, 2, 3, 4, 5] and oldest["next_cursor"] is None

    by_id = older["items"][0]["id"]  # seq 6
    page = (await client.get(url, params={"limit": 3, "before": by_id}, headers=headers)).json()
    assert seqs(page) == [3, 4, 5] and page["next_cursor"] == "3"

    newer = (await client.get(url, params={"since": "20", "limit": 3}, headers=headers)).json()
    assert seqs(newer) == [21, 22, 23] and newer["next_cursor"] == "23"
    rest = (await client.get(url, params={"since": "23"}, headers=headers)).json()
    assert seqs(rest) == [24, 25] and rest["next_cursor"] is None
    since_id = latest["items"][-1]["id"]
    nothing = (await client.get(url, params={"since": since_id}, headers=headers)).json()
    assert nothing == {"items": [], "next_cursor": None}

    every = (await client.get(url, params={"limit": 200}, headers=headers)).json()
    assert seqs(every) == list(range(1, 26))
    assert (await client.get(url, params={"limit": 201}, headers=headers)).status_code == 422
    assert (await client.get(url, params={"limit": 0}, headers=headers)).status_code == 422
    both = await client.get(url, params={"before": "5", "since": "1"}, headers=headers)
    assert both.status_code == 422
    assert (await client.get(url, params={"before": "soon"}, headers=headers)).status_code == 422
    stranger = "00000000-0000-0000-0000-000000000001"
    assert (await client.get(url, params={"before": stranger}, headers=headers)).status_code == 422


async def test_polling_since_sees_a_new_turn(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.csr))
    conversation = await new_conversation(client, headers, message="hello")
    url = f"/api/chat/conversations/{conversation['id']}/messages"
    assert (await client.get(url, params={"since": 2}, headers=headers)).json()["items"] == []
    await send(client, headers, conversation["id"], "thanks")
    polled = (await client.get(url, params={"since": 2}, headers=headers)).json()
    assert [(m["seq"], m["role"]) for m in polled["items"]] == [(3, "user"), (4, "assistant")]


@pytest.mark.parametrize(
    "query",
    ['"roof', "estimate OR (", "NEAR(estimate roof)", "content:estimate", "*", "roof's -"],
)
async def test_search_takes_any_text_safely(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, session: AsyncSession, query: str
) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.csr)
    await seed_messages(session, user, 2, words="roof estimate")
    response = await client.get("/api/chat/search", params={"q": query}, headers=as_user(user))
    assert response.status_code == 200, response.text


async def test_search_finds_own_messages_by_words(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, session: AsyncSession
) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.csr)
    other = await factory.user(tenant, Role.csr)
    service = ConversationService(session, user)
    roofing = await service.create(ConversationCreate(title="Roofing"))
    await service.append(roofing, ChatRole.user, "Did the Hendersons approve the roof estimates?")
    await service.append(roofing, ChatRole.assistant, "Not yet: their estimate is still pending.")
    solar = await service.create(ConversationCreate(title="Solar"))
    await service.append(solar, ChatRole.user, "Which solar leads came in today?")
    theirs = ConversationService(session, other)
    await theirs.append(
        await theirs.create(ConversationCreate(title="Theirs")),
        ChatRole.user,
        "Hendersons estimate follow-up",
    )
    headers = as_user(user)

    found = (await client.get("/api/chat/search", params={"q": "estimate"}, headers=headers)).json()
    # Stemming: "estimates" matches "estimate".
    assert found["query"] == "estimate"
    assert {hit["seq"] for hit in found["items"]} == {1, 2}
    assert {hit["conversation_title"] for hit in found["items"]} == {"Roofing"}
    hit = found["items"][0]
    assert set(hit) == {
        "conversation_id",
        "conversation_title",
        "message_id",
        "seq",
        "role",
        "snippet",
        "created_at",
    }
    both = await client.get("/api/chat/search", params={"q": "Hendersons roof"}, headers=headers)
    assert [h["seq"] for h in both.json()["items"]] == [1]
    solar_hits = await client.get("/api/chat/search", params={"q": "SOLAR leads"}, headers=headers)
    assert [h["conversation_title"] for h in solar_hits.json()["items"]] == ["Solar"]
    none = await client.get("/api/chat/search", params={"q": "gutters"}, headers=headers)
    assert none.json()["items"] == []
    assert (
        await client.get("/api/chat/search", params={"q": ""}, headers=headers)
    ).status_code == 422
    assert (await client.get("/api/chat/search", headers=headers)).status_code == 422


async def test_search_runs_on_the_full_text_index(
    session: AsyncSession, factory: Factory, backend: str
) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.csr)
    await seed_messages(session, user, 3, words="shingles")
    repo = ChatMessageRepository(session, tenant.id)
    dialect = session.get_bind().dialect
    hits, cursor = await repo.search(user.id, "shingles", dialect.name, PageParams(limit=10))
    assert len(hits) == 3 and cursor is None
    stmt = repo.search_statement(user.id, "shingles", dialect.name, PageParams(limit=10))
    assert stmt is not None
    sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if backend == "postgres":
        # The query's expression is the GIN index's, so the planner can use it.
        assert "to_tsvector('english'::regconfig, chat_messages.content)" in sql
        # Tiny tables: steer the planner off the alternatives to show the index is usable.
        for setting in ("enable_seqscan", "enable_indexscan", "enable_nestloop"):
            await session.execute(text(f"SET LOCAL {setting} = off"))
        plan = await session.execute(text(f"EXPLAIN {sql}"))
    else:
        plan = await session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))
    lines = "\n".join(str(row[-1]) for row in plan)
    expected = (
        "ix_chat_messages_fts" if backend == "postgres" else "chat_messages_fts VIRTUAL TABLE"
    )
    assert expected in lines, lines


async def test_export_markdown_and_json(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.csr))
    conversation = await new_conversation(
        client, headers, message="create a task to call the Hendersons tomorrow at 5pm"
    )
    url = f"/api/chat/conversations/{conversation['id']}/export"
    markdown = await client.get(url, headers=headers)
    assert markdown.status_code == 200
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert "attachment" in markdown.headers["content-disposition"]
    body = markdown.text
    assert body.startswith(f"# {conversation['title']}\n")
    assert "## You ·" in body and "## Assistant ·" in body
    assert "- tool `create_task`" in body and "→ ok" in body
    assert "create a task to call the Hendersons tomorrow at 5pm" in body

    exported = await client.get(url, params={"format": "json"}, headers=headers)
    assert exported.headers["content-type"].startswith("application/json")
    document = json.loads(exported.text)
    assert document["conversation"]["id"] == conversation["id"]
    assert [m["role"] for m in document["messages"]] == ["user", "assistant"]
    assert document["messages"][1]["tool_calls"][-1]["name"] == "create_task"
    assert document["messages"][1]["context"]["user"]["role"] == "csr"
    assert (await client.get(url, params={"format": "pdf"}, headers=headers)).status_code == 422


def test_titles_previews_and_snippets() -> None:
    assert title_from("  what's most urgent today?  ") == "What's most urgent today"
    assert title_from("\n\nhi\nsecond line") == "Hi"
    long = title_from("please " + "really " * 20 + "help")
    assert len(long) <= 60 and long.endswith("…") and " really…" in long
    assert title_from("x" * 300) == "X" + "x" * 58 + "…"
    text_ = "word " * 50 + "the Henderson estimate is ready " + "word " * 50
    cut = snippet(text_, "estimate")
    assert "Henderson estimate" in cut and cut.startswith("…") and len(cut) <= 162


def test_fts5_query_quotes_every_word() -> None:
    assert fts5_query('roof "estimate" OR (') == '"roof" "estimate" "OR"'
    assert fts5_query("NEAR(a b)") == '"NEAR" "a" "b"'
    assert fts5_query("*** --") is None


async def test_history_page_and_append_cost_the_same_at_any_length(
    client: httpx.AsyncClient,
    factory: Factory,
    as_user: AsUser,
    session: AsyncSession,
    db: Any,
) -> None:
    from sqlalchemy import event

    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.csr)
    short = await seed_messages(session, user, 4)
    long = await seed_messages(session, user, 120)
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
            statements.append(statement)

    async def count(coro: Any) -> int:
        statements.clear()
        event.listen(db.engine.sync_engine, "before_cursor_execute", record)
        try:
            await coro
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", record)
        return len(statements)

    headers = as_user(user)
    pages = [
        await count(client.get(f"/api/chat/conversations/{c.id}/messages", headers=headers))
        for c in (short, long)
    ]
    # The user, the conversation, one range of messages.
    assert pages == [3, 3]

    service = ConversationService(session, user)

    async def append(conversation_id: Any) -> None:
        conversation = await service.get(conversation_id, for_update=True)
        await service.append(conversation, ChatRole.user, "one more")

    appends = [await count(append(c.id)) for c in (short, long)]
    # Lock the conversation, max(seq), insert the message, update the counters.
    assert appends == [4, 4]
    assert long.message_count == 121 and long.last_message_preview == "one more"
