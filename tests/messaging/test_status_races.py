"""Status callbacks that arrive together at two app processes (two engines, so two
connections): the status only ever moves forward, for messages and for calls, and every
callback is kept. On PostgreSQL a plain read-then-write let the second writer put back
what it had read (`sent` over `delivered`). These tests commit for real and delete what
they made."""

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
from switchboard.crm.models import Call, CallDirection, CallProvider
from switchboard.kit.clock import utcnow
from switchboard.kit.db import Database
from switchboard.messaging.models import DeliveryEvent, Direction, Message, MessageStatus
from switchboard.tenancy.models import Tenant
from tests.factories import Factory, text_message
from tests.messaging.support import post_webhook

ROUNDS = 30
STATUS = "/webhooks/twilio/status"
CALL_STATUS = "/webhooks/twilio/voice/status"


@dataclass
class TwoProcesses:
    dbs: list[Database]
    clients: list[httpx.AsyncClient]
    tenant_id: uuid.UUID


@pytest.fixture
async def two(settings: Settings, database_url: str) -> AsyncIterator[TwoProcesses]:
    dbs = [Database.from_url(database_url, pool_size=ROUNDS) for _ in range(2)]
    clients = [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(settings, db=db)), base_url="http://test"
        )
        for db in dbs
    ]
    async with dbs[0].transaction() as session:
        tenant = await Factory(session, settings).tenant(missed_call_text_enabled=False)
    try:
        yield TwoProcesses(dbs, clients, tenant.id)
    finally:
        async with dbs[0].transaction() as session:
            await session.execute(delete(Tenant).where(Tenant.id == tenant.id))
        for client in clients:
            await client.aclose()
        for db in dbs:
            await db.dispose()


async def _at_once(
    two: TwoProcesses,
    settings: Settings,
    path: str,
    sids: list[str],
    fields: tuple[str, str],
    words: tuple[str, str],
) -> None:
    """Each record's two reports (`fields`: its id's and its status's names) at once, one
    to each process; half of them the other way round, so the order the event loop starts
    them in decides nothing. Every connection is opened first: connecting would space the
    requests out."""
    await asyncio.gather(*(_connect(db) for db in two.dbs for _ in sids))
    id_field, status_field = fields
    responses = await asyncio.gather(
        *(
            post_webhook(two.clients[side], settings, path, {id_field: sid, status_field: word})
            for index, sid in enumerate(sids)
            for side, word in enumerate(words[:: 1 if index % 2 else -1])
        )
    )
    assert {response.status_code for response in responses} == {200}


async def _connect(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(select(1))
        await asyncio.sleep(0.05)  # hold it while the others connect


async def _kept(db: Database, sids: list[str]) -> int:
    async with db.transaction() as session:
        stmt = select(func.count()).where(DeliveryEvent.provider_message_id.in_(sids))
        return int(await session.scalar(stmt) or 0)


async def test_sent_and_delivered_at_once_end_delivered(
    two: TwoProcesses, settings: Settings
) -> None:
    sids = [f"SM{uuid.uuid4().hex}" for _ in range(ROUNDS)]
    async with two.dbs[0].transaction() as session:
        factory = Factory(session, settings)
        tenant = await session.get(Tenant, two.tenant_id)
        assert tenant is not None
        for sid in sids:
            contact = await factory.contact(tenant)
            message = await text_message(
                session, tenant, contact, Direction.outbound, "Hi", utcnow()
            )
            message.provider_message_id, message.status = sid, MessageStatus.sending
    fields = ("MessageSid", "MessageStatus")
    await _at_once(two, settings, STATUS, sids, fields, ("sent", "delivered"))
    async with two.dbs[0].transaction() as session:
        stmt = select(Message.status).where(Message.provider_message_id.in_(sids))
        statuses = list((await session.execute(stmt)).scalars())
    lost = ROUNDS - statuses.count(MessageStatus.delivered)
    assert lost == 0, f"{lost} of {ROUNDS} messages went back from delivered"
    assert await _kept(two.dbs[0], sids) == 2 * ROUNDS


async def test_in_progress_and_completed_at_once_end_completed(
    two: TwoProcesses, settings: Settings
) -> None:
    sids = [f"CA{uuid.uuid4().hex}" for _ in range(ROUNDS)]
    async with two.dbs[0].transaction() as session:
        for sid in sids:
            session.add(
                Call(
                    tenant_id=two.tenant_id,
                    direction=CallDirection.inbound,
                    started_at=utcnow(),
                    provider=CallProvider.twilio,
                    provider_call_id=sid,
                    provider_status="ringing",
                )
            )
    fields = ("CallSid", "CallStatus")
    await _at_once(two, settings, CALL_STATUS, sids, fields, ("in-progress", "completed"))
    async with two.dbs[0].transaction() as session:
        stmt = select(Call.provider_status).where(Call.provider_call_id.in_(sids))
        statuses = list((await session.execute(stmt)).scalars())
    lost = ROUNDS - statuses.count("completed")
    assert lost == 0, f"{lost} of {ROUNDS} calls went back from completed"
    assert await _kept(two.dbs[0], sids) == 2 * ROUNDS
