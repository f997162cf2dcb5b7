"""Races that only real commits show, on both databases: Twilio delivering one message 20
times at once, and two first messages from a new number arriving together. These tests use
their own Database on the test database (not the rolled-back `db`) and delete what they made."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import delete, func, select

from switchboard.app import create_app
from switchboard.config import Settings
from switchboard.crm.models import ContactCard, ContactPhone
from switchboard.kit.db import Database
from switchboard.kit.jobs import Job
from switchboard.messaging.models import Message, MessagingSession
from switchboard.tenancy.models import ChannelAccount, ChannelKind, Tenant
from tests.messaging.support import SIGNATURE, sign, sms_params

SMS = "/webhooks/twilio/sms"


@dataclass
class Live:
    db: Database
    client: httpx.AsyncClient
    tenant_id: uuid.UUID
    number: str


@pytest.fixture
async def live(settings: Settings, database_url: str) -> AsyncIterator[Live]:
    db = Database.from_url(database_url, pool_size=15)
    number = f"+1555{uuid.uuid4().int % 10**7:07d}"
    async with db.transaction() as session:
        tenant = Tenant(name="Race Co", slug=f"race-{uuid.uuid4().hex[:10]}")
        session.add(tenant)
        await session.flush()
        session.add(ChannelAccount(tenant_id=tenant.id, kind=ChannelKind.sms, address=number))
    app = create_app(settings, db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        try:
            yield Live(db, client, tenant.id, number)
        finally:
            async with db.transaction() as session:
                await session.execute(delete(Tenant).where(Tenant.id == tenant.id))
            await db.dispose()


async def _count(live: Live, model: type, *where: object) -> int:
    async with live.db.transaction() as session:
        stmt = select(func.count()).select_from(model).where(model.tenant_id == live.tenant_id)  # type: ignore[attr-defined]
        for condition in where:
            stmt = stmt.where(condition)  # type: ignore[arg-type]
        return int((await session.execute(stmt)).scalar_one())


def _post(live: Live, settings: Settings, params: dict[str, str]) -> asyncio.Task[httpx.Response]:
    headers = {SIGNATURE: sign(settings, SMS, params)}
    return asyncio.ensure_future(live.client.post(SMS, data=params, headers=headers))


async def test_twenty_copies_of_one_message_at_once_are_stored_once(
    live: Live, settings: Settings
) -> None:
    params = sms_params("Is anyone there?", sender="+13125550177", to=live.number)
    responses = await asyncio.gather(*(_post(live, settings, params) for _ in range(20)))
    assert [r.status_code for r in responses] == [200] * 20, [r.text for r in responses]
    assert await _count(live, Message) == 1
    assert await _count(live, MessagingSession) == 1
    assert await _count(live, ContactCard) == 1
    assert await _count(live, Job, Job.kind == "ai.auto_reply") == 1


async def test_two_first_messages_at_once_make_one_contact_and_one_session(
    live: Live, settings: Settings
) -> None:
    sender = "+13125550188"
    first = sms_params("Hi, I need a quote", sender=sender, to=live.number)
    second = sms_params("for a new roof", sender=sender, to=live.number)
    for _ in range(3):  # a few rounds with fresh numbers make the race likely, not lucky
        responses = await asyncio.gather(
            _post(live, settings, first), _post(live, settings, second)
        )
        assert [r.status_code for r in responses] == [200, 200]
    assert await _count(live, ContactCard) == 1
    assert await _count(live, ContactPhone, ContactPhone.number == sender) == 1
    assert await _count(live, MessagingSession) == 1
    async with live.db.transaction() as session:
        counts = (
            await session.execute(
                select(MessagingSession.message_count).where(
                    MessagingSession.tenant_id == live.tenant_id
                )
            )
        ).scalar_one()
    assert counts == 2 == await _count(live, Message)


async def test_first_messages_from_many_new_numbers_at_once(live: Live, settings: Settings) -> None:
    senders = [f"+1312555{n:04d}" for n in range(3000, 3012)]
    batch = [
        _post(live, settings, sms_params(f"hello {i}", sender=sender, to=live.number))
        for sender in senders
        for i in range(2)
    ]
    responses = await asyncio.gather(*batch)
    assert {r.status_code for r in responses} == {200}
    assert await _count(live, ContactCard) == len(senders)
    assert await _count(live, MessagingSession) == len(senders)
    assert await _count(live, Message) == 2 * len(senders)
