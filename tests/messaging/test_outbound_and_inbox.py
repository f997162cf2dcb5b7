"""Staff sends through the one outbound path, the simulated sender walking a message to
`delivered`, takeover, and the inbox API with its role scoping and pages."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.kit.jobs import Job, JobStatus, Worker
from switchboard.kit.resources import Resources
from switchboard.messaging.models import (
    Channel,
    DeliveryEvent,
    Message,
    MessageKind,
    MessageStatus,
    MessagingSession,
    Sender,
)
from switchboard.messaging.senders import SimulatedSender
from switchboard.messaging.service import queue_outbound, should_auto_reply
from switchboard.tenancy.models import Role
from tests.factories import Factory
from tests.kit.helpers import AsUser, assert_invalid, walk_pages
from tests.messaging.support import (
    CUSTOMER,
    OUR_NUMBER,
    EventRecorder,
    Inbox,
    count,
    jobs_of,
    make_inbox,
    post_webhook,
    sms_params,
)

SMS = "/webhooks/twilio/sms"


async def test_a_staff_send_is_queued_with_a_job_and_pauses_the_ai(
    client: httpx.AsyncClient,
    settings: Settings,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    as_user: AsUser,
    events: EventRecorder,
) -> None:
    await post_webhook(client, settings, SMS, sms_params("Is Thursday ok?"))
    contact_id = (await session.execute(select(Message.contact_id))).scalar_one()
    response = await client.post(
        f"/api/contacts/{contact_id}/messages",
        json={"body": "  Thursday at 9 works!  "},
        headers=as_user(inbox.csr),
    )
    assert response.status_code == 201, response.text
    sent = response.json()
    assert (sent["status"], sent["sender"], sent["kind"], sent["direction"]) == (
        "queued",
        "csr",
        "manual",
        "outbound",
    )
    assert (sent["body"], sent["from_address"], sent["to_address"]) == (
        "Thursday at 9 works!",
        OUR_NUMBER,
        CUSTOMER,
    )
    [job] = await jobs_of(session, "messaging.send")
    assert job.payload == {"tenant_id": str(inbox.tenant.id), "message_id": sent["id"]}
    conversation = await session.get(
        MessagingSession, uuid.UUID(sent["session_id"]), populate_existing=True
    )
    assert conversation is not None
    assert (conversation.ai_paused, conversation.taken_over_by_id) == (True, inbox.csr.id)
    assert conversation.message_count == 2
    assert events.of("session.updated")[-1]["session"]["ai_paused"] is True
    # The AI stays quiet in a session a person took over.
    inbound_id = (
        await session.execute(select(Message.id).where(Message.sender == Sender.customer))
    ).scalar_one()
    assert not await should_auto_reply(session, inbox.tenant.id, conversation.id, inbound_id)


async def test_sender_follows_the_role(
    client: httpx.AsyncClient, inbox: Inbox, factory: Factory, as_user: AsUser
) -> None:
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER)
    admin = await factory.user(inbox.tenant, Role.admin)
    senders = []
    for user in (inbox.manager, admin):
        response = await client.post(
            f"/api/contacts/{contact.id}/messages", json={"body": "hi"}, headers=as_user(user)
        )
        senders.append(response.json()["sender"])
    assert senders == ["manager", "manager"]


async def test_the_body_must_be_1_to_1600_characters(
    client: httpx.AsyncClient, inbox: Inbox, factory: Factory, as_user: AsUser
) -> None:
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER)
    url = f"/api/contacts/{contact.id}/messages"
    for body in ("", "   ", "x" * 1601):
        assert_invalid(
            await client.post(url, json={"body": body}, headers=as_user(inbox.csr)), "body"
        )
    ok = await client.post(url, json={"body": "x" * 1600}, headers=as_user(inbox.csr))
    assert ok.status_code == 201


async def test_another_tenants_ids_are_404(
    client: httpx.AsyncClient,
    settings: Settings,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    as_user: AsUser,
) -> None:
    await post_webhook(client, settings, SMS, sms_params())
    conversation = (await session.execute(select(MessagingSession))).scalar_one()
    other = await make_inbox(factory, number="+15555550300")
    stranger = other.manager
    headers = as_user(stranger)
    for response in (
        await client.get(f"/api/inbox/sessions/{conversation.id}", headers=headers),
        await client.get(f"/api/inbox/sessions/{conversation.id}/messages", headers=headers),
        await client.post(f"/api/inbox/sessions/{conversation.id}/takeover", headers=headers),
        await client.post(f"/api/inbox/sessions/{conversation.id}/release", headers=headers),
        await client.get(f"/api/contacts/{conversation.contact_id}/messages", headers=headers),
        await client.post(
            f"/api/contacts/{conversation.contact_id}/messages",
            json={"body": "hi"},
            headers=headers,
        ),
    ):
        assert response.status_code == 404, response.text
    listed = await client.get("/api/inbox/sessions", headers=headers)
    assert listed.json()["items"] == []


async def test_the_simulated_sender_walks_the_message_to_delivered(
    client: httpx.AsyncClient,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    db: Database,
    as_user: AsUser,
    simulated: SimulatedSender,
    events: EventRecorder,
    frozen_clock: object,
    resources: Resources,
) -> None:
    clock = frozen_clock
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER)
    response = await client.post(
        f"/api/contacts/{contact.id}/messages",
        json={"body": "On our way"},
        headers=as_user(inbox.csr),
    )
    message_id = response.json()["id"]
    worker = Worker(db, concurrency=1, resources=resources)
    assert await worker.drain() == 1
    message = await session.get(Message, uuid.UUID(message_id), populate_existing=True)
    assert message is not None
    assert message.status == MessageStatus.sending
    assert message.provider_message_id is not None and message.provider_message_id.startswith("SM")

    clock.advance(1)  # type: ignore[attr-defined]
    await worker.drain()
    await session.refresh(message)
    assert message.status == MessageStatus.sent
    clock.advance(1)  # type: ignore[attr-defined]
    await worker.drain()
    await session.refresh(message)
    assert message.status == MessageStatus.delivered
    # The same path as Twilio's callbacks: each step is a kept DeliveryEvent.
    assert await count(session, DeliveryEvent, DeliveryEvent.message_id == message.id) == 2
    statuses = [data["message"]["status"] for data in events.of("message.updated")]
    # `sending` twice: once when the send starts, once with the provider's id.
    assert statuses == ["sending", "sending", "sent", "delivered"]
    assert await count(session, Job, Job.status != JobStatus.done) == 0


async def test_a_rerun_send_job_never_sends_twice(
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    db: Database,
    use_sender_for_test: object,
    resources: Resources,
) -> None:
    sent: list[str] = []

    class Counting(SimulatedSender):
        async def send(self, message):  # type: ignore[no-untyped-def]
            sent.append(message.body)
            return await super().send(message)

    use_sender_for_test(Counting())  # type: ignore[operator]
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER)
    await queue_outbound(
        session,
        tenant=inbox.tenant,
        contact_id=contact.id,
        body="once",
        sender=Sender.system,
        kind=MessageKind.automated,
    )
    await session.flush()
    await Worker(db, concurrency=1, resources=resources).drain()
    [job] = await jobs_of(session, "messaging.send")
    # The job runs again (say the worker died before marking it done): nothing is resent.
    job.status, job.attempts = JobStatus.queued, 1
    await session.flush()
    await Worker(db, concurrency=1, resources=resources).drain()
    assert sent == ["once"]


async def test_queue_outbound_reuses_the_contacts_latest_text_session(
    client: httpx.AsyncClient,
    settings: Settings,
    inbox: Inbox,
    session: AsyncSession,
) -> None:
    await post_webhook(
        client,
        settings,
        SMS,
        sms_params("hola", sender=f"whatsapp:{CUSTOMER}", to=f"whatsapp:{OUR_NUMBER}"),
    )
    conversation = (await session.execute(select(MessagingSession))).scalar_one()
    reply = await queue_outbound(
        session,
        tenant=inbox.tenant,
        contact_id=conversation.contact_id,
        body="¡Hola! ¿En qué te ayudo?",
        sender=Sender.otto,
        kind=MessageKind.automated,
    )
    assert reply.session_id == conversation.id
    assert (reply.channel, reply.to_address, reply.from_address) == (
        Channel.whatsapp,
        f"whatsapp:{CUSTOMER}",
        f"whatsapp:{OUR_NUMBER}",
    )


async def test_a_first_outbound_message_opens_an_sms_session_from_the_tenants_number(
    inbox: Inbox, factory: Factory, session: AsyncSession
) -> None:
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER)
    message = await queue_outbound(
        session,
        tenant=inbox.tenant,
        contact_id=contact.id,
        body="Reminder: inspection tomorrow at 9",
        sender=Sender.system,
        kind=MessageKind.automated,
    )
    conversation = await session.get(MessagingSession, message.session_id)
    assert conversation is not None
    assert (conversation.channel, conversation.our_address, conversation.counterpart_address) == (
        Channel.sms,
        OUR_NUMBER,
        CUSTOMER,
    )


async def test_takeover_and_release(
    client: httpx.AsyncClient,
    settings: Settings,
    inbox: Inbox,
    session: AsyncSession,
    as_user: AsUser,
    events: EventRecorder,
) -> None:
    await post_webhook(client, settings, SMS, sms_params("first"))
    conversation = (await session.execute(select(MessagingSession))).scalar_one()
    url = f"/api/inbox/sessions/{conversation.id}"
    taken = await client.post(f"{url}/takeover", headers=as_user(inbox.csr))
    assert taken.status_code == 200, taken.text
    assert (taken.json()["ai_paused"], taken.json()["taken_over_by_id"]) == (
        True,
        str(inbox.csr.id),
    )
    await post_webhook(client, settings, SMS, sms_params("second"))
    assert len(await jobs_of(session, "ai.auto_reply")) == 1  # only for the first

    released = await client.post(f"{url}/release", headers=as_user(inbox.manager))
    assert (released.json()["ai_paused"], released.json()["taken_over_by_id"]) == (False, None)
    await post_webhook(client, settings, SMS, sms_params("third"))
    assert len(await jobs_of(session, "ai.auto_reply")) == 2
    paused = [data["session"]["ai_paused"] for data in events.of("session.updated")]
    assert paused == [True, True, False, False]  # takeover, second, release, third


async def test_the_inbox_lists_newest_activity_first_with_pages_and_filters(
    client: httpx.AsyncClient,
    settings: Settings,
    inbox: Inbox,
    as_user: AsUser,
    frozen_clock: object,
) -> None:
    numbers = [f"+1312555{n:04d}" for n in range(5)]
    for number in numbers:
        await post_webhook(client, settings, SMS, sms_params(f"from {number}", sender=number))
        frozen_clock.advance(10)  # type: ignore[attr-defined]
    await post_webhook(client, settings, SMS, sms_params("again", sender=numbers[0]))
    headers = as_user(inbox.manager)
    items = await walk_pages(client, "/api/inbox/sessions", headers, limit=2)
    assert [item["counterpart_address"] for item in items] == [
        numbers[0],
        numbers[4],
        numbers[3],
        numbers[2],
        numbers[1],
    ]
    assert items[0]["last_message_preview"] == "again"
    assert items[0]["contact"]["display_name"] == "Unknown contact"
    whatsapp = await client.get(
        "/api/inbox/sessions", params={"channel": "whatsapp"}, headers=headers
    )
    assert whatsapp.json()["items"] == []
    by_contact = await client.get(
        "/api/inbox/sessions", params={"contact_id": items[1]["contact_id"]}, headers=headers
    )
    assert [i["id"] for i in by_contact.json()["items"]] == [items[1]["id"]]


async def test_message_pages_walk_back_and_read_oldest_to_newest(
    client: httpx.AsyncClient,
    settings: Settings,
    inbox: Inbox,
    session: AsyncSession,
    as_user: AsUser,
    frozen_clock: object,
) -> None:
    for n in range(5):
        await post_webhook(client, settings, SMS, sms_params(f"m{n}"))
        frozen_clock.advance(1)  # type: ignore[attr-defined]
    conversation = (await session.execute(select(MessagingSession))).scalar_one()
    headers = as_user(inbox.csr)
    url = f"/api/inbox/sessions/{conversation.id}/messages"
    first = (await client.get(url, params={"limit": 2}, headers=headers)).json()
    assert [m["body"] for m in first["items"]] == ["m3", "m4"]
    second = (
        await client.get(url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers)
    ).json()
    assert [m["body"] for m in second["items"]] == ["m1", "m2"]
    thread = await walk_pages(
        client, f"/api/contacts/{conversation.contact_id}/messages", headers, limit=2
    )
    assert sorted(m["body"] for m in thread) == ["m0", "m1", "m2", "m3", "m4"]


async def test_a_rep_sees_only_sessions_of_their_contacts(
    client: httpx.AsyncClient,
    settings: Settings,
    inbox: Inbox,
    factory: Factory,
    as_user: AsUser,
) -> None:
    mine = await factory.contact(inbox.tenant, phone="+13125550001")
    theirs = await factory.contact(inbox.tenant, phone="+13125550002")
    await factory.lead(inbox.tenant, mine, assigned_rep_id=inbox.rep.id)
    for number in ("+13125550001", "+13125550002"):
        await post_webhook(client, settings, SMS, sms_params("hello", sender=number))
    rep = as_user(inbox.rep)
    listed = (await client.get("/api/inbox/sessions", headers=rep)).json()["items"]
    assert [item["contact_id"] for item in listed] == [str(mine.id)]
    hidden = await client.get(f"/api/contacts/{theirs.id}/messages", headers=rep)
    assert hidden.status_code == 404
    staff = (await client.get("/api/inbox/sessions", headers=as_user(inbox.csr))).json()["items"]
    assert len(staff) == 2
