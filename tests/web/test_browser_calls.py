"""A call Otto analysed, in a real browser on the served demo: from the contact's timeline to
the call page, where the transcript reads by speaker with the cited lines marked, the
findings link to them, and the task the analysis made can be completed; at 390 px too."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.web.browser import CHROMIUM, DemoServer, demo_server

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Browser, expect  # noqa: E402

from tests.web.test_browser import PHONE, _screenshot, _sign_in, chromium  # noqa: E402

__all__ = ["chromium"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with demo_server(tmp_path_factory.mktemp("calls-demo")) as served:
        yield served


def test_an_analysed_call_from_the_timeline_to_its_page(
    chromium: Browser, server: DemoServer
) -> None:
    page = _sign_in(chromium, server, "csr@demo.test")
    page.goto("/contacts")
    page.get_by_label("Search").fill("Whitfield")
    page.get_by_role("link", name="Dana Whitfield").first.click()
    page.get_by_role("link", name="Open the call").first.click()
    expect(page.get_by_role("heading", name="Call with Dana Whitfield")).to_be_visible()

    analysis = page.get_by_role("region", name="Otto's analysis")
    expect(analysis).to_contain_text("Objection: Spouse or partner")
    transcript = page.get_by_role("region", name="Transcript")
    expect(transcript.locator("li.cited").first).to_contain_text("Cited for")
    expect(transcript).to_contain_text("Call me back Thursday after 5.")
    analysis.get_by_role("link", name="line 2").first.click()
    expect(page).to_have_url(re.compile(r".*#line-2$"))

    tasks = page.get_by_role("region", name="Tasks from this call")
    expect(tasks).to_contain_text("Call back Dana Whitfield Thursday after 5")
    expect(tasks).to_contain_text("Made by Otto (call AI)")
    _screenshot(page, "call")
    tasks.get_by_role("button", name="Complete").first.click()
    expect(tasks.get_by_role("button", name="Complete")).to_have_count(0)
    expect(tasks).to_contain_text("completed")


def test_the_call_page_fits_a_phone(chromium: Browser, server: DemoServer) -> None:
    page = _sign_in(chromium, server, "manager@demo.test", PHONE)
    page.goto("/contacts?q=Russo")
    page.get_by_role("link", name="Angela Russo").first.click()
    page.get_by_role("link", name="Open the call").first.click()
    expect(page.get_by_role("heading", name="Call with Angela Russo")).to_be_visible()
    expect(page.get_by_role("region", name="Tasks from this call")).to_contain_text("complaint")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    _screenshot(page, "call-phone")
