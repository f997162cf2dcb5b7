"""Inbound messages stored in batches (group commit): a batch must end exactly as its
messages stored one by one would, whatever it mixes, and a batch that loses a race to
another process must still store every message once."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.config import Settings
from switchboard.crm.models import ContactCard, ContactPhone
from switchboard.kit.clock import utcnow
from switchboard.kit.db import Database
from switchboard.kit.jobs import Job
from switchboard.messaging import inbound
from switchboard.messaging.inbound import (
    Delivery,
    InboundIntake,
    InboundOutcome,
    UnknownDestination,
    store_inbound,
)
from switchboard.messaging.models import (
    Channel,
    Direction,
    Message,
    MessagingSession,
    OptOut,
    SessionStatus,
)
from switchboard.messaging.repository import InboundFacts
from switchboard.messaging.routing import InboundRoutes
from switchboard.messaging.schemas import InboundMessage
from switchboard.messaging.service import AUTO_REPLY_JOB
from switchboard.messaging.sessions import touch_session
from switchboard.tasks.models import Task
from switchboard.tenancy.models import ChannelAccount, ChannelKind, Tenant
from tests.factories import Factory

NEW = "+13125550101"  # writes for the first time
KNOWN = "+13125550102"  # has a contact card and an open session
QUITTER = "+13125550103"  # STOP, a question, START, a question
ASKER = "+13125550104"  # HELP


def _message(to: str, sender: str, body: str, sid: str, **extra: Any) -> Delivery:
    channel = Channel.whatsapp if sender.startswith("whatsapp:") else Channel.sms
    return Delivery(InboundMessage(sid, channel, sender, to, body, **extra))


def _script(to: str, prefix: str) -> list[Delivery]:
    """Every kind of message at once. Sids are per tenant (they are unique globally)."""

    def sms(sender: str, body: str, n: int) -> Delivery:
        return _message(to, sender, body, f"{prefix}{n:03d}")

    return [
        sms(NEW, "Hi, I need a quote", 1),
        sms(KNOWN, "hello again", 2),
        sms(QUITTER, "STOP", 3),
        sms(NEW, "for a new roof", 4),
        sms(QUITTER, "are you there?", 5),  # opted out: no auto-reply
        sms(ASKER, "help", 6),
        sms(NEW, "Hi, I need a quote", 1),  # Twilio's retry of the first one
        _message(f"whatsapp:{to}", f"whatsapp:{NEW}", "on WhatsApp too", f"{prefix}007"),
        sms(QUITTER, "start", 8),
        sms(QUITTER, "ok now?", 9),
        sms(KNOWN, "old news", 0),  # stored before the batch: a redelivery
        _message("+15550009999", NEW, "to nobody", f"{prefix}010"),
    ]


async def _company(factory: Factory, number: str) -> Tenant:
    tenant = await factory.tenant(name="Batch Roofing", auto_reply_enabled=True)
    await factory.channel(tenant, number)
    await factory.channel(tenant, f"whatsapp:{number}", ChannelKind.whatsapp)
    return tenant


async def _state(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, Any]:
    """What a tenant's inbox holds, without ids and times (they differ between tenants)."""
    phones = await session.execute(
        select(ContactPhone.number).where(ContactPhone.tenant_id == tenant_id)
    )
    sessions = (
        await session.execute(
            select(MessagingSession)
            .where(MessagingSession.tenant_id == tenant_id)
            .order_by(MessagingSession.counterpart_address, MessagingSession.created_at)
        )
    ).scalars()
    threads = {}
    for conversation in sessions:
        messages = await session.execute(
            select(Message.direction, Message.sender, Message.body, Message.in_reply_to_id)
            .where(Message.session_id == conversation.id)
            .order_by(Message.created_at, Message.id)
        )
        key = f"{conversation.channel}:{conversation.counterpart_address}:{conversation.status}"
        threads[key] = {
            "count": conversation.message_count,
            "title": conversation.title,
            "preview": conversation.last_message_preview,
            "messages": [(d, s, b, r is not None) for d, s, b, r in messages],
        }
    jobs = await session.execute(
        select(Job.payload).where(Job.tenant_id == tenant_id, Job.kind == AUTO_REPLY_JOB)
    )
    replied = [uuid.UUID(payload["message_id"]) for payload in jobs.scalars()]
    replied_to = await session.execute(select(Message.body).where(Message.id.in_(replied)))
    opt_outs = await session.execute(
        select(OptOut.address, OptOut.channel_group).where(OptOut.tenant_id == tenant_id)
    )
    tasks = await session.execute(
        select(func.count()).select_from(Task).where(Task.tenant_id == tenant_id)
    )
    return {
        "phones": sorted(phones.scalars()),
        "threads": threads,
        "auto_replies_for": sorted(replied_to.scalars()),
        "opt_outs": sorted(opt_outs.all()),
        "tasks": tasks.scalar_one(),
    }


