"""Inbound SMS and WhatsApp webhooks: the signature, routing, contacts, sessions, duplicates,
media, and the auto-reply hook."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from twilio.request_validator import RequestValidator

from switchboard.config import Settings
from switchboard.crm.models import ContactCard, ContactPhone
from switchboard.kit.jobs import Job
from switchboard.messaging.models import (
    Channel,
    Direction,
    Message,
    MessageStatus,
    MessagingSession,
    Sender,
    SessionStatus,
)
from switchboard.tasks.models import Task, TaskSource
from tests.factories import Factory
from tests.kit.test_query_counts import count_statements
from tests.messaging.support import (
    CUSTOMER,
    OUR_NUMBER,
    EventRecorder,
    Inbox,
    count,
    jobs_of,
    post_webhook,
    sign,
    sms_params,
)

SMS = "/webhooks/twilio/sms"


async def messages_of(session: AsyncSession, tenant_id: uuid.UUID) -> list[Message]:
    rows = await session.execute(
        select(Message).where(Message.tenant_id == tenant_id).order_by(Message.created_at)
    )
    return list(rows.scalars())


# --- the signature ---------------------------------------------------------------------------


async def test_a_signed_message_is_stored_and_answered_with_twiml(
    client: httpx.AsyncClient, settings: Settings, inbox: Inbox, session: AsyncSession
) -> None:
    response = await post_webhook(client, settings, SMS, sms_params("Hello there"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    assert "<Response" in response.text and "<Message>" not in response.text
    [message] = await messages_of(session, inbox.tenant.id)
    assert (message.direction, message.sender, message.status) == (
        Direction.inbound,
        Sender.customer,
        MessageStatus.received,
    )
    assert (message.body, message.channel) == ("Hello there", Channel.sms)
    assert (message.from_address, message.to_address) == (CUSTOMER, OUR_NUMBER)


async def test_bad_missing_or_stale_signatures_are_refused_and_write_nothing(
    client: httpx.AsyncClient, settings: Settings, inbox: Inbox, session: AsyncSession
) -> None:
    params = sms_params("let me in")
    good = sign(settings, SMS, params)
    tampered = {**params, "Body": "something else"}
    attempts = [
        await post_webhook(client, settings, SMS, params, signature=""),
        await post_webhook(client, settings, SMS, params, signature="bm90IGEgc2lnbmF0dXJl"),
        await post_webhook(client, settings, SMS, tampered, signature=good),
        # Signed with another token.
        await post_webhook(
            client, settings.model_copy(update={"twilio_auth_token": "other"}), SMS, params
        ),
    ]
    assert [r.status_code for r in attempts] == [403, 403, 403, 403]
    assert await count(session, Message) == 0
    assert await count(session, ContactCard, ContactCard.tenant_id == inbox.tenant.id) == 0


async def test_every_posted_parameter_is_signed_even_unknown_ones(
    client: httpx.AsyncClient, settings: Settings, inbox: Inbox
) -> None:
    params = sms_params("hi", SomethingTwilioAddsNextYear="42")
    signed_without_it = sign(
        settings, SMS, {k: v for k, v in params.items() if k != "SomethingTwilioAddsNextYear"}
    )
    refused = await post_webhook(client, settings, SMS, params, signature=signed_without_it)
    assert refused.status_code == 403
    accepted = await post_webhook(client, settings, SMS, params)
    assert accepted.status_code == 200


async def test_the_public_url_decides_not_the_host_header(
    client: httpx.AsyncClient, settings: Settings, inbox: Inbox
) -> None:
    # Behind a proxy the request reaches us as http://internal:8000; Twilio signed the
    # public https URL, query string included.
    params = sms_params("via the proxy")
    response = await post_webhook(
        client,
        settings,
        SMS,
        params,
        query="source=ngrok",
        headers={"Host": "internal:8000", "X-Forwarded-Proto": "http"},
    )
    assert response.status_code == 200, response.text
    signed_for_host = RequestValidator(settings.twilio_auth_token).compute_signature(
        "http://internal:8000/webhooks/twilio/sms", params
    )
    refused = await post_webhook(client, settings, SMS, sms_params("x"), signature=signed_for_host)
    assert refused.status_code == 403


# --- routing ---------------------------------------------------------------------------------


async def test_an_unknown_destination_gets_a_404_twilio_can_show(
    client: httpx.AsyncClient, settings: Settings, inbox: Inbox, session: AsyncSession
) -> None:
    response = await post_webhook(client, settings, SMS, sms_params(to="+15555559999"))
    assert response.status_code == 404
    assert "+15555559999" in response.text
    assert await count(session, Message) == 0


async def test_routes_by_messaging_service_when_the_number_is_not_ours(
    client: httpx.AsyncClient,
    settings: Settings,
    factory: Factory,
    session: AsyncSession,
) -> None:
    tenant = await factory.tenant()
    await factory.channel(tenant, "+15555550777", messaging_service_sid="MG" + "a" * 32)
    params = sms_params(to="+15555550888", MessagingServiceSid="MG" + "a" * 32)
    response = await post_webhook(client, settings, SMS, params)
    assert response.status_code == 200, response.text
    assert len(await messages_of(session, tenant.id)) == 1


async def test_each_tenant_gets_only_its_own_numbers_messages(
    client: httpx.AsyncClient,
    settings: Settings,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
) -> None:
    other = await factory.tenant()
    await factory.channel(other, "+15555550200")
    await post_webhook(client, settings, SMS, sms_params("to A"))
    await post_webhook(client, settings, SMS, sms_params("to B", to="+15555550200"))
    assert [m.body for m in await messages_of(session, inbox.tenant.id)] == ["to A"]
    assert [m.body for m in await messages_of(session, other.id)] == ["to B"]
    # The same customer is a separate contact in each company.
    assert await count(session, ContactPhone, ContactPhone.number == CUSTOMER) == 2


# --- contacts --------------------------------------------------------------------------------


async def test_a_known_number_lands_on_its_contact(
    client: httpx.AsyncClient,
    settings: Settings,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
) -> None:
    contact = await factory.contact(inbox.tenant, phone=CUSTOMER)
    await post_webhook(client, settings, SMS, sms_params())
    [message] = await messages_of(session, inbox.tenant.id)
    assert message.contact_id == contact.id
    assert await count(session, ContactCard, ContactCard.tenant_id == inbox.tenant.id) == 1


async def test_a_new_whatsapp_number_gets_a_card_named_by_its_profile(
    client: httpx.AsyncClient, settings: Settings, inbox: Inbox, session: AsyncSession
) -> None:
    params = sms_params(
        "Hola",
        sender=f"whatsapp:{CUSTOMER}",
        to=f"whatsapp:{OUR_NUMBER}",
        ProfileName="Maria Elena Ruiz",
        WaId=CUSTOMER.lstrip("+"),
    )
    response = await client.post(
        "/webhooks/twilio/whatsapp",
        data=params,
        headers={"X-Twilio-Signature": sign(settings, "/webhooks/twilio/whatsapp", params)},
    )
    assert response.status_code == 200, response.text
    [message] = await messages_of(session, inbox.tenant.id)
    assert message.channel == Channel.whatsapp
    contact = await session.get(ContactCard, message.contact_id)
    assert contact is not None
    assert (contact.first_name, contact.last_name, contact.lead_source) == (
        "Maria",
        "Elena Ruiz",
        "WhatsApp",
    )
    # Found by the bare E.164 number, stored without the whatsapp: prefix.
    phone = (
        await session.execute(select(ContactPhone).where(ContactPhone.contact_id == contact.id))
    ).scalar_one()
    assert phone.number == CUSTOMER
    conversation = await session.get(MessagingSession, message.session_id)
    assert conversation is not None
    assert conversation.counterpart_address == f"whatsapp:{CUSTOMER}"


# --- sessions --------------------------------------------------------------------------------


async def test_sessions_follow_the_tenants_gap(
    client: httpx.AsyncClient,
    settings: Settings,
    inbox: Inbox,
    session: AsyncSession,
    frozen_clock: object,
) -> None:
    clock = frozen_clock  # type: ignore[assignment]
    await post_webhook(client, settings, SMS, sms_params("one"))
    clock.advance(299)  # type: ignore[attr-defined]
    await post_webhook(client, settings, SMS, sms_params("two: same session"))
    clock.advance(300)  # type: ignore[attr-defined]
    await post_webhook(client, settings, SMS, sms_params("three: silent for the whole gap"))
    inbox.tenant.session_gap_seconds = 3600
    await session.flush()
    clock.advance(1800)  # type: ignore[attr-defined]
    await post_webhook(client, settings, SMS, sms_params("four: the tenant's longer gap"))
    messages = await messages_of(session, inbox.tenant.id)
    assert [m.body[:4] for m in messages] == ["one", "two:", "thre", "four"]
    first, second = messages[0].session_id, messages[2].session_id
    assert [m.session_id for m in messages] == [first, first, second, second]
    old = await session.get(MessagingSession, first, populate_existing=True)
    new = await session.get(MessagingSession, second, populate_existing=True)
    assert old is not None and new is not None
    assert (old.status, old.message_count) == (SessionStatus.closed, 2)
    assert (new.status, new.message_count) == (SessionStatus.open, 2)
    assert new.last_message_preview == "four: the tenant's longer gap"
    assert new.last_inbound_at == clock.now  # type: ignore[attr-defined]


async def test_sms_and_whatsapp_from_one_person_are_separate_sessions_of_one_contact(
    client: httpx.AsyncClient, settings: Settings, inbox: Inbox, session: AsyncSession
) -> None:
    await post_webhook(client, settings, SMS, sms_params("sms"))
    await post_webhook(
        client,
        settings,
        SMS,
        sms_params("wa", sender=f"whatsapp:{CUSTOMER}", to=f"whatsapp:{OUR_NUMBER}"),
    )
    sms, wa = await messages_of(session, inbox.tenant.id)
    assert sms.session_id != wa.session_id
    assert sms.contact_id == wa.contact_id


# --- the payload -----------------------------------------------------------------------------


async def test_the_same_message_sid_twice_is_stored_once(
    client: httpx.AsyncClient, settings: Settings, inbox: Inbox, session: AsyncSession
) -> None:
    params = sms_params("only once")
    first = await post_webhook(client, settings, SMS, params)
    again = await post_webhook(client, settings, SMS, params)
    assert (first.status_code, again.status_code) == (200, 200)
    assert len(await messages_of(session, inbox.tenant.id)) == 1
    assert len(await jobs_of(session, "ai.auto_reply")) == 1


async def test_every_media_pair_is_kept_in_order(
    client: httpx.AsyncClient, settings: Settings, inbox: Inbox, session: AsyncSession
) -> None:
    media = {
        "NumMedia": "12",
        **{f"MediaUrl{i}": f"https://api.twilio.com/media/ME{i:02d}" for i in range(12)},
        **{f"MediaContentType{i}": "image/jpeg" for i in range(12)},
    }
    media["MediaContentType10"] = "video/mp4"
    await post_webhook(client, settings, SMS, sms_params("", **media))
    [message] = await messages_of(session, inbox.tenant.id)
    assert [item["url"][-4:] for item in message.media] == [f"ME{i:02d}" for i in range(12)]
    assert message.media[10]["content_type"] == "video/mp4"
    conversation = await session.get(MessagingSession, message.session_id)
    assert conversation is not None and conversation.last_message_preview == "[12 attachments]"


async def test_nul_bytes_are_stripped_a_full_body_kept_and_a_longer_one_refused(
    client: httpx.AsyncClient, settings: Settings, inbox: Inbox, session: AsyncSession
) -> None:
    long_body = "x" * 1600
    await post_webhook(client, settings, SMS, sms_params("a\x00b\x00c"))
    await post_webhook(client, settings, SMS, sms_params(long_body))
    refused = await post_webhook(client, settings, SMS, sms_params("y" * 1601))
    assert refused.status_code == 400, refused.text
    assert refused.json()["field"] == "Body"
    bodies = [m.body for m in await messages_of(session, inbox.tenant.id)]
    assert bodies == ["abc", long_body]  # never cut to fit


async def test_a_webhook_without_a_message_sid_is_a_400(
    client: httpx.AsyncClient, settings: Settings, inbox: Inbox
) -> None:
    params = {k: v for k, v in sms_params().items() if "Sid" not in k or k == "AccountSid"}
    assert (await post_webhook(client, settings, SMS, params)).status_code == 400


# --- the auto-reply hook ---------------------------------------------------------------------


async def test_an_inbound_message_enqueues_a_debounced_auto_reply(
    client: httpx.AsyncClient,
    settings: Settings,
    inbox: Inbox,
    session: AsyncSession,
    frozen_clock: object,
) -> None:
    await post_webhook(client, settings, SMS, sms_params("When do you open?"))
    [message] = await messages_of(session, inbox.tenant.id)
    [job] = await jobs_of(session, "ai.auto_reply")
    assert job.payload == {
        "tenant_id": str(inbox.tenant.id),
        "session_id": str(message.session_id),
        "message_id": str(message.id),
    }
    assert job.tenant_id == inbox.tenant.id
    debounce = settings.auto_reply_debounce_seconds
    assert (job.run_after - frozen_clock.now).total_seconds() == debounce  # type: ignore[attr-defined]


async def test_no_auto_reply_when_taken_over_or_switched_off(
    client: httpx.AsyncClient, settings: Settings, inbox: Inbox, session: AsyncSession
) -> None:
    await post_webhook(client, settings, SMS, sms_params("first"))
    [conversation] = (await session.execute(select(MessagingSession))).scalars().all()
    conversation.ai_paused = True
    await session.flush()
    await post_webhook(client, settings, SMS, sms_params("second, while a CSR has it"))
    assert len(await jobs_of(session, "ai.auto_reply")) == 1

    conversation.ai_paused = False
    inbox.tenant.auto_reply_enabled = False
    await session.flush()
    await post_webhook(client, settings, SMS, sms_params("third, auto-reply off"))
    assert len(await jobs_of(session, "ai.auto_reply")) == 1


async def test_with_auto_reply_off_a_new_session_becomes_a_csr_task(
    client: httpx.AsyncClient,
    settings: Settings,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
    events: EventRecorder,
) -> None:
    inbox.tenant.auto_reply_enabled = False
    contact = await factory.contact(
        inbox.tenant, phone=CUSTOMER, first_name="Dana", last_name="Lee"
    )
    await post_webhook(client, settings, SMS, sms_params("Can someone call me?"))
    await post_webhook(client, settings, SMS, sms_params("Same session: no second task"))
    [task] = (
        (await session.execute(select(Task).where(Task.tenant_id == inbox.tenant.id)))
        .scalars()
        .all()
    )
    assert task.title == "Reply to Dana Lee (sms)"
    assert (task.source, task.contact_id, task.created_by_id) == (
        TaskSource.system,
        contact.id,
        None,
    )
    assert len(events.of("task.created")) == 1
    assert await count(session, Job, Job.kind == "ai.auto_reply") == 0


async def test_inbound_messages_announce_the_session_and_message(
    client: httpx.AsyncClient, settings: Settings, inbox: Inbox, events: EventRecorder
) -> None:
    await post_webhook(client, settings, SMS, sms_params("one"))
    await post_webhook(client, settings, SMS, sms_params("two"))
    assert [e.type for e in events.events] == [
        "message.created",
        "session.created",
        "message.created",
        "session.updated",
    ]
    created = events.of("message.created")[1]["message"]
    assert created["body"] == "two" and created["direction"] == "inbound"
    assert events.of("session.updated")[0]["session"]["message_count"] == 2
    assert all(e.tenant_id == inbox.tenant.id for e in events.events)


async def test_a_message_in_an_ongoing_session_takes_a_fixed_number_of_statements(
    client: httpx.AsyncClient,
    settings: Settings,
    inbox: Inbox,
    engine: AsyncEngine,
    backend: str,
) -> None:
    await post_webhook(client, settings, SMS, sms_params("first: creates the contact"))
    with count_statements(engine) as statements:
        response = await post_webhook(client, settings, SMS, sms_params("second"))
    assert response.status_code == 200
    # The route is cached since the first message. PostgreSQL: the advisory lock, one read
    # of tenant/duplicate/contact/opt-out/session, then the session update, the message and
    # the job as one statement. SQLite: the read, then one statement for each write.
    expected = 3 if backend == "postgres" else 4
    assert len(statements) == expected, "\n".join(s.split("\n")[0] for s in statements)
