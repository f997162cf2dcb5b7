"""The call page and the contact timeline show Otto's work: the transcript by speaker, the
analysis with the lines each finding cites, the tasks it made and what it changed."""

from __future__ import annotations

import re
from datetime import datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.ai.analysis.builtin import BuiltinAnalyser
from switchboard.ai.analysis.jobs import analyse
from switchboard.callintel.schemas import SourceKind
from switchboard.callintel.service import store_call_transcript
from switchboard.crm.models import LeadStatus
from switchboard.kit.db import Database
from switchboard.tenancy.models import Role
from tests.callintel.transcripts import BOOKED, CALL_AT, SPOUSE
from tests.factories import Factory
from tests.web.conftest import Browser


async def analysed_call(factory: Factory, session: AsyncSession, db: Database, case: object):  # type: ignore[no-untyped-def]
    tenant = await factory.tenant(name="Summit Roofing")
    csr = await factory.user(tenant, Role.csr, name="Dana Cole")
    contact = await factory.contact(tenant, first_name="Jordan", last_name="Reyes")
    lead = await factory.lead(tenant, contact, status=LeadStatus.new)
    call = await factory.call(
        tenant, contact, lead_id=lead.id, started_at=datetime.fromisoformat(CALL_AT),
        handled_by_user_id=csr.id,
    )  # fmt: skip
    await store_call_transcript(session, call, "", case.segment_dicts(), "en", analyse=False)  # type: ignore[attr-defined]
    await session.flush()
    async with db.sessionmaker() as worker_session:
        await analyse(worker_session, tenant.id, SourceKind.call, call.id, BuiltinAnalyser())
        await worker_session.commit()
    return tenant, csr, contact, call


async def test_the_call_page_shows_transcript_analysis_citations_and_tasks(
    factory: Factory, session: AsyncSession, db: Database, sign_in: object
) -> None:
    _, csr, contact, call = await analysed_call(factory, session, db, SPOUSE)
    browser: Browser = await sign_in(csr)  # type: ignore[operator]
    page = await browser.get(f"/calls/{call.id}")
    assert page.status_code == 200, page.text
    html = page.text
    assert "Call with Jordan Reyes" in html
    assert "Otto&#39;s analysis" in html or "Otto's analysis" in html
    # The objection cites line 2, which the transcript shows marked as cited.
    assert "Objection: Spouse or partner" in html
    assert 'href="#line-2"' in html and 'id="line-2" class="line cited"' in html
    assert re.search(r'class="cited-by">Cited for: [^<]*Objection: Spouse or partner', html)
    assert '<strong class="speaker">Customer</strong>' in html
    # The task it made, with its Complete button and who made it.
    assert "Jordan Reyes is deciding with their spouse: check back in two days" in html
    assert "Made by Otto (call AI)" in html
    assert ">Complete</button>" in html

    timeline = await browser.get(f"/contacts/{contact.id}")
    assert f'href="/calls/{call.id}"' in timeline.text
    assert f'href="/calls/{call.id}#line-2"' in timeline.text


async def test_the_call_page_lists_what_otto_changed(
    factory: Factory, session: AsyncSession, db: Database, sign_in: object
) -> None:
    _, csr, _, call = await analysed_call(factory, session, db, BOOKED)
    browser: Browser = await sign_in(csr)  # type: ignore[operator]
    html = (await browser.get(f"/calls/{call.id}")).text
    assert "Otto set the call's outcome to booked" in html
    assert "Otto set the lead's status to appointment set (was new)" in html


async def test_another_companys_call_is_not_found(
    factory: Factory,
    session: AsyncSession,
    db: Database,
    sign_in: object,
    client: httpx.AsyncClient,
) -> None:
    _, _, _, call = await analysed_call(factory, session, db, SPOUSE)
    other = await factory.user(await factory.tenant(), Role.manager)
    browser: Browser = await sign_in(other)  # type: ignore[operator]
    assert (await browser.get(f"/calls/{call.id}")).status_code == 404