def _summary(outcomes: list[InboundOutcome | Exception]) -> list[Any]:
    return [
        type(outcome).__name__
        if isinstance(outcome, Exception)
        else ("duplicate" if outcome.duplicate else "stored", outcome.reply)
        for outcome in outcomes
    ]


async def _prepare(session: AsyncSession, settings: Settings, to: str, prefix: str) -> None:
    """KNOWN has written before, so the batch finds their card and open session."""
    [outcome] = await store_inbound(
        session, settings, [_message(to, KNOWN, "old news", f"{prefix}000")], InboundRoutes()
    )
    assert isinstance(outcome, InboundOutcome) and not outcome.duplicate


async def test_a_batch_ends_as_its_messages_stored_one_by_one(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    batched, single = "+15555550201", "+15555550202"
    tenants = {batched: await _company(factory, batched), single: await _company(factory, single)}
    prefix = f"SM{uuid.uuid4().hex[:20]}"
    for number, tag in ((batched, "b"), (single, "s")):
        await _prepare(session, settings, number, prefix + tag)

    together = await store_inbound(
        session, settings, _script(batched, prefix + "b"), InboundRoutes()
    )
    one_by_one: list[InboundOutcome | Exception] = []
    for delivery in _script(single, prefix + "s"):
        one_by_one += await store_inbound(session, settings, [delivery], InboundRoutes())

    assert _summary(together) == _summary(one_by_one)
    assert isinstance(together[-1], UnknownDestination)
    help_reply = together[5]
    assert isinstance(help_reply, InboundOutcome) and help_reply.reply
    state = await _state(session, tenants[batched].id)
    assert state == await _state(session, tenants[single].id)
    assert state["phones"] == sorted([NEW, KNOWN, QUITTER, ASKER])
    assert state["opt_outs"] == []  # STOP, then START
    assert "are you there?" not in state["auto_replies_for"]
    assert {"for a new roof", "ok now?", "hello again"} <= set(state["auto_replies_for"])
    new_thread = state["threads"][f"sms:{NEW}:open"]
    assert (new_thread["count"], new_thread["title"]) == (2, "Hi, I need a quote")
    assert state["threads"][f"sms:{KNOWN}:open"]["count"] == 2
    assert state["threads"][f"sms:{ASKER}:open"]["messages"][1][3]  # the reply, in reply


async def test_a_batch_closes_a_stale_session_and_counts_what_it_added(
    session: AsyncSession, settings: Settings, factory: Factory, frozen_clock: Any
) -> None:
    number = "+15555550203"
    tenant = await _company(factory, number)
    prefix = f"SM{uuid.uuid4().hex[:20]}"
    await _prepare(session, settings, number, prefix)
    frozen_clock.advance(settings.session_gap_seconds + 1)
    await store_inbound(
        session,
        settings,
        [_message(number, KNOWN, f"back again {n}", f"{prefix}{n}") for n in (1, 2)],
        InboundRoutes(),
    )
    rows = await session.execute(
        select(MessagingSession.status, MessagingSession.message_count)
        .where(MessagingSession.tenant_id == tenant.id)
        .order_by(MessagingSession.created_at)
    )
    assert rows.all() == [(SessionStatus.closed, 1), (SessionStatus.open, 2)]


# --- races between processes (real commits, two databases engines) ---------------------------


@pytest.fixture
async def two_processes(
    settings: Settings, database_url: str
) -> AsyncIterator[tuple[list[Database], str, uuid.UUID]]:
    """Two engines on the test database, as two app processes would have, and a tenant
    made (and removed afterwards) outside any rolled-back transaction."""
    dbs = [Database.from_url(database_url, pool_size=4) for _ in range(2)]
    number = f"+1555{uuid.uuid4().int % 10**7:07d}"
    async with dbs[0].transaction() as session:
        tenant = Tenant(name="Race Co", slug=f"race-{uuid.uuid4().hex[:10]}")
        session.add(tenant)
        await session.flush()
        session.add(ChannelAccount(tenant_id=tenant.id, kind=ChannelKind.sms, address=number))
    try:
        yield dbs, number, tenant.id
    finally:
        async with dbs[0].transaction() as session:
            await session.execute(delete(Tenant).where(Tenant.id == tenant.id))
        for db in dbs:
            await db.dispose()


async def _counts(db: Database, tenant_id: uuid.UUID) -> tuple[int, int, int, int]:
    async with db.transaction() as session:

        async def count(model: Any) -> int:
            stmt = select(func.count()).select_from(model).where(model.tenant_id == tenant_id)
            return int((await session.execute(stmt)).scalar_one())

        counted = await session.execute(
            select(func.coalesce(func.sum(MessagingSession.message_count), 0)).where(
                MessagingSession.tenant_id == tenant_id
            )
        )
        return (
            await count(Message),
            int(counted.scalar_one()),
            await count(ContactCard),
            await count(MessagingSession),
        )


async def test_two_processes_receiving_the_same_burst_store_it_once(
    two_processes: tuple[list[Database], str, uuid.UUID], settings: Settings
) -> None:
    dbs, number, tenant_id = two_processes
    intakes = [InboundIntake(db, settings) for db in dbs]
    senders = [f"+1312555{n:04d}" for n in range(4000, 4010)]
    burst = [
        _message(number, sender, f"hello {n}", f"SM{uuid.uuid4().hex}")
        for n in range(3)
        for sender in senders
    ]
    # Twilio retries: each process receives the whole burst, concurrently.
    results = await asyncio.gather(
        *(intake.receive(delivery) for delivery in burst for intake in intakes)
    )
    stored = [outcome for outcome in results if not outcome.duplicate]
    assert len(stored) == len(burst)
    assert await _counts(dbs[0], tenant_id) == (len(burst), len(burst), 10, 10)


async def test_a_batch_that_loses_a_race_is_stored_again_message_by_message(
    two_processes: tuple[list[Database], str, uuid.UUID],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The facts were read before another process committed one of the batch's messages:
    the insert finds it, the batch rolls back, and each message is stored again alone."""
    dbs, number, tenant_id = two_processes
    first = _message(number, "+13125554100", "sent twice", f"SM{uuid.uuid4().hex}")
    intake = InboundIntake(dbs[0], settings)
    assert not (await intake.receive(first)).duplicate

    real_facts = inbound.inbound_facts
    blind = [True]

    async def facts_blind_once(*args: Any) -> list[InboundFacts | None]:
        found = await real_facts(*args)
        if blind:  # the first read misses the stored copy, as if it were not committed yet
            blind.clear()
            return [facts and dataclasses.replace(facts, duplicate=False) for facts in found]
        return found

    monkeypatch.setattr(inbound, "inbound_facts", facts_blind_once)
    other = _message(number, "+13125554101", "an innocent bystander", f"SM{uuid.uuid4().hex}")
    outcomes = await asyncio.gather(intake.receive(first), intake.receive(other))
    assert [outcome.duplicate for outcome in outcomes] == [True, False]
    assert await _counts(dbs[0], tenant_id) == (2, 2, 2, 2)


async def test_one_batch_files_each_message_under_its_own_company(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    first, second = "+15555550204", "+15555550205"
    companies = {first: await _company(factory, first), second: await _company(factory, second)}
    prefix = f"SM{uuid.uuid4().hex[:20]}"
    batch = [
        _message(to, NEW, f"hello {to}", f"{prefix}{n}") for n, to in enumerate([first, second])
    ]
    outcomes = await store_inbound(session, settings, batch, InboundRoutes())
    assert all(isinstance(outcome, InboundOutcome) for outcome in outcomes)
    for to, tenant in companies.items():
        state = await _state(session, tenant.id)
        assert state["phones"] == [NEW]  # a card in each company for the same number
        assert [m[2] for m in state["threads"][f"sms:{NEW}:open"]["messages"]] == [f"hello {to}"]


async def test_two_processes_appending_to_the_same_conversations_count_every_message(
    two_processes: tuple[list[Database], str, uuid.UUID],
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Both processes' batches append to the same sessions, in opposite orders: every
    message is counted in its session, and no batch fails (a deadlock would fail one)."""
    dbs, number, tenant_id = two_processes
    intakes = [InboundIntake(db, settings) for db in dbs]
    senders = [f"+1312555{n:04d}" for n in range(4100, 4108)]
    for sender in senders:  # each conversation is ongoing before the race
        await intakes[0].receive(_message(number, sender, "hi", f"SM{uuid.uuid4().hex}"))
    caplog.set_level("WARNING", logger="switchboard.kit.groupcommit")
    bursts = [
        [
            _message(number, sender, f"more {n}", f"SM{uuid.uuid4().hex}")
            for n in range(4)
            for sender in (senders if side == 0 else senders[::-1])
        ]
        for side in range(2)
    ]
    results = await asyncio.gather(
        *(intakes[side].receive(delivery) for side in range(2) for delivery in bursts[side])
    )
    assert not any(outcome.duplicate for outcome in results)
    total = len(senders) * (1 + 2 * 4)
    assert await _counts(dbs[0], tenant_id) == (total, total, len(senders), len(senders))
    assert not [r for r in caplog.records if "failed" in r.getMessage()]


async def test_a_staff_message_and_an_inbound_batch_both_count_in_the_session(
    two_processes: tuple[list[Database], str, uuid.UUID], settings: Settings, backend: str
) -> None:
    """A staff send loads the session, an inbound batch counts a message in it and commits,
    then the staff send counts its own: both count. (SQLite runs one transaction at a time,
    so it cannot interleave them.)"""
    if backend == "sqlite":
        pytest.skip("SQLite transactions cannot interleave")
    dbs, number, tenant_id = two_processes
    intake = InboundIntake(dbs[0], settings)
    sender = "+13125554200"
    await intake.receive(_message(number, sender, "hi", f"SM{uuid.uuid4().hex}"))
    async with dbs[1].transaction() as session:
        conversation = (
            await session.execute(
                select(MessagingSession).where(MessagingSession.tenant_id == tenant_id)
            )
        ).scalar_one()
        assert conversation.message_count == 1
        await intake.receive(_message(number, sender, "again", f"SM{uuid.uuid4().hex}"))
        staff_message = SimpleNamespace(body="On our way", media=[], direction=Direction.outbound)
        await touch_session(session, conversation, staff_message, utcnow())  # type: ignore[arg-type]
    async with dbs[0].transaction() as session:
        counted = await session.scalar(
            select(MessagingSession.message_count).where(MessagingSession.tenant_id == tenant_id)
        )
    assert counted == 3
