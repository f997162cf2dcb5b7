"""Setting up a company through the JSON API: its settings, its team and its numbers, and
the rules that keep a company runnable and a number routed to one company only."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.config import Settings
from switchboard.tenancy.models import Role, Tenant
from tests.factories import Factory
from tests.kit.helpers import AsUser, assert_invalid

MANAGED = [
    ("get", "/api/tenant"),
    ("patch", "/api/tenant"),
    ("get", "/api/users"),
    ("post", "/api/users"),
    ("get", "/api/channels"),
    ("post", "/api/channels"),
]


@pytest.mark.parametrize("role", [Role.csr, Role.rep])
async def test_only_managers_and_admins_set_up_the_company(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, session: AsyncSession, role: Role
) -> None:
    tenant = await factory.tenant(name="Acme Roofing")
    staff = await factory.user(tenant, role)
    for method, url in MANAGED:
        response = await client.request(method, url, json={}, headers=as_user(staff))
        assert response.status_code == 403, (method, url, response.text)
    number = await factory.channel(tenant, "+13035550100")
    gone = await client.delete(f"/api/channels/{number.id}", headers=as_user(staff))
    assert gone.status_code == 403
    renamed = await client.patch("/api/tenant", json={"name": "Mine"}, headers=as_user(staff))
    await session.refresh(tenant)
    assert renamed.status_code == 403 and tenant.name == "Acme Roofing"


async def test_a_manager_edits_the_company(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant(timezone="America/Chicago")
    manager = await factory.user(tenant, Role.manager)
    before = (await client.get("/api/tenant", headers=as_user(manager))).json()
    assert before["business_hours"]["mon"] == ["08:00", "18:00"]

    changes = {
        "name": "Acme Roofing & Gutters",
        "timezone": "America/Denver",
        "business_hours": {"sat": None, "sun": ["10:00", "14:00"]},
        "auto_reply_enabled": False,
        "session_gap_seconds": 900,
        "help_text": "Acme: call 303-555-0100. Reply STOP to opt out.",
        "office_phone": "(303) 555-0199",
    }
    response = await client.patch("/api/tenant", json=changes, headers=as_user(manager))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["business_hours"] == {
        **before["business_hours"],
        "sat": None,
        "sun": ["10:00", "14:00"],
    }  # the days not sent keep their hours
    assert body["office_phone"] == "+13035550199"
    for field in ("name", "timezone", "auto_reply_enabled", "session_gap_seconds", "help_text"):
        assert body[field] == changes[field]
    again = (await client.get("/api/tenant", headers=as_user(manager))).json()
    assert again == body

    cleared = await client.patch(
        "/api/tenant", json={"help_text": "", "session_gap_seconds": None}, headers=as_user(manager)
    )
    assert (cleared.json()["help_text"], cleared.json()["session_gap_seconds"]) == (None, None)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "localtime"}, "timezone"),
        ({"business_hours": {"funday": None}}, "business_hours"),
        ({"business_hours": {"mon": ["8am", "6pm"]}}, "mon"),
        ({"business_hours": {"mon": ["09:00", "09:00"]}}, "mon"),
        ({"session_gap_seconds": 5}, "session_gap_seconds"),
        ({"name": None}, "name"),
        ({"help_text": "x" * 481}, "help_text"),
        ({"slug": "renamed"}, "slug"),
    ],
)
async def test_company_settings_are_validated(
    client: httpx.AsyncClient,
    factory: Factory,
    as_user: AsUser,
    changes: dict[str, object],
    field: str,
) -> None:
    tenant = await factory.tenant(timezone="America/Chicago")
    manager = await factory.user(tenant, Role.manager)
    response = await client.patch("/api/tenant", json=changes, headers=as_user(manager))
    assert_invalid(response, field)
    assert (await client.get("/api/tenant", headers=as_user(manager))).json()[
        "timezone"
    ] == "America/Chicago"


async def test_a_manager_builds_the_team(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    manager = await factory.user(tenant, Role.manager)
    person = {
        "email": "Rey.Rep@Acme.test",
        "name": "Rey Rep",
        "role": "rep",
        "password": "first-day-pw",
        "phone": "720 555 0111",
    }
    created = await client.post("/api/users", json=person, headers=as_user(manager))
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["email"], body["role"], body["phone"], body["active"]) == (
        "rey.rep@acme.test",
        "rep",
        "+17205550111",
        True,
    )
    assert "password" not in created.text and "hash" not in created.text
    login = await client.post(
        "/api/auth/token", data={"username": "rey.rep@acme.test", "password": "first-day-pw"}
    )
    assert login.status_code == 200

    listed = await client.get("/api/users", headers=as_user(manager))
    assert {item["email"] for item in listed.json()["items"]} == {manager.email, body["email"]}

    changed = await client.patch(
        f"/api/users/{body['id']}", json={"role": "csr", "name": "Rey R."}, headers=as_user(manager)
    )
    assert changed.status_code == 200
    assert (changed.json()["role"], changed.json()["name"]) == ("csr", "Rey R.")

    again = await client.post(
        "/api/users", json={**person, "email": "REY.REP@acme.test"}, headers=as_user(manager)
    )
    assert again.status_code == 409 and "already exists" in again.json()["message"]
    assert_invalid(
        await client.post(
            "/api/users",
            json={**person, "email": "x@acme.test", "role": "boss"},
            headers=as_user(manager),
        ),
        "role",
    )
    assert_invalid(
        await client.post(
            "/api/users", json={**person, "email": "y@acme.test", "password": "short"}, headers=as_user(manager)
        ),
        "password",
    )  # fmt: skip


async def test_only_an_admin_makes_or_changes_admins(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, session: AsyncSession
) -> None:
    tenant = await factory.tenant()
    manager = await factory.user(tenant, Role.manager)
    admin = await factory.user(tenant, Role.admin)
    csr = await factory.user(tenant, Role.csr)
    person = {"email": "ada@acme.test", "name": "Ada", "role": "admin", "password": "pw-12345678"}

    refused = await client.post("/api/users", json=person, headers=as_user(manager))
    assert refused.status_code == 403 and "admin" in refused.json()["message"]
    promote = await client.patch(
        f"/api/users/{csr.id}", json={"role": "admin"}, headers=as_user(manager)
    )
    await session.refresh(csr)
    assert promote.status_code == 403 and csr.role == Role.csr
    demote = await client.patch(
        f"/api/users/{admin.id}", json={"active": False}, headers=as_user(manager)
    )
    await session.refresh(admin)
    assert demote.status_code == 403 and admin.active

    made = await client.post("/api/users", json=person, headers=as_user(admin))
    assert made.status_code == 201 and made.json()["role"] == "admin"
    assert (
        await client.patch(f"/api/users/{csr.id}", json={"role": "admin"}, headers=as_user(admin))
    ).status_code == 200


async def test_the_company_always_keeps_someone_to_run_it(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, session: AsyncSession
) -> None:
    tenant = await factory.tenant()
    manager = await factory.user(tenant, Role.manager, name="Mona Manager")
    csr = await factory.user(tenant, Role.csr)

    myself = await client.patch(
        f"/api/users/{manager.id}", json={"active": False}, headers=as_user(manager)
    )
    assert myself.status_code == 409 and "yourself" in myself.json()["message"]
    last = await client.patch(
        f"/api/users/{manager.id}", json={"role": "csr"}, headers=as_user(manager)
    )
    assert last.status_code == 409 and "last active manager" in last.json()["message"]
    await session.refresh(manager)
    assert (manager.active, manager.role) == (True, Role.manager)

    # With a second manager, stepping down is allowed (and takes effect at once).
    await client.patch(f"/api/users/{csr.id}", json={"role": "manager"}, headers=as_user(manager))
    stepped = await client.patch(
        f"/api/users/{manager.id}", json={"role": "csr"}, headers=as_user(manager)
    )
    assert stepped.status_code == 200 and stepped.json()["role"] == "csr"
    assert (await client.get("/api/users", headers=as_user(manager))).status_code == 403


async def test_another_companys_people_are_not_found(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, session: AsyncSession
) -> None:
    mine, theirs = await factory.tenant(), await factory.tenant()
    manager = await factory.user(mine, Role.manager)
    outsider = await factory.user(theirs, Role.csr)
    number = await factory.channel(theirs, "+13035550142")
    for method, url, body in (
        ("get", f"/api/users/{outsider.id}", None),
        ("patch", f"/api/users/{outsider.id}", {"active": False}),
        ("get", f"/api/channels/{number.id}", None),
        ("patch", f"/api/channels/{number.id}", {"label": "mine now"}),
        ("delete", f"/api/channels/{number.id}", None),
    ):
        response = await client.request(method, url, json=body, headers=as_user(manager))
        assert response.status_code == 404, (method, url)
    await session.refresh(outsider)
    await session.refresh(number)
    assert outsider.active and number.label is None


async def test_a_manager_adds_labels_and_removes_numbers(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    manager = await factory.user(tenant, Role.manager)
    headers = as_user(manager)
    sms = await client.post(
        "/api/channels",
        json={"kind": "sms", "address": "(303) 555-0100", "label": "Main line"},
        headers=headers,
    )
    assert sms.status_code == 201, sms.text
    assert (sms.json()["address"], sms.json()["provider"]) == ("+13035550100", "twilio")
    whatsapp = await client.post(
        "/api/channels", json={"kind": "whatsapp", "address": "+1 303 555 0100"}, headers=headers
    )
    assert whatsapp.json()["address"] == "whatsapp:+13035550100"
    prefixed = await client.post(
        "/api/channels",
        json={"kind": "whatsapp", "address": "whatsapp:+13035550101"},
        headers=headers,
    )
    assert prefixed.json()["address"] == "whatsapp:+13035550101"
    voice = await client.post(
        "/api/channels", json={"kind": "voice", "address": "+13035550100"}, headers=headers
    )
    assert voice.status_code == 201  # one number, three channels, one company

    twice = await client.post(
        "/api/channels", json={"kind": "sms", "address": "303-555-0100"}, headers=headers
    )
    assert twice.status_code == 409 and "already this company's SMS number" in twice.text
    assert_invalid(
        await client.post(
            "/api/channels", json={"kind": "sms", "address": "not a number"}, headers=headers
        ),
        "address",
    )
    assert_invalid(
        await client.post(
            "/api/channels", json={"kind": "fax", "address": "+13035550100"}, headers=headers
        ),
        "kind",
    )

    relabelled = await client.patch(
        f"/api/channels/{sms.json()['id']}", json={"label": "Front desk"}, headers=headers
    )
    assert relabelled.json()["label"] == "Front desk"
    removed = await client.delete(f"/api/channels/{voice.json()['id']}", headers=headers)
    assert removed.status_code == 204
    listed = await client.get("/api/channels", headers=headers)
    assert sorted((c["kind"], c["address"]) for c in listed.json()["items"]) == [
        ("sms", "+13035550100"),
        ("whatsapp", "whatsapp:+13035550100"),
        ("whatsapp", "whatsapp:+13035550101"),
    ]


@pytest.mark.parametrize(
    ("theirs", "kind", "address"),
    [
        ("+13035550177", "sms", "+13035550177"),  # the same number and channel
        ("+13035550177", "voice", "(303) 555-0177"),  # the same number on another channel
        ("whatsapp:+13035550177", "sms", "+13035550177"),  # their WhatsApp sender's number
        ("+13035550177", "whatsapp", "+13035550177"),
    ],
)
async def test_a_number_belongs_to_one_company_only(
    client: httpx.AsyncClient,
    factory: Factory,
    as_user: AsUser,
    theirs: str,
    kind: str,
    address: str,
) -> None:
    other: Tenant = await factory.tenant(name="Rival Roofing")
    await factory.channel(other, theirs)
    tenant = await factory.tenant()
    manager = await factory.user(tenant, Role.manager)
    response = await client.post(
        "/api/channels", json={"kind": kind, "address": address}, headers=as_user(manager)
    )
    assert response.status_code == 409, response.text
    assert response.json()["message"] == (
        "+13035550177 belongs to another company; a number routes to one company only"
    )
    assert "Rival" not in response.text  # another company's name is not ours to tell
    listed = await client.get("/api/channels", headers=as_user(manager))
    assert listed.json()["items"] == []


async def test_a_messaging_service_belongs_to_one_company_only(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser
) -> None:
    sid = "MG" + "a" * 32
    await factory.channel(await factory.tenant(), "+13035550160", messaging_service_sid=sid)
    manager = await factory.user(await factory.tenant(), Role.manager)
    response = await client.post(
        "/api/channels",
        json={"kind": "sms", "address": "+13035550161", "messaging_service_sid": sid},
        headers=as_user(manager),
    )
    assert response.status_code == 409 and sid in response.json()["message"]
    assert_invalid(
        await client.post(
            "/api/channels",
            json={"kind": "sms", "address": "+13035550161", "messaging_service_sid": "MG1"},
            headers=as_user(manager),
        ),
        "messaging_service_sid",
    )


async def test_a_new_number_routes_inbound_texts_to_its_company(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, settings: Settings
) -> None:
    """Added through the API, a number receives at once; removed, it stops."""
    from switchboard.channels.twilio.cli import WEBHOOK_PATH, inbound_params, signature_for

    tenant = await factory.tenant()
    manager = await factory.user(tenant, Role.manager)
    added = await client.post(
        "/api/channels", json={"kind": "sms", "address": "+13035550188"}, headers=as_user(manager)
    )
    assert added.status_code == 201

    async def text_in(body: str) -> httpx.Response:
        params = inbound_params(sender="+17205550123", to="+13035550188", body=body)
        url = settings.public_url + WEBHOOK_PATH
        signature = signature_for(settings.twilio_auth_token, url, params)
        return await client.post(
            WEBHOOK_PATH, data=params, headers={"X-Twilio-Signature": signature}
        )

    assert (await text_in("Do you fix skylights?")).status_code == 200
    sessions = await client.get("/api/inbox/sessions", headers=as_user(manager))
    [conversation] = sessions.json()["items"]
    assert conversation["counterpart_address"] == "+17205550123"

    await client.delete(f"/api/channels/{added.json()['id']}", headers=as_user(manager))
    assert (await text_in("Hello?")).status_code == 404  # no company receives it now
    messages = await client.get(
        f"/api/inbox/sessions/{conversation['id']}/messages", headers=as_user(manager)
    )
    assert [m["body"] for m in messages.json()["items"]] == ["Do you fix skylights?"]
