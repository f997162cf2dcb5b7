"""The assistant in a real browser against a served demo (the built-in offline model): a
question that creates a task through a tool, the conversation found again after signing in
again, a suggestion, renaming and deleting, the floating panel on the inbox, and (against
a slow, then failing, OpenAI-compatible server) Stop and a failure shown in the chat."""

# ruff: noqa: F811 - the browser fixtures are test_browser.py's own, taken as parameters

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.ai.openai_fake import API_KEY, FakeOpenAI, Reply, text
from tests.web.browser import demo_server
from tests.web.test_browser import (  # noqa: F401 - fixtures, used as parameters
    DemoServer,
    _screenshot,
    _sign_in,
    chromium,
    server,
)

pytestmark = pytest.mark.browser

from playwright.sync_api import Browser, Page, expect  # noqa: E402

CREATE = "create a task to call the Hendersons tomorrow at 5pm"
CONVERSATION_URL = re.compile(r"/assistant/[0-9a-f-]{36}$")


def _ask(page: Page, question: str) -> None:
    box = page.get_by_role("textbox", name="Ask the assistant")
    box.fill(question)
    box.press("Enter")


def test_a_question_creates_a_task_through_a_tool_and_the_conversation_stays(
    chromium: Browser, server: DemoServer
) -> None:
    page = _sign_in(chromium, server, "manager@demo.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Assistant").click()
    expect(page.get_by_role("button", name="New conversation")).to_be_visible()
    expect(page.get_by_role("button", name="Open assistant")).to_have_count(0)

    _ask(page, CREATE)
    messages = page.get_by_role("region", name="Messages")
    card = messages.locator("details.tool-call").filter(has_text="create_task")
    expect(card.locator("summary")).to_contain_text("create_task")
    expect(card.locator("summary")).to_contain_text("Created task: Call the Hendersons")
    expect(messages).to_contain_text("Done: I created the task “Call the Hendersons”")
    expect(page).to_have_url(CONVERSATION_URL)
    expect(page.get_by_role("button", name="Stop")).to_be_hidden()
    card.locator("summary").click()
    expect(card).to_contain_text('"title": "Call the Hendersons"')
    expect(card).to_contain_text("Succeeded in")
    conversations = page.get_by_role("list", name="Conversations")
    expect(conversations).to_contain_text("Create a task to call the Hendersons")
    page.locator("#chat-log").evaluate("log => { log.scrollTop = log.scrollHeight; }")
    _screenshot(page, "assistant")
    url = page.url

    page.reload()
    expect(
        messages.locator("details.tool-call summary").filter(has_text="create_task")
    ).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    again = _sign_in(chromium, server, "manager@demo.test")
    again.goto("/assistant")
    again.get_by_role("list", name="Conversations").get_by_role("link").filter(
        has_text="Create a task to call the Hendersons"
    ).first.click()
    expect(again).to_have_url(url)
    history = again.get_by_role("region", name="Messages")
    expect(history).to_contain_text(CREATE)
    expect(
        history.locator("details.tool-call summary").filter(has_text="create_task")
    ).to_contain_text("Created task: Call the Hendersons")
    again.goto("/tasks")
    expect(again.get_by_text("Call the Hendersons").first).to_be_visible()


