"""The web app in a real browser (Playwright driving Debian's Chromium), against a served
demo: what a CSR does all day, found the way a person finds it, by role and name."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.browser import CHROMIUM, CHROMIUM_ARGS, DemoServer, demo_server

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}
LIVE_WITHIN_MS = 2000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with demo_server(tmp_path_factory.mktemp("web-demo")) as served:
        yield served


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _sign_in(
    chromium: Browser, server: DemoServer, email: str, viewport: dict[str, int] = DESK
) -> Page:
    page = chromium.new_context(viewport=viewport, base_url=server.base_url).new_page()
    page.goto("/")
    expect(page).to_have_url(f"{server.base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    return page


def _live(page: Page) -> None:
    expect(page.locator("#live-status")).to_have_text("Live")


def _customer() -> str:
    return f"+1720555{uuid.uuid4().int % 10000:04d}"


def _screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("SWITCHBOARD_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def test_sign_in_wrong_password_and_sign_out(chromium: Browser, server: DemoServer) -> None:
    page = chromium.new_context(base_url=server.base_url).new_page()
    page.goto("/login")
    page.get_by_label("Email").fill("csr@demo.test")
    page.get_by_label("Password").fill("not it")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Wrong email or password")).to_be_visible()

    page = _sign_in(chromium, server, "csr@demo.test")
    expect(page).to_have_url(f"{server.base_url}/inbox")
    nav = page.get_by_role("navigation", name="Main")
    for name in ("Inbox", "Today", "Tasks", "Contacts", "Assistant", "Dashboard"):
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{server.base_url}/login")
    page.goto("/tasks")
    expect(page).to_have_url(f"{server.base_url}/login?next=/tasks")


def test_a_new_text_appears_live_in_the_list_and_the_conversation(
    chromium: Browser, server: DemoServer
) -> None:
    page = _sign_in(chromium, server, "csr@demo.test")
    _live(page)
    customer = _customer()
    body = f"Is the crew still coming today? {uuid.uuid4().hex[:6]}"
    server.text_in(customer, body)
    conversations = page.get_by_role("list", name="Conversations")
    row = conversations.get_by_role("listitem").filter(has_text=body)
    expect(row).to_be_visible(timeout=LIVE_WITHIN_MS)
    expect(row).to_contain_text(customer)
    assert "(" in page.title() and ") Inbox" in page.title()  # the waiting count
    _screenshot(page, "inbox")

    row.get_by_role("link").click()
    messages = page.get_by_role("region", name="Messages")
    expect(messages).to_contain_text(body)
    _live(page)
    follow_up = f"Also, can they park in the driveway? {uuid.uuid4().hex[:6]}"
    server.text_in(customer, follow_up)
    expect(messages.get_by_role("listitem").filter(has_text=follow_up)).to_be_visible(
        timeout=LIVE_WITHIN_MS
    )


def test_reply_turns_delivered_and_take_over_hands_back(
    chromium: Browser, server: DemoServer
) -> None:
    customer = _customer()
    server.text_in(customer, "Do you do gutters too?")
    page = _sign_in(chromium, server, "csr@demo.test")
    page.get_by_role("list", name="Conversations").get_by_role("link").filter(
        has_text="Do you do gutters too?"
    ).click()
    _live(page)

    page.get_by_role("button", name="Take over").click()
    expect(page.get_by_role("button", name="Hand back to AI")).to_be_visible()
    expect(page.get_by_text("Taken over by")).to_be_visible()
    page.get_by_role("button", name="Hand back to AI").click()
    expect(page.get_by_role("button", name="Take over")).to_be_visible()

    box = page.get_by_role("textbox", name="Message")
    box.fill("We do! Seamless aluminium, 5 or 6 inch.")
    expect(page.get_by_text("39 characters · 1 SMS segment")).to_be_visible()
    box.press("Enter")
    expect(box).to_have_value("")
    reply = (
        page.get_by_role("region", name="Messages")
        .get_by_role("listitem")
        .filter(has_text="We do! Seamless aluminium")
    )
    expect(reply).to_have_count(1)
    expect(reply).to_contain_text("delivered", timeout=10_000)
    expect(page.get_by_role("button", name="Hand back to AI")).to_be_visible()  # replying took over


def test_an_opted_out_contact_cannot_be_texted(chromium: Browser, server: DemoServer) -> None:
    customer = _customer()
    server.text_in(customer, "Please stop texting me about solar")
    server.text_in(customer, "STOP")
    page = _sign_in(chromium, server, "csr@demo.test")
    page.get_by_role("list", name="Conversations").get_by_role("link").filter(
        has_text=customer
    ).first.click()
    expect(page.get_by_text("opted out", exact=False).first).to_be_visible()
    expect(page.get_by_role("textbox", name="Message")).to_be_disabled()
    expect(page.get_by_role("button", name="Send")).to_be_disabled()


def test_create_and_complete_a_task(chromium: Browser, server: DemoServer) -> None:
    page = _sign_in(chromium, server, "csr@demo.test")
    page.get_by_role("link", name="Tasks", exact=True).click()
    # Counted after the page loads, away from the inbox: the demo has customers waiting.
    expect(page).to_have_title(re.compile(r"^\(\d+\) Tasks · Switchboard$"))
    page.get_by_role("button", name="New task").click()
    title = f"Call the Hendersons back {uuid.uuid4().hex[:6]}"
    page.get_by_label("Title").fill(title)
    page.get_by_label("Due").fill("2031-03-04T17:00")
    page.get_by_label("Priority").select_option("high")
    page.get_by_label("Assignee").select_option(label="CSR queue")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(f"Task created: {title}")).to_be_visible()
    task = page.get_by_role("listitem").filter(has_text=title)
    expect(task).to_be_visible()
    expect(task).to_contain_text("Tue Mar 4, 5:00 PM")
    task.get_by_role("button", name="Complete").click()
    expect(task).to_contain_text("completed")
    expect(task.get_by_role("button", name="Complete")).to_have_count(0)
    page.wait_for_timeout(1500)  # the task's own live event must not redraw it away
    expect(task).to_contain_text("completed")
    overdue = page.locator("li.task.status-overdue").first  # the demo has overdue tasks
    expect(overdue.get_by_text("overdue", exact=True)).to_be_visible()


def test_keyboard_shortcuts_are_listed_behind_a_question_mark(
    chromium: Browser, server: DemoServer
) -> None:
    page = _sign_in(chromium, server, "csr@demo.test")
    _live(page)
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.keyboard.press("g")
    page.keyboard.press("k")
    expect(page).to_have_url(f"{server.base_url}/tasks")
    _live(page)
    page.keyboard.press("/")
    page.keyboard.press("g")  # typed into the focused box, not taken as a shortcut
    page.goto("/inbox")
    _live(page)
    page.keyboard.press("/")
    expect(page.get_by_role("searchbox", name="Search")).to_be_focused()


@pytest.mark.parametrize("email", ["csr@demo.test", "rep@demo.test", "manager@demo.test"])
def test_every_page_fits_a_phone(chromium: Browser, server: DemoServer, email: str) -> None:
    page = _sign_in(chromium, server, email, PHONE)
    paths = ["/inbox", "/today", "/tasks", "/contacts", "/assistant", "/dashboard"]
    first = page.get_by_role("list", name="Conversations").get_by_role("link").first
    page.goto("/inbox")
    if first.count():
        first.click()
        paths.append(page.url.removeprefix(server.base_url))
    for path in paths:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)
        if email == "csr@demo.test" and path.startswith("/inbox/"):
            _screenshot(page, "conversation-phone")
