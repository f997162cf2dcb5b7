"""/dashboard and /today as each role sees them: the manager's charts (SVG with a text
alternative and the numbers beside them, the 7d / 30d / 90d periods), the CSR's lists that
open the conversation, a rep's own numbers; the rep's day (their own only, the links a
phone needs, the last messages) and its one-tap "On my way" text through the outbound
pipeline, refused for a customer who opted out."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.crm.models import AppointmentStatus
from switchboard.messaging.models import Channel, Direction, Message, MessageStatus, Sender
from switchboard.messaging.optouts import record_opt_out
from switchboard.messaging.outbound import SEND_JOB
from switchboard.tasks.models import AssignedRole, TaskStatus
from switchboard.tenancy.models import ChannelKind, Role
from tests.dashboards.test_role_dashboards import NOW, seed_company
from tests.factories import Factory, text_message
from tests.messaging.support import jobs_of
from tests.web.conftest import Browser

SVG = re.compile(
    r'<svg class="chart-svg[^"]*" id="chart-([a-z-]+)" role="img" aria-label="([^"]+)"'
)


def charts_of(page: str) -> dict[str, str]:
    return {key: html.unescape(label) for key, label in SVG.findall(page)}


async def test_the_manager_sees_charts_with_words_and_numbers(
    factory: Factory, session: AsyncSession, sign_in: object, frozen_clock: object
) -> None:
    company = await seed_company(factory, session)
    browser: Browser = await sign_in(company.manager)  # type: ignore[operator]
    page = (await browser.get("/dashboard")).text
    for period in ("7d", "30d", "90d"):
        assert f'href="/dashboard?period={period}"' in page
    assert 'href="/dashboard?period=7d" aria-current="page"' in page
    charts = charts_of(page)
    for key in (
        "calls-by-outcome",
        "calls-per-day",
        "booking-rate",
        "leads-by-source",
        "leads-by-status",
        "texts-per-day",
        "assistant-per-day",
        "models-per-day",
    ):
        assert key in charts, key
    # The week's 13 calls, in words, in the picture's text alternative.
    assert charts["calls-by-outcome"] == (
        "Calls by outcome. Booked 5, Unbooked 4, Missed 2, Voicemail 1, Abandoned 1."
    )
    assert "Nov 15 to Nov 21." in charts["calls-per-day"]
    # And as a table one click away, a row per day.
    numbers = re.search(r'id="calls-per-day".*?<tbody>(.*?)</tbody>', page, re.S)
    assert numbers and numbers.group(1).count("<tr>") == 7
    assert "<dt>Speed to lead" in page and "<dt>Show rate</dt><dd>67%</dd>" in page

    quarter = (await browser.get("/dashboard?period=90d")).text
    assert 'href="/dashboard?period=90d" aria-current="page"' in quarter
    numbers = re.search(r'id="calls-per-day".*?<tbody>(.*?)</tbody>', quarter, re.S)
    assert numbers and numbers.group(1).count("<tr>") == 90


async def test_a_chart_never_carries_markup_from_the_data(
    factory: Factory, session: AsyncSession, sign_in: object, frozen_clock: object
) -> None:
    tenant = await factory.tenant()
    manager = await factory.user(tenant, Role.manager)
    contact = await factory.contact(tenant)
    await factory.lead(tenant, contact, source='<script>alert("x")</script>', created_at=NOW)
    browser: Browser = await sign_in(manager)  # type: ignore[operator]
    page = (await browser.get("/dashboard")).text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page


async def test_the_csr_sees_unanswered_calls_and_texts_that_open_the_conversation(
    factory: Factory, session: AsyncSession, sign_in: object, frozen_clock: object
) -> None:
    company = await seed_company(factory, session)
    await factory.task(
        company.tenant, title="Call back the Garcias", assigned_role=AssignedRole.csr
    )
    browser: Browser = await sign_in(company.cora)  # type: ignore[operator]
    page = (await browser.get("/dashboard")).text
    calls = re.search(
        r'<ol class="queue" aria-labelledby="unanswered-calls">(.*?)</ol>', page, re.S
    )
    texts = re.search(r'<ol class="queue" aria-labelledby="waiting-texts">(.*?)</ol>', page, re.S)
    assert calls and texts
    assert re.search(r'<a href="/inbox/[0-9a-f-]{36}">Maria Garcia</a>', calls.group(1))
    assert "Lu Lopez" in calls.group(1)
    assert re.search(r'<a href="/inbox/[0-9a-f-]{36}">Maria Garcia</a>', texts.group(1))
    assert "42 min" in texts.group(1)
    assert "Call back the Garcias" in page  # the CSR queue, each task done in one tap
    assert re.search(r'hx-post="/tasks/[0-9a-f-]{36}/complete"', page)
    assert "team-calls-today" in charts_of(page)
    assert 'aria-label="Period"' not in page  # the periods are the manager's


async def test_a_rep_sees_their_own_numbers(
    factory: Factory, session: AsyncSession, sign_in: object, frozen_clock: object
) -> None:
    company = await seed_company(factory, session)
    browser: Browser = await sign_in(company.ann)  # type: ignore[operator]
    page = (await browser.get("/dashboard")).text
    assert charts_of(page).keys() == {"my-leads-by-status"}
    assert "<dt>Appointments today</dt><dd>2</dd>" in page


async def test_a_reps_day_is_their_own_with_what_a_phone_needs(
    factory: Factory, session: AsyncSession, sign_in: object, frozen_clock: object
) -> None:
    company = await seed_company(factory, session)
    await factory.shift(company.tenant, company.ann, starts_at=NOW, territory="North side")
    await factory.task(
        company.tenant, title="Bring the shingle samples", assignee_id=company.ann.id
    )
    await factory.task(company.tenant, title="Bob's own task", assignee_id=company.bob.id)
    browser: Browser = await sign_in(company.ann)  # type: ignore[operator]
    page = (await browser.get("/today")).text

    stops = re.findall(
        r'<li class="card stop[^"]*" id="stop-[^"]+">(.*?)</li>\s*\n\s*(?=<li class="card|</ol>)',
        page,
        re.S,
    )
    assert len(stops) == 2  # Ann's two today; Lopez is Bob's
    assert "Lu Lopez" not in "".join(stops)
    first, second = stops
    assert "Maria Garcia" in first and "Roof estimate" in first
    assert "12 Elm St" in first
    assert 'href="https://www.openstreetmap.org/search?query=12+Elm+St"' in first
    assert re.search(r'href="tel:\+1\d{10}"', first) and re.search(r'href="sms:\+1\d{10}"', first)
    assert "Sam Smith" in second and "5 Oak Ave, Springfield" in second
    assert "On my way" in first and "disabled" not in first
    # Garcia's last messages, oldest first.
    assert first.index("Otto") < first.index("Customer")
    assert "North side" in page
    assert "Bring the shingle samples" in page and "Bob's own task" not in page

    # Nobody else's day for a rep, whatever the URL says.
    other = await browser.get(f"/today?rep={company.bob.id}")
    assert other.status_code == 403
    assert 'id="today-rep"' not in page


async def test_a_manager_opens_any_reps_day(
    factory: Factory, session: AsyncSession, sign_in: object, frozen_clock: object
) -> None:
    company = await seed_company(factory, session)
    browser: Browser = await sign_in(company.manager)  # type: ignore[operator]
    page = (await browser.get(f"/today?rep={company.bob.id}")).text
    assert "Lu Lopez" in page and "Maria Garcia" not in page
    assert '<label for="today-rep">Rep</label>' in page
    assert f"{company.bob.name}'s day" in html.unescape(page)


async def test_on_my_way_is_one_tap_through_the_outbound_pipeline(
    factory: Factory, session: AsyncSession, sign_in: object, frozen_clock: object
) -> None:
    tenant = await factory.tenant(name="Acme Roofing")
    await factory.channel(tenant, "+15555550100", ChannelKind.sms)
    rep = await factory.user(tenant, Role.rep, name="Ann Rep")
    contact = await factory.contact(tenant, first_name="Maria", phone="+13125550111")
    appointment = await factory.appointment(
        tenant, contact, rep, starts_at=NOW + timedelta(hours=2)
    )
    browser: Browser = await sign_in(rep)  # type: ignore[operator]
    await browser.get("/today")
    card = await browser.post(f"/today/appointments/{appointment.id}/on-my-way", htmx=True)
    assert card.status_code == 200, card.text
    assert card.text.lstrip().startswith(
        f'<li class="card stop status-scheduled" id="stop-{appointment.id}"'
    )
    assert "On my way text sent" in card.text
    text = "Hi Maria, this is Ann from Acme Roofing. I&#39;m on my way to you now for our 11:00 AM appointment."
    assert text in card.text and ">queued<" in card.text

    sent = (
        (await session.execute(select(Message).where(Message.contact_id == contact.id)))
        .scalars()
        .all()
    )
    assert [(m.direction, m.sender, m.sender_user_id, m.status, m.channel) for m in sent] == [
        (Direction.outbound, Sender.rep, rep.id, MessageStatus.queued, Channel.sms)
    ]
    assert len(await jobs_of(session, SEND_JOB)) == 1


async def test_on_my_way_is_refused_for_a_customer_who_opted_out(
    factory: Factory, session: AsyncSession, sign_in: object, frozen_clock: object
) -> None:
    tenant = await factory.tenant()
    await factory.channel(tenant, "+15555550100", ChannelKind.sms)
    rep = await factory.user(tenant, Role.rep)
    contact = await factory.contact(tenant, phone="+13125550122")
    await text_message(session, tenant, contact, Direction.inbound, "STOP", NOW - timedelta(days=1))
    await record_opt_out(session, tenant.id, "+13125550122", Channel.sms, "STOP", source="keyword")
    appointment = await factory.appointment(
        tenant, contact, rep, starts_at=NOW + timedelta(hours=1)
    )
    done = await factory.appointment(
        tenant,
        await factory.contact(tenant),
        rep,
        starts_at=NOW - timedelta(hours=3),
        status=AppointmentStatus.completed,
    )
    browser: Browser = await sign_in(rep)  # type: ignore[operator]
    page = (await browser.get("/today")).text
    assert f'disabled aria-describedby="why-{appointment.id}"' in page
    assert "Can't text: +13125550122 replied STOP and has opted out of SMS messages" in page
    assert f'disabled aria-describedby="why-{done.id}"' in page
    assert "Can't text: the appointment is completed" in page

    # A tap that gets through anyway (an old page) sends nothing and says why.
    card = await browser.post(f"/today/appointments/{appointment.id}/on-my-way", htmx=True)
    assert "opted out" in card.text
    outbound = await session.execute(
        select(Message).where(
            Message.contact_id == contact.id, Message.direction == Direction.outbound
        )
    )
    assert outbound.scalars().all() == []
    assert await jobs_of(session, SEND_JOB) == []


async def test_a_task_is_completed_in_one_tap_from_the_day(
    factory: Factory, session: AsyncSession, sign_in: object, frozen_clock: object
) -> None:
    tenant = await factory.tenant()
    rep = await factory.user(tenant, Role.rep)
    task = await factory.task(tenant, title="Send the quote", assignee_id=rep.id)
    browser: Browser = await sign_in(rep)  # type: ignore[operator]
    page = (await browser.get("/today")).text
    assert f'id="panel-task-{task.id}"' in page
    response = await browser.client.post(
        f"/tasks/{task.id}/complete",
        data={"csrf_token": browser.csrf},
        headers={
            "Origin": "https://switchboard.test",
            "HX-Request": "true",
            "X-CSRF-Token": browser.csrf,
            "HX-Target": f"panel-task-{task.id}",
        },
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<li id="panel-task-{task.id}" class="completed">')
    await session.refresh(task)
    assert task.status == TaskStatus.completed
