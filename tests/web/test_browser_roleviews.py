"""The role views in a real browser against a served demo: the manager's dashboard (a chart,
its text alternative and its numbers, the periods), the rep's day on a 390 px phone with
the one-tap "On my way" text, and the pages the README's tour shows."""

# ruff: noqa: F811 - the browser fixtures are test_browser.py's own, taken as parameters

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.web.browser import DemoServer, demo_server
from tests.web.test_browser import (  # noqa: F401 - fixtures, used as parameters
    CHROMIUM,
    DESK,
    PHONE,
    _live,
    _screenshot,
    _sign_in,
    chromium,
)

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with demo_server(tmp_path_factory.mktemp("roleviews-demo")) as served:
        yield served


def _fits(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_chart_has_its_words_and_its_numbers(chromium: Browser, server: DemoServer) -> None:
    page = _sign_in(chromium, server, "manager@demo.test")
    expect(page).to_have_url(f"{server.base_url}/dashboard")
    periods = page.get_by_role("navigation", name="Period")
    for name in ("7d", "30d", "90d"):
        expect(periods.get_by_role("link", name=name, exact=True)).to_be_visible()
    chart = page.get_by_role("img", name="Calls by outcome")
    expect(chart).to_be_visible()
    label = chart.get_attribute("aria-label") or ""
    assert label.startswith("Calls by outcome. Booked ") and "Abandoned" in label
    figure = page.locator("figure#calls-per-day")
    expect(figure.get_by_role("img")).to_have_attribute(
        "aria-label", re.compile(r"^Calls per day\. ")
    )
    table = figure.get_by_role("table")
    expect(table).to_be_hidden()
    figure.get_by_text("Numbers").click()
    expect(table).to_be_visible()
    expect(table.get_by_role("row")).to_have_count(1 + 7)  # the head and a row per day
    _live(page)
    page.evaluate("window.scrollTo(0, 0)")
    _screenshot(page, "dashboard")

    periods.get_by_role("link", name="90d").click()
    expect(page).to_have_url(f"{server.base_url}/dashboard?period=90d")
    expect(page.get_by_role("link", name="90d")).to_have_attribute("aria-current", "page")
    page.locator("figure#calls-per-day").get_by_text("Numbers").click()
    expect(page.locator("figure#calls-per-day").get_by_role("row")).to_have_count(1 + 90)
    expect(page.get_by_role("heading", name="The assistant")).to_be_visible()
    expect(page.get_by_role("img", name="Answers by model per day")).to_be_attached()


def test_the_csr_dashboard_opens_a_waiting_conversation(
    chromium: Browser, server: DemoServer
) -> None:
    page = _sign_in(chromium, server, "csr@demo.test")
    page.goto("/dashboard")
    waiting = page.get_by_role("list", name="Texts waiting on a reply")
    first = waiting.get_by_role("link").first
    name = first.inner_text()
    first.click()
    expect(page).to_have_url(re.compile(r"/inbox/[0-9a-f-]{36}$"))
    expect(page.get_by_role("region", name="Messages")).to_be_visible()
    expect(page.locator(".thread-header")).to_contain_text(name)


def test_the_reps_day_on_a_phone_with_on_my_way(chromium: Browser, server: DemoServer) -> None:
    page = _sign_in(chromium, server, "rep@demo.test", PHONE)
    expect(page).to_have_url(f"{server.base_url}/today")
    stops = page.get_by_role("list", name="Appointments")
    first = stops.get_by_role("listitem").filter(has=page.locator("h3")).first
    expect(first.get_by_role("link", name="Call")).to_have_attribute(
        "href", re.compile(r"^tel:\+1")
    )
    expect(first.get_by_role("link", name="Text")).to_have_attribute(
        "href", re.compile(r"^sms:\+1")
    )
    expect(first.get_by_role("link", name="Map")).to_have_attribute(
        "href", re.compile(r"^https://www\.openstreetmap\.org/search\?query=")
    )
    expect(page.get_by_role("heading", name="Shift")).to_be_visible()
    expect(page.get_by_role("heading", name="Tasks", exact=False)).to_be_visible()
    _live(page)
    _fits(page, PHONE["width"])
    _screenshot(page, "today")

    first.get_by_role("button", name="On my way").click()
    card = stops.get_by_role("listitem").filter(has=page.locator("h3")).first
    expect(card.get_by_role("status")).to_have_text("On my way text sent")
    expect(card).to_contain_text("I'm on my way to you now")
    expect(card).to_contain_text("delivered", timeout=10_000)
    _fits(page, PHONE["width"])

    task = page.get_by_role("list", name="Tasks", exact=False).get_by_role("listitem").first
    # The row's first line is the title, and an "overdue" tag when it is late.
    title = re.sub(r" overdue$", "", task.inner_text().split("\n")[0])
    task.get_by_role("button", name="Complete").click()
    expect(page.get_by_role("list", name="Tasks", exact=False)).to_contain_text(title)
    expect(page.locator("ul.day-tasks li.completed").first).to_be_visible()


def test_the_tour_pages(chromium: Browser, server: DemoServer) -> None:
    """The README's tour: the task list and a contact's card and timeline, at 1280 px."""
    page = _sign_in(chromium, server, "csr@demo.test", DESK)
    page.goto("/tasks")
    expect(page.get_by_role("button", name="New task")).to_be_visible()
    _live(page)
    _screenshot(page, "tasks")
    page.goto("/contacts")
    page.get_by_role("searchbox", name="Search").fill("Holt")
    page.get_by_role("link", name="Karen Holt").first.click()
    expect(page).to_have_url(re.compile(r"/contacts/[0-9a-f-]{36}$"))
    _live(page)
    _screenshot(page, "contact")
