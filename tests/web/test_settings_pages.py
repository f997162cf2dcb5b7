"""/settings through the ASGI app: only managers and admins open it; a manager edits the
company, adds and deactivates people and adds numbers, each section answering alone."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.app import create_app
from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.tenancy.models import ChannelAccount, Role, Tenant, User
from switchboard.tenancy.security import SESSION_COOKIE, verify_password
from switchboard.tenancy.service import issue_token
from tests.factories import Factory
from tests.web.conftest import ORIGIN, Browser

COMPANY = {
    "name": "Acme Roofing",
    "timezone": "America/Denver",
    "office_phone": "",
    "session_gap": "",
    "help_text": "",
    "missed_call_text": "",
    "auto_reply": "on",
    "missed_call_text_enabled": "on",
    **{f"open_{day}": "on" for day in ("mon", "tue", "wed", "thu", "fri")},
    **{f"opens_{day}": "08:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    **{f"closes_{day}": "17:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
}


async def _manager(factory: Factory, sign_in: object) -> tuple[Tenant, User, Browser]:
    tenant = await factory.tenant(name="Acme", timezone="America/Chicago")
    manager = await factory.user(tenant, Role.manager, name="Mona Manager")
    browser: Browser = await sign_in(manager)  # type: ignore[operator]
    return tenant, manager, browser


@pytest.mark.parametrize("role", [Role.csr, Role.rep])
async def test_only_managers_and_admins_open_settings(
    factory: Factory, sign_in: object, session: AsyncSession, role: Role
) -> None:
    tenant = await factory.tenant(name="Acme")
    browser: Browser = await sign_in(await factory.user(tenant, role))  # type: ignore[operator]
    page = await browser.get("/settings")
    assert page.status_code == 403
    assert "You can't open this page" in html.unescape(page.text)
    for url, form in (
        ("/settings/company", {**COMPANY, "name": "Hijacked"}),
        ("/settings/numbers", {"kind": "sms", "address": "+13035550100"}),
        (
            "/settings/team",
            {"name": "X", "email": "x@x.test", "role": "admin", "password": "p" * 9},
        ),
    ):
        assert (await browser.post(url, form, htmx=True)).status_code == 403
    await session.refresh(tenant)
    assert tenant.name == "Acme"
    assert (await session.execute(select(ChannelAccount))).first() is None


async def test_the_page_has_its_sections_and_a_strict_policy(
    factory: Factory, sign_in: object
) -> None:
    tenant, _, browser = await _manager(factory, sign_in)
    await factory.channel(tenant, "+13035550100", label="Main line")
    page = await browser.get("/settings")
    assert page.status_code == 200
    for heading in ("Company", "Team", "Numbers"):
        assert f">{heading}</h2>" in page.text
    assert 'value="America/Chicago"' in page.text
    assert "+13035550100" in page.text and "Main line" in page.text
    assert "https://switchboard.test/webhooks/twilio/sms" in page.text  # where Twilio posts
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text)
    assert not re.search(r"\son[a-z]+=", page.text) and " style=" not in page.text


async def test_a_manager_edits_the_company(
    factory: Factory, sign_in: object, session: AsyncSession
) -> None:
    tenant, _, browser = await _manager(factory, sign_in)
    form = {
        **COMPANY,
        "session_gap": "15",
        "help_text": "Acme: reply here or call 303-555-0100.",
        "auto_reply": "",
        "office_phone": "303 555 0199",
        "open_sat": "on",
        "opens_sat": "09:00",
        "closes_sat": "12:30",
    }
    saved = await browser.post("/settings/company", form, htmx=True)
    assert saved.status_code == 200, saved.text
    assert "Company saved" in saved.text
    assert saved.text.lstrip().startswith('<section id="company"')  # the section alone
    await session.refresh(tenant)
    assert (tenant.name, tenant.timezone, tenant.session_gap_seconds) == (
        "Acme Roofing",
        "America/Denver",
        900,
    )
    assert tenant.auto_reply_enabled is False
    assert tenant.office_phone == "+13035550199"
    assert tenant.help_text == "Acme: reply here or call 303-555-0100."
    assert tenant.business_hours == {
        **{day: ["08:00", "17:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
        "sat": ["09:00", "12:30"],
        "sun": None,
    }

    plain = await browser.post("/settings/company", {**form, "name": "Acme Roofing Co"})
    assert plain.status_code == 303 and plain.headers["location"] == "/settings#company"
    await session.refresh(tenant)
    assert tenant.name == "Acme Roofing Co"


async def test_company_mistakes_are_shown_by_their_fields(
    factory: Factory, sign_in: object, session: AsyncSession
) -> None:
    tenant, _, browser = await _manager(factory, sign_in)
    form = {**COMPANY, "timezone": "Mars/Base", "session_gap": "soon", "opens_mon": ""}
    form |= {"opens_tue": "09:00", "closes_tue": "09:00"}
    refused = await browser.post("/settings/company", form, htmx=True)
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert "Check the company's settings" in text
    assert "'Mars/Base' is not a time zone" in text
    assert "Enter the minutes as a number from 1 to 1440" in text
    assert "Enter when you open and close, or untick Monday" in text  # open, with no hours
    assert "Tuesday: opening and closing times are the same" in text
    assert 'value="Mars/Base"' in text  # what was typed stays in the form
    await session.refresh(tenant)
    assert (tenant.name, tenant.timezone) == ("Acme", "America/Chicago")


async def test_a_manager_adds_a_person(
    factory: Factory, sign_in: object, session: AsyncSession
) -> None:
    tenant, _, browser = await _manager(factory, sign_in)
    person = {
        "name": "Cory CSR",
        "email": "Cory@Acme.test",
        "role": "csr",
        "password": "first-day-pw",
        "phone": "",
    }
    added = await browser.post("/settings/team", person, htmx=True)
    assert added.status_code == 200, added.text
    assert "Cory CSR can sign in now as cory@acme.test" in added.text
    cory = (await session.execute(select(User).where(User.email == "cory@acme.test"))).scalar_one()
    assert (cory.tenant_id, cory.role, cory.active) == (tenant.id, Role.csr, True)
    assert verify_password("first-day-pw", cory.password_hash)
    assert 'aria-label="Team members"' in added.text and "Cory CSR" in added.text

    again = await browser.post("/settings/team", {**person, "role": "admin"}, htmx=True)
    assert again.status_code == 422
    assert "only an admin can make someone an admin" in again.text
    taken = await browser.post("/settings/team", {**person, "name": "Other Cory"}, htmx=True)
    assert taken.status_code == 422 and "already exists" in taken.text
    assert "first-day-pw" not in taken.text  # a password is never sent back
    short = await browser.post(
        "/settings/team", {**person, "email": "new@acme.test", "password": "short"}, htmx=True
    )
    assert short.status_code == 422 and "at least 8 characters" in short.text


@pytest.fixture
async def second_browser(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """Another person's browser on the same site, with cookies of its own."""
    transport = httpx.ASGITransport(app=create_app(settings, db=db))
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
        yield client


