"""Setting up a company in a real browser: a manager of the second demo company adds a
person and a number from /settings, a signed Twilio webhook to that number lands in that
company's inbox (and no other), and deactivating the person signs them out at once."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest

from tests.web.browser import CHROMIUM, DemoServer, demo_server

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect  # noqa: E402

from tests.web.test_browser import (  # noqa: E402
    DESK,
    LIVE_WITHIN_MS,
    PHONE,
    _live,
    _screenshot,
    _sign_in,
    chromium,
)

__all__ = ["chromium"]  # the shared module-scoped Chromium fixture


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with demo_server(tmp_path_factory.mktemp("settings-demo")) as served:
        yield served


def _sign_in_as(chromium: Browser, server: DemoServer, email: str, password: str) -> Page:
    page = chromium.new_context(viewport=DESK, base_url=server.base_url).new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    return page


def _page_height(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollHeight"))


def test_set_up_a_number_and_a_person_then_a_text_lands_in_that_company(
    chromium: Browser, server: DemoServer
) -> None:
    # The server is this module's own, on a fresh demo database: fixed names are free.
    tag = uuid.uuid4().hex[:6]
    number, email, name = "+18475550177", "casey@lakeside.test", "Casey Lindqvist"
    page = _sign_in(chromium, server, "manager@lakeside.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(page).to_have_url(f"{server.base_url}/settings")
    for heading in ("Company", "Team", "Numbers"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()

    company = page.get_by_role("region", name="Company")
    company.get_by_label("New conversation after (minutes)").fill("10")
    company.get_by_role("checkbox", name="Sunday").check()
    company.get_by_label("Sunday opens").fill("10:00")
    company.get_by_label("Sunday closes").fill("14:00")
    company.get_by_role("button", name="Save company").click()
    expect(company.get_by_role("status")).to_have_text("Company saved")
    expect(company.get_by_label("Sunday closes")).to_have_value("14:00")

    team = page.get_by_role("region", name="Team")
    team.get_by_label("Name", exact=True).fill(name)
    team.get_by_label("Email").fill(email)
    team.get_by_label("Role", exact=True).select_option(label="CSR")
    team.get_by_label("Initial password").fill("first-day-pw")
    team.get_by_role("button", name="Add person").click()
    expect(team.get_by_role("status")).to_contain_text(f"can sign in now as {email}")
    members = team.get_by_role("list", name="Team members")
    expect(members.get_by_role("listitem").filter(has_text=email)).to_be_visible()

    numbers = page.get_by_role("region", name="Numbers")
    numbers.get_by_label("Channel").select_option(label="SMS")
    numbers.get_by_label("Number", exact=True).fill(number)
    numbers.get_by_label("Label (optional)").fill("Spring promo line")
    numbers.get_by_role("button", name="Add number").click()
    expect(numbers.get_by_role("status")).to_have_text(f"SMS {number} now routes to this company")
    listed = numbers.get_by_role("list", name="This company's numbers").get_by_role("listitem")
    label = listed.filter(has_text=number).get_by_label(f"Label of {number} (SMS)")
    expect(label).to_have_value("Spring promo line")
    page.set_viewport_size({"width": DESK["width"], "height": _page_height(page)})
    _screenshot(page, "settings")  # the whole setup, at 1280 px
    page.set_viewport_size(DESK)

    # The demo company's own number stays the demo company's.
    numbers.get_by_label("Number", exact=True).fill("+15555550100")
    numbers.get_by_role("button", name="Add number").click()
    expect(numbers.locator("#number-address-error")).to_contain_text(
        "+15555550100 belongs to another company"
    )

    casey = _sign_in_as(chromium, server, email, "first-day-pw")
    expect(casey).to_have_url(f"{server.base_url}/inbox")
    _live(casey)
    customer = f"+1720555{uuid.uuid4().int % 10000:04d}"
    body = f"Is the furnace tune-up special still on? {tag}"
    server.text_in(customer, body, to=number)
    conversations = casey.get_by_role("list", name="Conversations")
    expect(conversations.get_by_role("listitem").filter(has_text=body)).to_be_visible(
        timeout=LIVE_WITHIN_MS
    )
    other = _sign_in(chromium, server, "csr@demo.test")
    expect(other.get_by_role("list", name="Conversations")).to_be_visible()
    expect(other.get_by_text(body)).to_have_count(0)  # the other company never sees it

    # Deactivated, Casey is signed out where she sits: her live socket closes.
    page.once("dialog", lambda dialog: dialog.accept())
    team.get_by_role("button", name=f"Deactivate {name}").click()
    expect(team.get_by_role("status")).to_contain_text("deactivated and signed out")
    # No reload: the closed socket sends the page to sign in (live.js, close code 4401).
    expect(casey).to_have_url(re.compile(r"/login\?next=(/|%2F)inbox$"), timeout=5000)
    casey.get_by_label("Email").fill(email)
    casey.get_by_label("Password").fill("first-day-pw")
    casey.get_by_role("button", name="Sign in").click()
    expect(casey.get_by_text("Wrong email or password")).to_be_visible()


def test_settings_fit_a_phone(chromium: Browser, server: DemoServer) -> None:
    page = _sign_in(chromium, server, "manager@demo.test", PHONE)
    page.goto("/settings")
    expect(page.get_by_role("heading", name="Numbers", exact=True)).to_be_attached()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
