"""The appointment texts in the web app: the Settings section a manager edits (labelled,
CSRF-protected, errors beside the fields), and the texts as the contact's timeline and the
conversation show them, sent by Otto."""

from __future__ import annotations

import html
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.appointment_texts.models import AppointmentTextSettings
from switchboard.appointment_texts.service import plan_appointment_texts, send_text
from switchboard.messaging.models import MessagingSession
from switchboard.tenancy.models import Role
from tests.appointment_texts.support import local, texts_of
from tests.factories import Factory
from tests.web.conftest import Browser

FORM = {
    "enabled": "on",
    "confirmation_enabled": "on",
    "reminder_hours": "48, 2.5",
    "quiet_enabled": "on",
    "quiet_start": "20:00",
    "quiet_end": "09:00",
    "confirmation_template": "",
    "reminder_template": "See you {starts_in}, {first_name}!",
}


async def test_a_manager_sets_the_appointment_texts(
    factory: Factory, sign_in: Any, session: AsyncSession
) -> None:
    tenant = await factory.tenant(name="Acme")
    browser: Browser = await sign_in(await factory.user(tenant, Role.manager))
    page = await browser.get("/settings")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert ">Appointment texts</h2>" in page.text
    for label in ("Send appointment texts", "Reminders (hours before)", "Quiet from",
                  "Quiet until", "Confirmation text", "Reminder text"):  # fmt: skip
        assert f">{label}" in text
    assert 'value="24, 1"' in page.text and 'value="21:00"' in page.text

    saved = await browser.post("/settings/appointment-texts", FORM, htmx=True)
    assert saved.status_code == 200
    assert "Appointment texts saved" in saved.text and 'id="texts"' in saved.text
    assert "<html" not in saved.text  # only the section, swapped in place
    row = (await session.execute(select(AppointmentTextSettings))).scalar_one()
    assert row.tenant_id == tenant.id
    assert row.reminder_offsets == [2880, 150]
    assert (row.quiet_start, row.quiet_end) == ("20:00", "09:00")
    assert row.reminder_template == "See you {starts_in}, {first_name}!"
    assert row.confirmation_template is None
    again = await browser.get("/settings")
    assert 'value="48, 2.5"' in again.text

    bad = {**FORM, "reminder_hours": "soon", "reminder_template": "At {oclock}"}
    refused = await browser.post("/settings/appointment-texts", bad, htmx=True)
    assert refused.status_code == 422
    words = html.unescape(refused.text)
    assert "Check the appointment texts" in words and "Enter up to 4 numbers of hours" in words
    assert "{oclock} is not a placeholder" in words
    assert 'aria-describedby="texts-reminder_template-error"' in refused.text
    await session.refresh(row)
    assert row.reminder_template == "See you {starts_in}, {first_name}!"

    # No token: refused, nothing changed.
    browser.csrf = "forged"
    forged = await browser.post("/settings/appointment-texts", {**FORM, "enabled": ""}, htmx=True)
    assert forged.status_code == 403
    await session.refresh(row)
    assert row.enabled is True


async def test_a_csr_cannot_post_the_section(
    factory: Factory, sign_in: Any, session: AsyncSession
) -> None:
    tenant = await factory.tenant(name="Acme")
    browser: Browser = await sign_in(await factory.user(tenant, Role.csr))
    refused = await browser.post("/settings/appointment-texts", FORM, htmx=True)
    assert refused.status_code == 403
    assert (await session.execute(select(AppointmentTextSettings))).first() is None


async def test_the_timeline_and_the_conversation_show_otto_s_texts(
    factory: Factory, sign_in: Any, session: AsyncSession, frozen_clock: Any
) -> None:
    tenant = await factory.tenant(name="Summit Roofing")
    await factory.channel(tenant, "+15555550100")
    contact = await factory.contact(tenant, phone="+13125550123", first_name="Dana")
    starts = local(23, "14:00")
    appointment = await factory.appointment(tenant, contact, starts_at=starts,
                                            title="Roof inspection")  # fmt: skip
    await plan_appointment_texts(session, tenant.id, appointment.id, booked=True)
    [confirmation, *_] = await texts_of(session, appointment.id)
    await send_text(session, tenant.id, confirmation.id)

    browser: Browser = await sign_in(await factory.user(tenant, Role.csr))
    page = await browser.get(f"/contacts/{contact.id}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Sent by Otto (AI, automated)" in " ".join(
        text.replace("<strong>", "").replace("</strong>", "").split()
    )
    assert "Hi Dana, your appointment with Summit Roofing is booked" in text
    assert 'aria-label="Texts to the customer about this appointment"' in page.text
    assert "Reminder 24 h before</span> scheduled for" in text
    assert "Sun Nov 22, 2:00 PM" in text and "Mon Nov 23, 1:00 PM" in text
    assert "Confirmation</span> sent by Otto" in text

    thread = (
        await session.execute(
            select(MessagingSession).where(MessagingSession.contact_id == contact.id)
        )
    ).scalar_one()
    conversation = html.unescape((await browser.get(f"/inbox/{thread.id}")).text)
    assert "Otto (AI, automated)" in conversation
