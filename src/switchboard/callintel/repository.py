"""Queries over analyses: the calls and recordings analysed in a span, within what the
user may see (the CRM services' scopes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.crm.models import Call, CallAnalysis, RecordingSession
from switchboard.crm.service import CallService, RecordingSessionService
from switchboard.tenancy.models import User


async def calls_analysed_between(
    session: AsyncSession, user: User, start: datetime, end: datetime, limit: int
) -> list[Call]:
    """Visible calls whose latest analysis was made in [start, end), newest first, each
    with its analysis and transcript loaded."""
    stmt = (
        CallService(session, user)
        .visible()
        .join(
            CallAnalysis,
            (CallAnalysis.call_id == Call.id) & (CallAnalysis.tenant_id == Call.tenant_id),
        )
        .where(CallAnalysis.created_at >= start, CallAnalysis.created_at < end)
        .order_by(CallAnalysis.created_at.desc(), Call.id)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def recordings_between(
    session: AsyncSession, user: User, start: datetime, end: datetime, limit: int
) -> list[RecordingSession]:
    """Visible in-home recordings made in [start, end) (the caller keeps those analysed)."""
    stmt = (
        RecordingSessionService(session, user)
        .visible()
        .where(
            RecordingSession.started_at >= start,
            RecordingSession.started_at < end,
        )
        .order_by(RecordingSession.started_at.desc(), RecordingSession.id)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())
