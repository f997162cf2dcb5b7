"""The assistant pages through the app: every role opens them, another user's conversation
is not found, the sidebar (days, more, search, rename, pin, delete, download), history a
page at a time, sending with the reply streamed as events, Stop, and replies rendered as
safe Markdown."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.assistant.models import ChatMessage, ChatRole, Conversation
from switchboard.assistant.schemas import ConversationCreate
from switchboard.assistant.service import ConversationService
from switchboard.kit.clock import utcnow
from switchboard.tasks.models import Task, TaskSource
from switchboard.tenancy.models import Role, User
from switchboard.web.markdown import render_markdown
from switchboard.web.pages.assistant import tool_summary
from tests.assistant.conftest import parse_sse, seed_messages
from tests.factories import Factory
from tests.web.conftest import ORIGIN, Browser

CREATE = "create a task to call the Hendersons tomorrow at 5pm"


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _list(html: str) -> str:
    found = re.search(r'<ol id="chat-items"[^>]*aria-label="Conversations">(.*?)</ol>', html, re.S)
    assert found, html[:2000]
    return found.group(1)


async def _conversation(session: AsyncSession, user: User, title: str, *said: str) -> Conversation:
    service = ConversationService(session, user)
    conversation = await service.create(ConversationCreate(title=title))
    for number, content in enumerate(said):
        role = ChatRole.user if number % 2 == 0 else ChatRole.assistant
        await service.append(conversation, role, content)
    return conversation


async def _stream(browser: Browser, url: str, content: str) -> list[Any]:
    response = await browser.client.post(
        url,
        data={"content": content},
        headers={"Origin": ORIGIN, "X-CSRF-Token": browser.csrf, "Accept": "text/event-stream"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    return parse_sse(response.text)


@pytest.mark.parametrize("role", list(Role))
async def test_every_role_opens_the_assistant_and_its_own_conversation(
    factory: Factory, session: AsyncSession, sign_in: object, role: Role
) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant, role)
    mine = await _conversation(session, user, "Pipeline review", "how is the pipeline?", "Fine.")
    browser: Browser = await sign_in(user)  # type: ignore[operator]

    start = await browser.get("/assistant")
    assert start.status_code == 200, start.text[:500]
    for needle in (
        'aria-label="Conversations"',
        ">New conversation</button>",
        '<label for="chat-input">Ask the assistant</label>',
        ">Send</button>",
        'aria-label="Suggested questions"',
        'class="suggestion"',
    ):
        assert needle in start.text, needle
    assert "Pipeline review" in _list(start.text)
    assert "Open assistant" not in start.text  # the page is the assistant: no panel

    page = await browser.get(f"/assistant/{mine.id}")
    assert page.status_code == 200
    assert "how is the pipeline?" in page.text and "Pipeline review · Assistant" in page.text
    assert 'aria-current="page"' in _list(page.text)

    inbox = await browser.get("/inbox")
    assert ">Open assistant</button>" in inbox.text and 'id="assistant-panel"' in inbox.text
    panel = await browser.get("/assistant/panel", headers={"HX-Request": "true"})
    assert panel.status_code == 200 and "how is the pipeline?" in panel.text
    assert 'aria-label="Assistant messages"' in panel.text and "<html" not in panel.text


async def test_another_users_conversation_is_not_found(
    factory: Factory, session: AsyncSession, sign_in: object
) -> None:
    tenant = await factory.tenant()
    owner, colleague = await factory.user(tenant, Role.manager), await factory.user(tenant)
    theirs = await _conversation(session, owner, "Secret plans", "the Zebulon deal", "Noted.")
    browser: Browser = await sign_in(colleague)  # type: ignore[operator]
    for path in ("", "/messages?before=2", "/row", "/export"):
        response = await browser.get(f"/assistant/{theirs.id}{path}")
        assert response.status_code == 404, path
        assert "Zebulon" not in response.text and "Secret plans" not in response.text
    for path, data in (
        ("/rename", {"title": "Mine"}),
        ("/pin", {"pinned": "true"}),
        ("/delete", {}),
        ("/messages", {"content": "hello"}),
        ("/stop", {"message_id": str(uuid.uuid4())}),
    ):
        response = await browser.post(f"/assistant/{theirs.id}{path}", data, htmx=True)
        assert response.status_code == 404, (path, response.text)
    assert "Secret plans" not in _list((await browser.get("/assistant")).text)
    found = await browser.get("/assistant/search?q=Zebulon", headers={"HX-Request": "true"})
    assert "Secret plans" not in found.text
    await session.refresh(theirs)
    assert (theirs.title, theirs.pinned, theirs.deleted_at, theirs.message_count) == (
        "Secret plans",
        False,
        None,
        2,
    )


async def test_rename_pin_and_delete_through_the_page_need_the_csrf_token(
    factory: Factory, session: AsyncSession, sign_in: object
) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.csr)
    chat = await _conversation(session, user, "Roof questions", "about roofs", "Sure.")
    other = await _conversation(session, user, "Other chat", "other", "Yes.")
    browser: Browser = await sign_in(user)  # type: ignore[operator]
    await browser.get(f"/assistant/{chat.id}")

    # Without the page's token nothing changes.
    for path, data in (("/rename", {"title": "Hacked"}), ("/pin", {}), ("/delete", {})):
        forged = await browser.client.post(
            f"/assistant/{chat.id}{path}", data=data, headers={"Origin": ORIGIN}
        )
        assert forged.status_code == 403, path
        elsewhere = await browser.client.post(
            f"/assistant/{chat.id}{path}",
            data={"csrf_token": browser.csrf, **data},
            headers={"Origin": "https://evil.example"},
        )
        assert elsewhere.status_code == 403, path
    await session.refresh(chat)
    assert (chat.title, chat.pinned, chat.deleted_at) == ("Roof questions", False, None)

    # Rename in place: the row turns into a form, and saving gives the row back.
    editing = await browser.get(
        f"/assistant/{chat.id}/row?edit=rename&current={chat.id}", headers={"HX-Request": "true"}
    )
    assert f'<label for="rename-{chat.id}">Title</label>' in editing.text
    assert 'value="Roof questions"' in editing.text
    renamed = await browser.post(
        f"/assistant/{chat.id}/rename",
        {"title": "  Henderson   roof ", "current": str(chat.id)},
        htmx=True,
    )
    assert renamed.status_code == 200 and "Henderson roof" in renamed.text
    assert renamed.text.lstrip().startswith(f'<li id="chat-{chat.id}"')
    assert json.loads(renamed.headers["HX-Trigger"])["sb:renamed"]["title"] == "Henderson roof"
    empty = await browser.post(f"/assistant/{chat.id}/rename", {"title": "  "}, htmx=True)
    assert empty.status_code == 422 and "1 to 200 characters" in empty.text
    await session.refresh(chat)
    assert chat.title == "Henderson roof" and chat.title_is_auto is False

    # Pin: the list comes back with it in the Pinned group, first.
    pinned = await browser.post(f"/assistant/{chat.id}/pin", {"pinned": "true"}, htmx=True)
    rows = _list(pinned.text)
    assert rows.index(">Pinned</h2>") < rows.index("Henderson roof") < rows.index("Other chat")
    await session.refresh(chat)
    assert chat.pinned is True
    await browser.post(f"/assistant/{chat.id}/pin", {"pinned": "false"}, htmx=True)
    await session.refresh(chat)
    assert chat.pinned is False

    # Delete asks first, then soft-deletes; deleting the open one goes back to the start.
    confirm = await browser.get(
        f"/assistant/{other.id}/row?edit=delete", headers={"HX-Request": "true"}
    )
    assert "Delete “Other chat”?" in confirm.text and ">Delete</button>" in confirm.text
    gone = await browser.post(f"/assistant/{other.id}/delete", {"current": str(chat.id)}, htmx=True)
    assert gone.status_code == 200 and "Other chat" not in _list(gone.text)
    current = await browser.post(
        f"/assistant/{chat.id}/delete", {"current": str(chat.id)}, htmx=True
    )
    assert current.status_code == 204 and current.headers["HX-Location"] == "/assistant"
    plain = await browser.post(f"/assistant/{chat.id}/rename", {"title": "x"})
    assert plain.status_code == 404
    await session.refresh(other)
    assert other.deleted_at is not None  # soft: the row is still there
    assert (await browser.get(f"/assistant/{other.id}")).status_code == 404

    # Without script, the same forms answer with a redirect.
    third = await _conversation(session, user, "Third", "third")
    redirect = await browser.post(f"/assistant/{third.id}/pin", {"pinned": "true"})
    assert redirect.status_code == 303 and redirect.headers["location"] == f"/assistant/{third.id}"
    edit_page = await browser.get(f"/assistant/{third.id}?edit=rename")
    assert f'id="rename-{third.id}"' in edit_page.text


async def test_sidebar_groups_by_day_and_pages_with_more(
    factory: Factory, session: AsyncSession, sign_in: object, frozen_clock: Any
) -> None:
    tenant = await factory.tenant(timezone="America/Denver")
    user = await factory.user(tenant, Role.rep)
    now = utcnow()
    ages = {"Today": 0, "Yesterday": 1, "Previous 7 days": 4, "Older": 30}
    for group, days in ages.items():
        for number in range(12):
            conversation = await _conversation(session, user, f"{group} {number}")
            conversation.last_message_at = now - timedelta(days=days, minutes=number)
    await session.flush()
    browser: Browser = await sign_in(user)  # type: ignore[operator]

    page = await browser.get("/assistant")
    rows = _list(page.text)
    headings = re.findall(r"<h2>([^<]+)</h2>", rows)
    assert headings == ["Today", "Yesterday", "Previous 7 days"]  # 30 rows a page
    more = re.search(r'hx-get="(/assistant/conversations\?[^"]+)"', rows)
    assert more
    following = await browser.get(
        more.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"}
    )
    # The page continues "Previous 7 days" without repeating its heading.
    assert re.findall(r"<h2>([^<]+)</h2>", following.text) == ["Older"]
    titles = re.findall(r'class="chat-title">([^<]+)<', rows + following.text)
    assert len(titles) == 48 and len(set(titles)) == 48
    assert "More conversations" not in following.text
    # Fragments tell the time in the company's zone too: 15:00 UTC is 8:00 AM in Denver.
    fragment = await browser.get("/assistant/conversations", headers={"HX-Request": "true"})
    assert ">8:00 AM</time>" in fragment.text and ">3:00 PM</time>" not in fragment.text


async def test_search_finds_titles_and_messages_with_more(
    factory: Factory, session: AsyncSession, sign_in: object
) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.csr)
    await _conversation(session, user, "Gutter quote for the Patels", "hello")
    for number in range(25):
        await _conversation(session, user, f"Chat {number}", f"the gutter job number {number}")
    browser: Browser = await sign_in(user)  # type: ignore[operator]

    found = await browser.get("/assistant/search?q=gutter", headers={"HX-Request": "true"})
    assert found.status_code == 200
    hits = _list(found.text)
    assert "Gutter quote for the Patels" in hits and "The title matches" in hits
    assert hits.count('class="chat-snippet"') == 21  # the title, then 20 messages
    more = re.search(r'hx-get="(/assistant/search\?[^"]+)"', hits)
    assert more and "cursor=" in more.group(1)
    rest = await browser.get(more.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert rest.text.count('class="chat-snippet"') == 5 and "More results" not in rest.text
    assert "the title matches" not in rest.text.lower()  # titles come on the first page only
    nothing = await browser.get("/assistant/search?q=skylight", headers={"HX-Request": "true"})
    assert "Nothing matches “skylight”." in nothing.text
    everything = await browser.get("/assistant/search?q=", headers={"HX-Request": "true"})
    assert "Chat 24" in everything.text  # an empty search is the list again


async def test_history_opens_on_the_latest_page_and_scrolls_back(
    factory: Factory, session: AsyncSession, sign_in: object
) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.csr)
    conversation = await seed_messages(session, user, 120)
    browser: Browser = await sign_in(user)  # type: ignore[operator]

    page = await browser.get(f"/assistant/{conversation.id}")
    seqs = [int(s) for s in re.findall(r'data-seq="(\d+)"', page.text)]
    assert seqs == list(range(71, 121))
    older = re.search(r'hx-get="(/assistant/[^"]+/messages\?before=\d+)"', page.text)
    assert older and 'hx-trigger="click, intersect once"' in page.text
    earlier = await browser.get(older.group(1), headers={"HX-Request": "true"})
    assert [int(s) for s in re.findall(r'data-seq="(\d+)"', earlier.text)] == list(range(21, 71))
    oldest = re.search(r'hx-get="(/assistant/[^"]+/messages\?before=\d+)"', earlier.text)
    assert oldest
    first = await browser.get(oldest.group(1), headers={"HX-Request": "true"})
    assert [int(s) for s in re.findall(r'data-seq="(\d+)"', first.text)] == list(range(1, 21))
    assert "Earlier messages" not in first.text
    # Without script the link opens the same page of history.
    plain = await browser.get(f"/assistant/{conversation.id}?before=71")
    assert [int(s) for s in re.findall(r'data-seq="(\d+)"', plain.text)] == list(range(21, 71))


async def test_sending_streams_the_reply_with_its_tool_card_and_stores_it(
    factory: Factory, session: AsyncSession, sign_in: object
) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.csr)
    browser: Browser = await sign_in(user)  # type: ignore[operator]
    await browser.get("/assistant")

    events = await _stream(browser, "/assistant/messages", CREATE)
    kinds = [event.event for event in events]
    assert kinds[:2] == ["conversation", "user_message"] and kinds[-1] == "done"
    assert "text_delta" in kinds and "tool_call_started" in kinds
    conversation_id = events[0].data["id"]
    assert events[0].data["url"] == f"/assistant/{conversation_id}"
    assert events[0].data["title"] == "Create a task to call the Hendersons tomorrow at 5pm"
    assert CREATE in events[1].data["html"]
    finished = [e for e in events if e.event == "tool_call_finished"]
    card = finished[-1].data["html"]
    assert card.startswith('<details class="tool-call tool-ok"')
    assert '<code class="tool-name">create_task</code>' in card
    assert "Created task: Call the Hendersons" in card
    streamed = "".join(e.data["text"] for e in events if e.event == "text_delta")
    assert streamed.startswith("Done: I created the task")
    done = events[-1].data
    assert done["status"] == "ok" and "Created task: Call the Hendersons" in done["html"]
    assert '<div class="bubble md">' in done["html"]

    task = (await session.execute(select(Task).where(Task.tenant_id == tenant.id))).scalar_one()
    assert task.title == "Call the Hendersons" and task.source == TaskSource.assistant
    page = await browser.get(f"/assistant/{conversation_id}")
    assert "Created task: Call the Hendersons" in page.text and CREATE in page.text

    # A follow-up in the same conversation; without script the form answers with the page.
    plain = await browser.post(f"/assistant/{conversation_id}/messages", {"content": "thanks"})
    assert plain.status_code == 303 and plain.headers["location"] == f"/assistant/{conversation_id}"
    stored = await session.execute(
        select(ChatMessage.seq).where(ChatMessage.conversation_id == uuid.UUID(conversation_id))
    )
    assert sorted(stored.scalars()) == [1, 2, 3, 4]


async def test_a_message_is_checked_before_anything_is_stored(
    factory: Factory, session: AsyncSession, sign_in: object
) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.csr)
    browser: Browser = await sign_in(user)  # type: ignore[operator]
    for content, why in (("   ", "write a question first"), ("x" * 10_001, "10,000 characters")):
        response = await browser.post("/assistant/messages", {"content": content}, htmx=True)
        assert response.status_code == 422 and why in response.text
    forged = await browser.client.post(
        "/assistant/messages",
        data={"content": "hello"},
        headers={"Origin": ORIGIN, "Accept": "text/event-stream"},
    )
    assert forged.status_code == 403
    count = await session.execute(select(Conversation).where(Conversation.owner_id == user.id))
    assert count.scalars().all() == []
    ok = await browser.post("/assistant/messages", {"content": "x" * 10_000})
    assert ok.status_code == 303


async def test_replies_are_rendered_as_safe_markdown(
    factory: Factory, session: AsyncSession, sign_in: object
) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.manager)
    hostile = (
        "**Bold** and a [link](https://example.com) and `code`\n\n"
        "<script>alert('reply')</script>\n\n"
        '<img src=x onerror="alert(1)"> <a href="javascript:alert(2)" onclick="x()">raw</a>\n\n'
        "[click](javascript:alert(3)) ![tracker](https://evil.example/p.png)\n\n"
        "# Heading\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    conversation = await _conversation(
        session, user, "Markdown", "<b>my</b> question <script>x()</script>", hostile
    )
    browser: Browser = await sign_in(user)  # type: ignore[operator]
    page = await browser.get(f"/assistant/{conversation.id}")
    reply = re.search(r'<div class="bubble md">(.*?)</div>', page.text, re.S)
    assert reply
    html = reply.group(1)
    assert "<strong>Bold</strong>" in html and "<code>code</code>" in html
    assert (
        '<a href="https://example.com" target="_blank" rel="noopener noreferrer nofollow">' in html
    )
    assert "<h3>Heading</h3>" in html and "<td>1</td>" in html
    assert "&lt;script&gt;" in html  # shown as text
    tags = set(re.findall(r"<([a-z0-9]+)\b", html))
    assert tags <= {"p", "strong", "a", "code", "h3", "table", "thead", "tbody", "tr", "th", "td"}
    assert not re.search(r"<[^>]+\son\w+=", html)  # no element carries a handler
    hrefs = re.findall(r'<a [^>]*href="([^"]*)"', html)
    assert hrefs == ["https://example.com", "https://evil.example/p.png"]
    assert "evil.example/p.png" in html and ">tracker</a>" in html  # an image is only a link
    question = re.search(r'<div class="bubble plain">(.*?)</div>', page.text, re.S)
    assert (
        question
        and question.group(1) == "&lt;b&gt;my&lt;/b&gt; question &lt;script&gt;x()&lt;/script&gt;"
    )
    # The page as a whole still has no script of its own making.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text)


def test_markdown_sanitiser_strips_what_markdown_cannot_make_safe() -> None:
    for source in (
        "<script>alert(1)</script>",
        "<iframe src=https://evil.example></iframe>",
        '<a href="javascript:alert(1)">x</a>',
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](data:image/png;base64,AAAA)",  # Markdown allows it; the sanitiser does not
        '<svg onload="alert(1)">',
        "<style>body{display:none}</style>",
        '![x](x" onerror="alert(1))',
    ):
        html = str(render_markdown(source))
        assert not re.search(r"<(script|iframe|svg|style|img)\b", html), (source, html)
        assert not re.search(r"<[^>]+\s(on\w+|style)=", html), (source, html)
        assert not re.search(r'<a [^>]*href="(?:javascript|vbscript|data):', html, re.I), html


def test_tool_cards_say_what_happened_in_one_line() -> None:
    ok = {"name": "create_task", "status": "ok", "result": {"created": {"title": "Call Ann"}}}
    assert tool_summary(ok) == "Created task: Call Ann"
    failed = {"name": "send_sms", "status": "error", "result": {"error": "not sent: opted out"}}
    assert tool_summary(failed) == "Failed: not sent: opted out"
    running = {"name": "list_tasks", "status": "running", "arguments": {}}
    assert tool_summary(running) == "Working…"
    listed = {"name": "list_tasks", "status": "ok", "result": {"total": 1, "count": 1}}
    assert tool_summary(listed) == "Found 1 task"
    people = {"name": "who_to_follow_up", "status": "ok", "result": {"items": [{}, {}]}}
    assert tool_summary(people) == "2 people to follow up"


async def test_a_failed_reply_is_shown_in_the_conversation(
    factory: Factory, session: AsyncSession, sign_in: object
) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.csr)
    service = ConversationService(session, user)
    conversation = await service.create(ConversationCreate(title="Broken"))
    await service.append(conversation, ChatRole.user, "hello?")
    await service.append(
        conversation,
        ChatRole.assistant,
        "Sorry, I couldn't answer that: the model took too long to answer.",
        status="error",
        error="the model took too long to answer",
        tool_calls=[
            {
                "id": "c1",
                "name": "send_sms",
                "arguments": {"contact": "Ann", "body": "hi"},
                "result": {"error": "not sent: Ann has opted out"},
                "status": "error",
                "duration_ms": 12,
            }
        ],
    )
    browser: Browser = await sign_in(user)  # type: ignore[operator]
    page = await browser.get(f"/assistant/{conversation.id}")
    assert "Not answered." in page.text and "the model took too long" in page.text
    card = re.search(r'<details class="tool-call tool-error".*?</details>', page.text, re.S)
    assert card
    text = _text(card.group(0))
    assert "send_sms Failed: not sent: Ann has opted out" in text
    assert "Failed after 12 ms" in text and '"contact": "Ann"' in card.group(0).replace(
        "&#34;", '"'
    )


async def test_download_is_the_markdown_export(
    factory: Factory, session: AsyncSession, sign_in: object
) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.rep)
    conversation = await _conversation(session, user, "Notes", "what is up?", "All good.")
    browser: Browser = await sign_in(user)  # type: ignore[operator]
    response = await browser.get(f"/assistant/{conversation.id}/export")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    assert "attachment" in response.headers["content-disposition"]
    assert response.text.startswith("# Notes") and "All good." in response.text
