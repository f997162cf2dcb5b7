"""UTC datetimes read back aware and equal on both databases; naive ones are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.tasks.models import Task
from tests.factories import Factory


async def test_aware_datetimes_round_trip_in_utc(session: AsyncSession, factory: Factory) -> None:
    tenant = await factory.tenant()
    due = datetime(2026, 11, 21, 9, 30, tzinfo=timezone(timedelta(hours=-6)))
    task_id = (await factory.task(tenant, due_at=due)).id
    session.expire_all()
    stored = (await session.execute(select(Task.due_at).where(Task.id == task_id))).scalar_one()
    assert stored == due and stored.tzinfo == UTC
    assert stored.hour == 15


async def test_naive_datetimes_are_refused(session: AsyncSession, factory: Factory) -> None:
    tenant = await factory.tenant()
    with pytest.raises(StatementError, match="naive datetime"):
        await factory.task(tenant, due_at=datetime(2026, 11, 21, 9, 30))
    await session.rollback()
