"""Every page for every role, the shell's security headers and static files, the offline API
docs, and the contact pages with their timeline."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.crm.models import CallAnalysis, CallOutcome, CallTranscript
from switchboard.tenancy.models import Role
from switchboard.web.templating import STATIC_DIR, static_url
from tests.factories import Factory
from tests.web.conftest import Browser

PAGES = ["/inbox", "/today", "/tasks", "/contacts", "/assistant", "/dashboard"]


@pytest.mark.parametrize("role", list(Role))
async def test_every_page_opens_for_every_role(
    factory: Factory, sign_in: object, role: Role
) -> None:
    tenant = await factory.tenant()
    browser: Browser = await sign_in(await factory.user(tenant, role))  # type: ignore[operator]
    for path in PAGES:
        page = await browser.get(path)
        assert page.status_code == 200, (path, page.text[:500])
        nav = re.search(r'<nav class="mainnav" aria-label="Main">(.*?)</nav>', page.text, re.S)
        assert nav, path
        for name in ("Inbox", "Today", "Tasks", "Contacts", "Assistant", "Dashboard"):
            assert f">{name}<" in nav.group(1) or f">{name}<span" in nav.group(1), (path, name)
        assert (">Settings<" in nav.group(1)) == (role in (Role.manager, Role.admin))
        assert ">Sign out</button>" in page.text
    settings_page = await browser.get("/settings")
    assert settings_page.status_code == (200 if role in (Role.manager, Role.admin) else 403)
    if settings_page.status_code == 200:
        for heading in ("Company", "Team", "Numbers"):
            assert f">{heading}</h2>" in settings_page.text


async def test_pages_carry_a_strict_policy_and_no_inline_script(
    factory: Factory, sign_in: object
) -> None:
    tenant = await factory.tenant()
    browser: Browser = await sign_in(await factory.user(tenant, Role.csr))  # type: ignore[operator]
    for path in [*PAGES, "/login"]:
        page = await browser.get(path)
        policy = page.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), path
        assert not re.search(r"\son[a-z]+=", page.text), path  # no inline event handlers
        assert " style=" not in page.text, path


async def test_static_files_are_content_hashed_and_cached_for_good(
    client: httpx.AsyncClient,
) -> None:
    url = static_url("app.css")
    response = await client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    digest = url.split("/")[2]
    assert hashlib.sha256((STATIC_DIR / "app.css").read_bytes()).hexdigest().startswith(digest)
    stale = await client.get(url.replace(digest, "0" * 12))
    assert "immutable" not in stale.headers.get("Cache-Control", "")


def test_vendored_files_match_their_recorded_sha256() -> None:
    vendor = STATIC_DIR / "vendor"
    table = (vendor / "README.md").read_text()
    rows = re.findall(r"\| `([^`]+)` \| `[^`]+` \| [\d.]+ \| [^|]+ \| `([0-9a-f]{64})` \|", table)
    assert {name for name, _ in rows} == {p.name for p in vendor.glob("*.js")}
    for name, digest in rows:
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == digest, name
        licence = re.search(
            rf"`{re.escape(name)}` \| `[^`]+` \| [\d.]+ \| [^(]+\(`([^`]+)`\)", table
        )
        assert licence and (vendor / licence.group(1)).exists()


async def test_api_docs_load_nothing_from_the_internet(client: httpx.AsyncClient) -> None:
    for path in ("/docs", "/redoc"):
        page = await client.get(path)
        assert page.status_code == 200
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert assets, path
        for asset in assets:
            assert asset.startswith("/"), asset
            assert (await client.get(asset)).status_code == 200, asset


async def test_contacts_search_and_a_contact_timeline(
    factory: Factory, session: AsyncSession, sign_in: object
) -> None:
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    rep = await factory.user(tenant, Role.rep)
    lisa = await factory.contact(
        tenant, phone="+13035550111", first_name="Lisa", last_name="Henderson"
    )
    await factory.contact(tenant, first_name="Omar", last_name="Haddad")
    call = await factory.call(tenant, lisa, outcome=CallOutcome.unbooked, duration_seconds=125)
    session.add(
        CallTranscript(
            tenant_id=tenant.id,
            call_id=call.id,
            text="...",
            segments=[
                {
                    "speaker": "customer",
                    "start_s": 0,
                    "end_s": 3,
                    "text": "I need to talk to my husband <b>first</b>",
                },
            ],
        )
    )
    session.add(
        CallAnalysis(
            tenant_id=tenant.id,
            call_id=call.id,
            summary="Wants to decide with spouse",
            objections=["spouse"],
            next_steps=["Call back Thursday"],
            model="builtin",
        )
    )
    appointment = await factory.appointment(tenant, lisa, rep, title="Roof inspection")
    await factory.recording(
        tenant, rep, appointment_id=appointment.id, transcript="Walked the roof."
    )
    await factory.task(tenant, title="Send the quote", contact_id=lisa.id)
    await session.flush()
    browser: Browser = await sign_in(csr)  # type: ignore[operator]

    found = await browser.get("/contacts?q=hend")
    assert "Lisa Henderson" in found.text and "Omar Haddad" not in found.text
    assert 'for="contact-search">Search<' in found.text
    by_number = await browser.get("/contacts?q=5550111")
    assert "Lisa Henderson" in by_number.text

    page = await browser.get(f"/contacts/{lisa.id}")
    assert page.status_code == 200
    for text in (
        "Wants to decide with spouse",
        "Objections",
        "spouse",
        "Call back Thursday",
        "Roof inspection",
        "In-home recording",
        "Walked the roof.",
        "Send the quote",
        "2m 5s",
        "tel:+13035550111",
        "Transcript",
    ):
        assert text in page.text, text
    assert "my husband &lt;b&gt;first&lt;/b&gt;" in page.text


async def test_a_rep_opens_only_contacts_in_their_scope(factory: Factory, sign_in: object) -> None:
    tenant = await factory.tenant()
    rep = await factory.user(tenant, Role.rep)
    mine = await factory.contact(tenant, first_name="Mine")
    await factory.lead(tenant, mine, assigned_rep_id=rep.id)
    other = await factory.contact(tenant, first_name="Other")
    browser: Browser = await sign_in(rep)  # type: ignore[operator]
    listing = await browser.get("/contacts")
    assert "Mine" in listing.text and "Other Customer" not in listing.text
    assert (await browser.get(f"/contacts/{mine.id}")).status_code == 200
    assert (await browser.get(f"/contacts/{other.id}")).status_code == 404


def test_every_control_in_the_templates_has_a_label() -> None:
    """A text box or select without a <label for> (or an aria-label) cannot be found by name."""
    templates = Path(STATIC_DIR).parent / "templates"
    for path in templates.rglob("*.html"):
        html = path.read_text()
        labelled = set(re.findall(r'<label for="([^"]+)"', html))
        for control in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
            if re.search(r'type="(hidden|submit)"', control):
                continue
            ident = re.search(r'\bid="([^"]+)"', control)
            assert (ident and ident.group(1) in labelled) or "aria-label=" in control, (
                path.name,
                control,
            )


async def test_a_nul_character_is_refused_on_every_web_input(
    client: httpx.AsyncClient, factory: Factory, sign_in: object, session: AsyncSession
) -> None:
    tenant = await factory.tenant()
    browser: Browser = await sign_in(await factory.user(tenant, Role.csr))  # type: ignore[operator]
    for path in (
        "/inbox?q=a%00b",
        "/contacts?q=a%00b",
        "/tasks?status=open%00",
        "/inbox?cursor=%00",
    ):
        response = await browser.get(path)
        assert response.status_code == 422, path
        assert "not valid" in response.text
    task = await browser.post(
        "/tasks", {"title": "Call\x00back", "assignee": "role:csr"}, htmx=True
    )
    assert task.status_code == 422 and 'id="task-title-error"' in task.text
    client.cookies.clear()
    login_page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page.text).group(1)  # type: ignore[union-attr]
    login = await client.post(
        "/login",
        data={"csrf_token": token, "email": "a\x00@example.test", "password": "x"},
        headers={"Origin": "https://switchboard.test"},
    )
    assert login.status_code == 422
