"""The demo loader's one query of its own: whether the database holds any company yet."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.tenancy.models import Tenant


async def any_tenant(session: AsyncSession) -> bool:
    return (await session.execute(select(Tenant.id).limit(1))).first() is not None
