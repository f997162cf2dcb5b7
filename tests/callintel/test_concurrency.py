"""Two analyses of one call at once, with real commits on both databases: they take turns
at the write (the call is locked), so there is one analysis and one task per next step.
This test uses its own Database on the test database and deletes what it made."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy import delete, func, select

from switchboard.ai.analysis import AnalysisAnswer, AnalysisRequest
from switchboard.ai.analysis.builtin import BuiltinAnalyser
from switchboard.ai.analysis.jobs import analyse
from switchboard.callintel.schemas import SourceKind
from switchboard.callintel.service import store_call_transcript
from switchboard.crm.models import Call, CallAnalysis, CallDirection, ContactCard
from switchboard.kit.db import Database
from switchboard.tasks.models import Task
from switchboard.tenancy.models import Tenant
from tests.callintel.transcripts import CALL_AT, COMPLAINT


class SlowAnalyser(BuiltinAnalyser):
    """Thinks long enough for the other analysis to read the same transcript meanwhile."""

    def __init__(self, both_reading: asyncio.Barrier) -> None:
        self.both_reading = both_reading

    async def analyse(self, request: AnalysisRequest) -> AnalysisAnswer:
        await self.both_reading.wait()
        await asyncio.sleep(0.05)
        return await super().analyse(request)


@pytest.fixture
async def live_db(database_url: str) -> AsyncIterator[tuple[Database, uuid.UUID, uuid.UUID]]:
    db = Database.from_url(database_url, pool_size=5)
    async with db.transaction() as session:
        tenant = Tenant(name="Race Roofing", slug=f"race-{uuid.uuid4().hex[:10]}")
        session.add(tenant)
        await session.flush()
        contact = ContactCard(tenant_id=tenant.id, first_name="Sam", last_name="Lee")
        session.add(contact)
        await session.flush()
        call = Call(
            tenant_id=tenant.id,
            contact_id=contact.id,
            direction=CallDirection.inbound,
            started_at=datetime.fromisoformat(CALL_AT),
        )
        session.add(call)
        await session.flush()
        await store_call_transcript(
            session, call, "", COMPLAINT.segment_dicts(), "en", analyse=False
        )
    try:
        yield db, tenant.id, call.id
    finally:
        async with db.transaction() as session:
            await session.execute(delete(Tenant).where(Tenant.id == tenant.id))
        await db.dispose()


async def test_two_analyses_of_one_call_at_once_make_each_task_once(
    live_db: tuple[Database, uuid.UUID, uuid.UUID],
) -> None:
    db, tenant_id, call_id = live_db
    both_reading = asyncio.Barrier(2)

    async def one() -> None:
        async with db.transaction() as session:
            await analyse(session, tenant_id, SourceKind.call, call_id, SlowAnalyser(both_reading))

    for _ in range(2):  # and once more: a re-analysis changes nothing
        await asyncio.gather(one(), one())
        async with db.transaction() as session:
            tasks = (
                await session.execute(select(Task.title).where(Task.tenant_id == tenant_id))
            ).all()
            analyses = await session.execute(
                select(func.count())
                .select_from(CallAnalysis)
                .where(CallAnalysis.tenant_id == tenant_id)
            )
            assert analyses.scalar_one() == 1
            assert len(tasks) == len(COMPLAINT.steps) == 1, tasks
