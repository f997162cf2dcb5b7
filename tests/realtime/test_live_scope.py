"""A socket carries only what its user may read through the API: a rep hears their own
scope (docs/PERMISSIONS.md), the office hears the whole company, nobody hears the bus's
internal events."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from switchboard.callintel.service import ANALYSIS_CREATED
from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.kit.events import Event, emit
from switchboard.tenancy.models import Role
from switchboard.tenancy.service import issue_token
from tests.factories import Factory
from tests.messaging.support import OUR_NUMBER, post_webhook, sms_params
from tests.realtime.conftest import live

SMS = "/webhooks/twilio/sms"
MINE, THEIRS = "+13125550101", "+13125550102"


async def test_a_rep_hears_their_own_texts_and_tasks_and_the_office_hears_all(
    app: FastAPI, api: httpx.AsyncClient, settings: Settings, factory: Factory
) -> None:
    tenant = await factory.tenant()
    await factory.channel(tenant, OUR_NUMBER)
    manager = await factory.user(tenant, Role.manager)
    csr = await factory.user(tenant, Role.csr)
    rep, other_rep = await factory.user(tenant, Role.rep), await factory.user(tenant, Role.rep)
    customer = await factory.contact(tenant, MINE)
    await factory.lead(tenant, customer, assigned_rep_id=rep.id)
    stranger = await factory.contact(tenant, THEIRS)
    await factory.lead(tenant, stranger, assigned_rep_id=other_rep.id)

    async with (
        await live(app, api, settings, rep) as rep_tab,
        await live(app, api, settings, rep) as rep_phone,
        await live(app, api, settings, manager) as office,
        await live(app, api, settings, csr) as front_desk,
    ):
        sockets = (rep_tab, rep_phone, office, front_desk)
        for socket in sockets:
            await socket.receive_until("ready")
        # The office is one audience, the rep (both their screens) another.
        assert app.state.hub.audience_count(tenant.id) == 2

        hub = app.state.hub
        # Between requests the test waits for the fan-out: its scope queries share the
        # test's one database connection (in production each has its own).
        theirs = await post_webhook(api, settings, SMS, sms_params("not yours", sender=THEIRS))
        assert theirs.status_code == 200
        await hub.settled()
        mine = await post_webhook(api, settings, SMS, sms_params("yours", sender=MINE))
        assert mine.status_code == 200
        await hub.settled()
        bearer = {"Authorization": f"Bearer {issue_token(settings, manager)}"}
        for title, assignee in (("For the desk", csr), ("For the rep", rep)):
            created = await api.post(
                "/api/tasks", json={"title": title, "assignee_id": str(assignee.id)}, headers=bearer
            )
            assert created.status_code == 201, created.text
            await hub.settled()

        for socket in (office, front_desk):
            bodies = [(await socket.receive_until("message.created"))["data"]["message"]["body"]]
            bodies.append(
                (await socket.receive_until("message.created"))["data"]["message"]["body"]
            )
            assert bodies == ["not yours", "yours"]
            titles = [(await socket.receive_until("task.created"))["data"]["task"]["title"]]
            titles.append((await socket.receive_until("task.created"))["data"]["task"]["title"])
            assert titles == ["For the desk", "For the rep"]

        for socket in (rep_tab, rep_phone):
            seen = []
            while len(seen) < 4:  # their text, its session event, their task... and no more
                event = await socket.receive_json()
                seen.append(event)
                if event["type"] == "task.created":
                    break
            kinds = [(event["type"], event["data"]) for event in seen]
            messages = [d["message"]["body"] for t, d in kinds if t == "message.created"]
            sessions = [d["session"]["contact_id"] for t, d in kinds if t.startswith("session.")]
            tasks = [d["task"]["title"] for t, d in kinds if t == "task.created"]
            assert messages == ["yours"]
            assert sessions == [str(customer.id)]
            assert tasks == ["For the rep"]
            await socket.assert_silent()


async def test_internal_events_never_reach_a_screen(
    app: FastAPI, api: httpx.AsyncClient, db: Database, settings: Settings, factory: Factory
) -> None:
    tenant = await factory.tenant()
    manager = await factory.user(tenant, Role.manager)
    async with await live(app, api, settings, manager) as socket:
        await socket.receive_until("ready")
        async with db.transaction() as session:
            emit(session, Event("assistant.turn.stop", tenant.id, {"message_id": "m1"}))
            emit(session, Event("something.new", tenant.id, {"secret": "x"}))
        await socket.assert_silent()


async def test_an_analysis_reaches_whoever_may_read_its_contact(
    app: FastAPI, api: httpx.AsyncClient, db: Database, settings: Settings, factory: Factory
) -> None:
    tenant = await factory.tenant()
    manager = await factory.user(tenant, Role.manager)
    rep, other_rep = await factory.user(tenant, Role.rep), await factory.user(tenant, Role.rep)
    customer = await factory.contact(tenant, MINE)
    await factory.lead(tenant, customer, assigned_rep_id=rep.id)
    stranger = await factory.contact(tenant, THEIRS)
    await factory.lead(tenant, stranger, assigned_rep_id=other_rep.id)

    async with (
        await live(app, api, settings, rep) as rep_socket,
        await live(app, api, settings, manager) as office,
    ):
        for socket in (rep_socket, office):
            await socket.receive_until("ready")
        for contact in (stranger, customer):
            async with db.transaction() as session:
                emit(session, Event(ANALYSIS_CREATED, tenant.id, {"contact_id": str(contact.id)}))
            await app.state.hub.settled()

        heard = [(await office.receive_until(ANALYSIS_CREATED))["data"]["contact_id"]]
        heard.append((await office.receive_until(ANALYSIS_CREATED))["data"]["contact_id"])
        assert heard == [str(stranger.id), str(customer.id)]
        mine = await rep_socket.receive_until(ANALYSIS_CREATED)
        assert mine["data"]["contact_id"] == str(customer.id)
        await rep_socket.assert_silent()
