"""0003_inbox goes down and up again on both databases without losing a message or a
delivery event (a batch rebuild of `messages` on SQLite would cascade-delete its children)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from switchboard.crm.models import ContactCard
from switchboard.kit import migrate
from switchboard.kit.clock import utcnow
from switchboard.kit.db import Database
from switchboard.messaging.models import DeliveryEvent, Message, MessagingSession
from switchboard.tenancy.models import Tenant

PG_ADMIN_URL = os.environ.get(
    "SWITCHBOARD_TEST_PG_ADMIN_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(params=["sqlite", "postgres"])
async def empty_url(request: pytest.FixtureRequest, tmp_path: object) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/m.db"
        return
    import asyncpg

    name = f"switchboard_m3_{uuid.uuid4().hex[:8]}"
    dsn = PG_ADMIN_URL.replace("postgresql+asyncpg", "postgresql")
    try:
        admin = await asyncpg.connect(dsn, timeout=5)
    except (OSError, TimeoutError) as exc:
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


async def test_0003_round_trips_and_keeps_the_rows(empty_url: str) -> None:
    await asyncio.to_thread(migrate.upgrade, empty_url)
    db = Database.from_url(empty_url)
    now = utcnow()
    try:
        async with db.transaction() as session:
            tenant = Tenant(name="M", slug=f"m-{uuid.uuid4().hex[:8]}")
            session.add(tenant)
            await session.flush()
            contact = ContactCard(tenant_id=tenant.id, first_name="A")
            session.add(contact)
            await session.flush()
            conversation = MessagingSession(
                tenant_id=tenant.id,
                contact_id=contact.id,
                channel="sms",
                counterpart_address="+13125550100",
                first_message_at=now,
                last_message_at=now,
                last_message_preview="hi",
            )
            session.add(conversation)
            await session.flush()
            message = Message(
                tenant_id=tenant.id,
                session_id=conversation.id,
                contact_id=contact.id,
                direction="outbound",
                sender="csr",
                channel="sms",
                body="hi",
                status="sent",
                provider_message_id="SM1",
                call_id=uuid.uuid4(),
            )
            session.add(message)
            await session.flush()
            session.add(
                DeliveryEvent(
                    tenant_id=tenant.id,
                    message_id=message.id,
                    provider_message_id="SM1",
                    status="sent",
                )
            )
        await db.dispose()

        await asyncio.to_thread(migrate.downgrade, empty_url, "0002_assistant")
        db = Database.from_url(empty_url)
        async with db.transaction() as session:
            for table in ("messaging_sessions", "messages", "delivery_events"):
                count = (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar()
                assert count == 1, table
        await db.dispose()

        await asyncio.to_thread(migrate.upgrade, empty_url)
        db = Database.from_url(empty_url)
        async with db.transaction() as session:
            back = await session.get(Message, message.id)
            assert back is not None and back.call_id is None and back.body == "hi"
    finally:
        await db.dispose()
