"""The appointment-text settings over the JSON API: managers and admins only, validated
(offsets, quiet hours, templates with our placeholders, no NUL), and a change plans the
company's pending reminders again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.appointment_texts.models import TextStatus
from switchboard.kit.db import Database
from tests.appointment_texts.support import book, drain, local, otto_texts, reminders, texts_of
from tests.factories import Factory
from tests.kit.helpers import AsUser
from tests.messaging.support import CUSTOMER, Inbox

URL = "/api/settings/appointment-texts"
MONDAY_2PM = local(23, "14:00")


async def test_the_defaults(client: httpx.AsyncClient, as_user: AsUser, inbox: Inbox) -> None:
    response = await client.get(URL, headers=as_user(inbox.manager))
    assert response.status_code == 200
    body = response.json()
    assert body["enabled"] is True and body["confirmation_enabled"] is True
    assert body["reminder_offsets_minutes"] == [1440, 60]
    assert body["quiet_hours"] == {"start": "21:00", "end": "08:00"}
    assert body["confirmation_template"] is None
    assert body["default_templates"]["reminder"].startswith(
        "Reminder: your appointment with {company} is {starts_in}"
    )
    assert "first_name" in body["placeholders"] and body["timezone"] == "America/Chicago"


@pytest.mark.parametrize("role", ["csr", "rep"])
async def test_only_managers_and_admins(
    client: httpx.AsyncClient, as_user: AsUser, inbox: Inbox, role: str
) -> None:
    user = getattr(inbox, role)
    assert (await client.get(URL, headers=as_user(user))).status_code == 403
    refused = await client.patch(URL, json={"enabled": False}, headers=as_user(user))
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"reminder_offsets_minutes": [60, 60]}, "reminder_offsets_minutes"),
        ({"reminder_offsets_minutes": [1]}, "reminder_offsets_minutes"),
        ({"reminder_offsets_minutes": [60, 120, 180, 240, 300]}, "reminder_offsets_minutes"),
        ({"quiet_hours": {"start": "25:00", "end": "08:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "08:00", "end": "08:00"}}, "quiet_hours"),
        ({"reminder_template": "See you {whenever}"}, "reminder_template"),
        ({"confirmation_template": "x" * 481}, "confirmation_template"),
        ({"confirmation_template": "Hi\x00"}, "confirmation_template"),
        ({"enabled": None}, "enabled"),
        ({"colour": "blue"}, "colour"),
    ],
)
async def test_what_is_refused(
    client: httpx.AsyncClient, as_user: AsUser, inbox: Inbox, payload: dict[str, Any], field: str
) -> None:
    response = await client.patch(URL, json=payload, headers=as_user(inbox.manager))
    assert response.status_code == 422, response.text
    assert field in response.text


async def test_a_change_replans_pending_reminders_and_its_words_are_used(
    client: httpx.AsyncClient,
    as_user: AsUser,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    db: Database,
    frozen_clock: Any,
) -> None:
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER, first_name="Dana")
    appointment_id = await book(client, as_user, inbox.csr, contact, MONDAY_2PM)
    await drain(db)

    response = await client.patch(
        URL,
        json={
            "reminder_offsets_minutes": [120, 2880],
            "quiet_hours": None,
            "reminder_template": "{first_name}, {rep} from {company} sees you {starts_in} at {time}.",
        },
        headers=as_user(inbox.manager),
    )
    assert response.status_code == 200, response.text
    assert response.json()["reminder_offsets_minutes"] == [2880, 120]
    assert response.json()["quiet_hours"] is None
    await drain(db)

    texts = reminders(await texts_of(session, appointment_id))
    assert {key[0]: t.status for key, t in texts.items()} == {
        1440: TextStatus.withdrawn, 60: TextStatus.withdrawn, 120: TextStatus.scheduled,
        2880: TextStatus.scheduled,
    }  # fmt: skip
    assert "taken out of the settings" in (texts[(60, MONDAY_2PM)].reason or "")
    assert texts[(120, MONDAY_2PM)].due_at == MONDAY_2PM - timedelta(hours=2)
    # Two days before is Saturday 14:00: still to come when the settings changed.
    assert texts[(2880, MONDAY_2PM)].due_at == MONDAY_2PM - timedelta(days=2)

    frozen_clock.now = MONDAY_2PM - timedelta(hours=2)
    await drain(db)
    assert (await otto_texts(session, contact))[-1].body == (
        "Dana, our team from Summit Roofing sees you in 2 hours at 2:00 PM."
    )


async def test_turned_off_nothing_is_planned_and_pending_ones_are_withdrawn(
    client: httpx.AsyncClient,
    as_user: AsUser,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    db: Database,
    frozen_clock: Any,
) -> None:
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER)
    first = await book(client, as_user, inbox.csr, contact, MONDAY_2PM)
    await drain(db)
    response = await client.patch(URL, json={"enabled": False}, headers=as_user(inbox.manager))
    assert response.status_code == 200
    await drain(db)
    assert {t.reason for t in reminders(await texts_of(session, first)).values()} == {
        "appointment texts are turned off"
    }
    second = await book(client, as_user, inbox.csr, contact, MONDAY_2PM + timedelta(days=1))
    await drain(db)
    assert await texts_of(session, second) == []
    assert len(await otto_texts(session, contact)) == 1