def test_a_suggestion_then_rename_in_place_and_delete(
    chromium: Browser, server: DemoServer
) -> None:
    page = _sign_in(chromium, server, "csr@demo.test")
    page.goto("/assistant")
    suggestion = page.get_by_role("list", name="Suggested questions").get_by_role("button").first
    question = suggestion.inner_text()
    suggestion.click()
    messages = page.get_by_role("region", name="Messages")
    expect(messages.locator("li.from-user")).to_contain_text(question)
    expect(messages.locator("li.from-assistant .bubble")).to_be_visible()
    expect(page).to_have_url(CONVERSATION_URL)
    title = question.rstrip("?")
    conversations = page.get_by_role("list", name="Conversations")
    expect(conversations.get_by_role("link").filter(has_text=title)).to_be_visible()

    page.get_by_label(f"Actions for {title}").first.click()
    conversations.get_by_role("button", name="Rename").click()
    box = conversations.get_by_role("textbox", name="Title")
    expect(box).to_be_focused()
    box.fill("Morning follow-ups")
    box.press("Enter")
    expect(conversations.get_by_role("link").filter(has_text="Morning follow-ups")).to_be_visible()
    expect(page.get_by_role("heading", name="Morning follow-ups")).to_be_visible()
    page.reload()
    expect(conversations.get_by_role("link").filter(has_text="Morning follow-ups")).to_be_visible()

    page.get_by_label("Actions for Morning follow-ups").click()
    conversations.get_by_role("button", name="Delete").click()
    expect(conversations).to_contain_text("Delete “Morning follow-ups”?")
    conversations.get_by_role("button", name="Delete").click()
    expect(page).to_have_url(f"{server.base_url}/assistant")
    expect(conversations).not_to_contain_text("Morning follow-ups")
    expect(page.get_by_role("list", name="Suggested questions")).to_be_visible()


def test_the_floating_panel_keeps_the_inbox_under_it(chromium: Browser, server: DemoServer) -> None:
    page = _sign_in(chromium, server, "rep@demo.test")
    page.goto("/inbox")
    inbox_list = page.get_by_role("list", name="Conversations")
    page.get_by_role("button", name="Open assistant").click()
    panel = page.get_by_role("complementary", name="Assistant")
    box = panel.get_by_role("textbox", name="Ask the assistant")
    expect(box).to_be_focused()
    _ask(page, "what appointments do I have tomorrow?")
    expect(panel.locator("details.tool-call summary")).to_contain_text("list_appointments")
    expect(panel.locator("li.from-assistant .bubble")).to_be_visible()
    expect(page).to_have_url(f"{server.base_url}/inbox")
    expect(inbox_list).to_be_visible()
    panel.get_by_role("button", name="Close").click()
    expect(panel).to_be_hidden()

    # After a reload the panel opens on the most recent conversation.
    page.reload()
    page.get_by_role("button", name="Open assistant").click()
    expect(panel).to_contain_text("what appointments do I have tomorrow?")
    # Ctrl+Shift+O: a new conversation, in the panel.
    page.keyboard.press("Control+Shift+O")
    expect(panel.get_by_role("heading", name="New conversation")).to_be_visible()
    expect(panel.get_by_role("list", name="Suggested questions")).to_be_visible()
    expect(page).to_have_url(f"{server.base_url}/inbox")


def test_stop_keeps_the_turn_and_a_failure_reads_as_one(chromium: Browser, tmp_path: Path) -> None:
    with (
        FakeOpenAI().running() as llm,
        demo_server(
            tmp_path,
            SWITCHBOARD_LLM_PROVIDER="openai",
            SWITCHBOARD_LLM_BASE_URL=llm.base_url,
            SWITCHBOARD_LLM_MODEL="fake-gpt",
            OPENAI_API_KEY=API_KEY,
        ) as slow,
    ):
        llm.reply(text("far too late", delay=30))
        page = _sign_in(chromium, slow, "manager@demo.test")
        page.goto("/assistant")
        _ask(page, "what is most urgent today?")
        expect(page.get_by_text("The assistant is thinking")).to_be_visible()
        stop = page.get_by_role("button", name="Stop")
        expect(stop).to_be_visible()
        page.keyboard.press("Escape")
        messages = page.get_by_role("region", name="Messages")
        expect(messages).to_contain_text("Stopped before answering.", timeout=5000)
        expect(stop).to_be_hidden()
        page.reload()
        expect(messages).to_contain_text("Stopped before answering.")

        llm.reply(Reply(status=500), Reply(status=500))  # the SDK retries once
        _ask(page, "and now?")
        failure = messages.locator("li.from-assistant").last
        expect(failure).to_contain_text("Not answered.", timeout=10000)
        expect(failure).to_contain_text("send it again to retry")