async def test_a_deactivated_person_is_signed_out_at_their_next_request(
    factory: Factory,
    sign_in: object,
    session: AsyncSession,
    settings: Settings,
    second_browser: httpx.AsyncClient,
) -> None:
    tenant, manager, browser = await _manager(factory, sign_in)
    csr = await factory.user(tenant, Role.csr, name="Cory CSR")
    second_browser.cookies.set(SESSION_COOKIE, issue_token(settings, csr))
    assert (await second_browser.get("/inbox")).status_code == 200

    page = await browser.get("/settings")
    assert f'action="/settings/team/{csr.id}/deactivate"' in page.text
    assert f'action="/settings/team/{manager.id}/deactivate"' not in page.text  # not yourself
    done = await browser.post(f"/settings/team/{csr.id}/deactivate", htmx=True)
    assert done.status_code == 200
    assert "Cory CSR is deactivated and signed out" in done.text
    assert f'action="/settings/team/{csr.id}/reactivate"' in done.text

    signed_out = await second_browser.get("/inbox")
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == "/login?next=/inbox"
    fragment = await second_browser.get("/inbox", headers={"HX-Request": "true"})
    assert fragment.headers["HX-Redirect"].startswith("/login")

    myself = await browser.post(f"/settings/team/{manager.id}/deactivate", htmx=True)
    assert myself.status_code == 409 and "you cannot deactivate yourself" in myself.text
    await session.refresh(manager)
    assert manager.active


async def test_a_manager_changes_a_role(
    factory: Factory, sign_in: object, session: AsyncSession
) -> None:
    tenant, _, browser = await _manager(factory, sign_in)
    rep = await factory.user(tenant, Role.rep, name="Rey Rep")
    changed = await browser.post(f"/settings/team/{rep.id}/role", {"role": "manager"}, htmx=True)
    assert changed.status_code == 200 and "Rey Rep is now a manager" in changed.text
    await session.refresh(rep)
    assert rep.role == Role.manager
    admin = await browser.post(f"/settings/team/{rep.id}/role", {"role": "admin"}, htmx=True)
    assert admin.status_code == 403 and "only an admin" in admin.text
    await session.refresh(rep)
    assert rep.role == Role.manager


async def test_a_manager_adds_a_number_and_not_another_companys(
    factory: Factory, sign_in: object, session: AsyncSession
) -> None:
    tenant, _, browser = await _manager(factory, sign_in)
    rival = await factory.tenant(name="Rival Roofing")
    await factory.channel(rival, "+13035550177")
    added = await browser.post(
        "/settings/numbers",
        {"kind": "sms", "address": "(303) 555-0100", "label": "Main line"},
        htmx=True,
    )
    assert added.status_code == 200, added.text
    assert "SMS +13035550100 now routes to this company" in added.text
    [account] = (
        (await session.execute(select(ChannelAccount).where(ChannelAccount.tenant_id == tenant.id)))
        .scalars()
        .all()
    )
    assert (account.kind, account.address, account.label) == ("sms", "+13035550100", "Main line")

    taken = await browser.post(
        "/settings/numbers", {"kind": "voice", "address": "+13035550177"}, htmx=True
    )
    assert taken.status_code == 422
    assert "+13035550177 belongs to another company" in taken.text
    assert "Rival" not in taken.text
    bad = await browser.post("/settings/numbers", {"kind": "sms", "address": "call me"}, htmx=True)
    assert bad.status_code == 422 and "not a phone number" in bad.text

    relabel = await browser.post(
        f"/settings/numbers/{account.id}", {"label": "Front desk"}, htmx=True
    )
    await session.refresh(account)
    assert relabel.status_code == 200 and account.label == "Front desk"
    removed = await browser.post(f"/settings/numbers/{account.id}/remove", htmx=True)
    assert removed.status_code == 200 and "removed" in removed.text
    assert "No numbers yet" in removed.text
    rows = await session.execute(
        select(ChannelAccount).where(ChannelAccount.tenant_id == tenant.id)
    )
    assert rows.first() is None
