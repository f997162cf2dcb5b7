"""A contact's timeline: calls, messages, tasks and appointments, newest first, paginated."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx

from switchboard.messaging.models import (
    Direction,
)
from switchboard.tenancy.models import Role
from tests.factories import Factory, text_message
from tests.kit.helpers import AsUser, walk_pages


async def test_timeline_merges_everything_newest_first(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, frozen_clock: object
) -> None:
    now: datetime = frozen_clock.now  # type: ignore[attr-defined]
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.csr))
    contact, other = await factory.contact(tenant), await factory.contact(tenant)

    call = await factory.call(tenant, contact, started_at=now - timedelta(hours=5))
    message = await text_message(
        factory.session,
        tenant,
        contact,
        Direction.inbound,
        "Is Tuesday OK?",
        now - timedelta(hours=4),
    )
    frozen_clock.advance(-3 * 3600)  # type: ignore[attr-defined]
    task = await factory.task(
        tenant, contact_id=contact.id, title="Call back", due_at=now - timedelta(hours=1)
    )
    frozen_clock.advance(3 * 3600)  # type: ignore[attr-defined]
    appointment = await factory.appointment(
        tenant, contact, starts_at=now + timedelta(days=1), title="Roof inspection"
    )
    # Another contact's history stays out.
    await factory.call(tenant, other, started_at=now - timedelta(minutes=1))
    await factory.task(tenant, contact_id=other.id)

    response = await client.get(f"/api/contacts/{contact.id}/timeline", headers=headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(i["kind"], i["id"]) for i in items] == [
        ("appointment", str(appointment.id)),
        ("task", str(task.id)),
        ("message", str(message.id)),
        ("call", str(call.id)),
    ]
    assert response.json()["next_cursor"] is None
    by_kind = {item["kind"]: item for item in items}
    assert by_kind["appointment"]["title"] == "Roof inspection"
    assert by_kind["message"]["title"] == "Is Tuesday OK?"
    assert by_kind["call"]["title"] == "inbound call"
    # An open task past its due time reads as overdue here too.
    assert by_kind["task"]["status"] == "overdue"
    assert datetime.fromisoformat(by_kind["call"]["at"]) == now - timedelta(hours=5)


async def test_timeline_pages_with_a_cursor(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, frozen_clock: object
) -> None:
    now: datetime = frozen_clock.now  # type: ignore[attr-defined]
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.manager))
    contact = await factory.contact(tenant)
    made: set[str] = set()
    for hour in range(4):
        made.add(
            str((await factory.call(tenant, contact, started_at=now - timedelta(hours=hour))).id)
        )
        message = await text_message(
            factory.session,
            tenant,
            contact,
            Direction.inbound,
            f"m{hour}",
            now - timedelta(hours=hour),
        )
        made.add(str(message.id))
    # Several rows at the very same instant still page without loss.
    for _ in range(3):
        made.add(str((await factory.task(tenant, contact_id=contact.id)).id))

    walked = await walk_pages(client, f"/api/contacts/{contact.id}/timeline", headers, limit=2)
    ids = [item["id"] for item in walked]
    assert len(ids) == len(set(ids)) == len(made)
    assert set(ids) == made
    times = [datetime.fromisoformat(item["at"]) for item in walked]
    assert times == sorted(times, reverse=True)

    garbage = await client.get(
        f"/api/contacts/{contact.id}/timeline", params={"cursor": "garbage"}, headers=headers
    )
    assert garbage.status_code == 422


async def test_timeline_of_unknown_or_foreign_contact_is_404(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.manager))
    foreign = await factory.contact(await factory.tenant())
    for contact_id in (uuid.uuid4(), foreign.id):
        response = await client.get(f"/api/contacts/{contact_id}/timeline", headers=headers)
        assert response.status_code == 404


async def test_a_reps_timeline_holds_only_their_own_records(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, frozen_clock: object
) -> None:
    """Each kind is limited by its own domain's scope: a rep sees the contact's messages,
    but only the calls they handled, the tasks assigned to or made by them, and their own
    appointments and in-home recordings."""
    now: datetime = frozen_clock.now  # type: ignore[attr-defined]
    tenant = await factory.tenant()
    rep, other_rep = await factory.user(tenant, Role.rep), await factory.user(tenant, Role.rep)
    contact = await factory.contact(tenant)
    await factory.lead(tenant, contact, assigned_rep_id=rep.id)

    def hours_ago(n: int) -> datetime:
        return now - timedelta(hours=n)

    my_call = await factory.call(
        tenant, contact, started_at=hours_ago(9), handled_by_user_id=rep.id
    )
    await factory.call(tenant, contact, started_at=hours_ago(8), handled_by_user_id=other_rep.id)
    message = await text_message(
        factory.session, tenant, contact, Direction.inbound, "Hello?", hours_ago(7)
    )
    frozen_clock.advance(-6 * 3600)  # type: ignore[attr-defined]
    my_task = await factory.task(tenant, contact_id=contact.id, assignee_id=rep.id)
    await factory.task(tenant, contact_id=contact.id, assignee_id=other_rep.id)
    frozen_clock.advance(6 * 3600)  # type: ignore[attr-defined]
    my_visit = await factory.appointment(
        tenant, contact, rep, starts_at=hours_ago(5), ends_at=hours_ago(4)
    )
    their_visit = await factory.appointment(
        tenant, contact, other_rep, starts_at=hours_ago(3), ends_at=hours_ago(2)
    )
    my_recording = await factory.recording(
        tenant, rep, appointment_id=my_visit.id, started_at=hours_ago(5)
    )
    await factory.recording(
        tenant, other_rep, appointment_id=their_visit.id, started_at=hours_ago(3)
    )

    response = await client.get(f"/api/contacts/{contact.id}/timeline", headers=as_user(rep))
    assert response.status_code == 200, response.text
    assert {(i["kind"], i["id"]) for i in response.json()["items"]} == {
        ("call", str(my_call.id)),
        ("message", str(message.id)),
        ("task", str(my_task.id)),
        ("appointment", str(my_visit.id)),
        ("recording", str(my_recording.id)),
    }
