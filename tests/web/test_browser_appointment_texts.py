"""Appointment texts in a real browser on the demo server: a manager sets them in Settings
(desk and phone, no sideways scrolling), then an appointment booked through the API texts
its confirmation, which the contact's timeline and the conversation show as Otto's, with
the reminders still to come."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.web.browser import CHROMIUM, DemoServer, demo_server

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect  # noqa: E402

from tests.web.test_browser import DESK, PHONE, _screenshot, _sign_in, chromium  # noqa: E402

__all__ = ["chromium"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with demo_server(tmp_path_factory.mktemp("texts-demo")) as served:
        yield served


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways at 390 px ({width} px)"


def test_a_manager_sets_the_reminders(chromium: Browser, server: DemoServer) -> None:
    page = _sign_in(chromium, server, "manager@demo.test")
    page.goto("/settings#texts")
    texts = page.get_by_role("region", name="Appointment texts")
    expect(texts.get_by_role("checkbox", name="Send appointment texts")).to_be_checked()
    texts.get_by_label("Reminders (hours before)").fill("24, 2")
    texts.get_by_label("Quiet from").fill("20:30")
    texts.get_by_role("button", name="Save appointment texts").click()
    expect(texts.get_by_role("status")).to_contain_text("Appointment texts saved")
    expect(texts.get_by_label("Reminders (hours before)")).to_have_value("24, 2")
    texts.scroll_into_view_if_needed()
    _screenshot(page, "settings-appointment-texts")

    phone = _sign_in(chromium, server, "manager@demo.test", PHONE)
    phone.goto("/settings#texts")
    section = phone.get_by_role("region", name="Appointment texts")
    texts_field = section.get_by_label("Reminder text")
    expect(texts_field).to_be_visible()
    _no_sideways_scroll(phone)
    section.scroll_into_view_if_needed()
    _screenshot(phone, "settings-appointment-texts-phone")

    # Back to the defaults, for the next test.
    texts.get_by_label("Reminders (hours before)").fill("24, 1")
    texts.get_by_label("Quiet from").fill("21:00")
    texts.get_by_role("button", name="Save appointment texts").click()
    expect(texts.get_by_role("status")).to_contain_text("Appointment texts saved")


def _api_booking(server: DemoServer) -> str:
    """A new contact booked for the day after tomorrow at 3 pm UTC; the contact's id."""
    with httpx.Client(base_url=server.base_url, timeout=10) as api:
        token = api.post(
            "/api/auth/token", data={"username": "csr@demo.test", "password": "demo"}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        phone = f"+1720555{uuid.uuid4().int % 10**4:04d}"
        contact = api.post(
            "/api/contacts",
            json={"first_name": "Robin", "last_name": "Texter", "phone": phone},
            headers=headers,
        )
        assert contact.status_code == 201, contact.text
        day = (datetime.now(UTC) + timedelta(days=2)).replace(hour=18, minute=0, second=0)
        booked = api.post(
            "/api/appointments",
            json={
                "contact_id": contact.json()["id"],
                "title": "Roof inspection",
                "starts_at": day.isoformat(),
                "ends_at": (day + timedelta(hours=1)).isoformat(),
            },
            headers=headers,
        )
        assert booked.status_code == 201, booked.text
        contact_id: str = contact.json()["id"]
        return contact_id


def test_the_confirmation_shows_as_otto_s_with_the_reminders_to_come(
    chromium: Browser, server: DemoServer
) -> None:
    contact_id = _api_booking(server)
    page = _sign_in(chromium, server, "csr@demo.test")
    deadline = time.monotonic() + 10
    while True:  # the worker plans and sends right after the booking commits
        page.goto(f"/contacts/{contact_id}")
        if page.get_by_text("Sent by Otto").count() or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    timeline = page.get_by_role("region", name="Robin Texter")
    expect(timeline.get_by_text("Sent by Otto (AI, automated)")).to_be_visible()
    expect(timeline.get_by_text("Hi Robin, your appointment with")).to_be_visible()
    planned = timeline.get_by_role("list", name="Texts to the customer about this appointment")
    expect(planned.get_by_role("listitem")).to_have_count(3)
    expect(planned).to_contain_text("Reminder 24 h before scheduled for")
    expect(planned).to_contain_text("Confirmation sent by Otto")
    _screenshot(page, "contact-appointment-texts")

    phone = _sign_in(chromium, server, "csr@demo.test", PHONE)
    phone.goto(f"/contacts/{contact_id}")
    expect(
        phone.get_by_role("list", name="Texts to the customer about this appointment")
    ).to_be_visible()
    _no_sideways_scroll(phone)
    phone.get_by_role(
        "list", name="Texts to the customer about this appointment"
    ).scroll_into_view_if_needed()
    _screenshot(phone, "contact-appointment-texts-phone")

    page.goto("/inbox")
    page.get_by_role("list", name="Conversations").get_by_text("Robin Texter").first.click()
    messages = page.get_by_role("region", name="Messages")
    expect(messages).to_contain_text("Otto (AI, automated)")
    expect(messages).to_contain_text("Hi Robin, your appointment with")
    _screenshot(page, "inbox-appointment-confirmation")
    assert DESK["width"] == 1280
