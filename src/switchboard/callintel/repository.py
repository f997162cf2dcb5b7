"""Queries over analyses: the calls and recordings analysed in a span, within what the
user may see (the CRM services' scopes), and the record changes Otto and Shunya made."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.callintel.models import RecordChange
from switchboard.callintel.schemas import SourceKind
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


async def last_change(
    session: AsyncSession, tenant_id: uuid.UUID, kind: str, record_id: uuid.UUID, field: str
) -> RecordChange | None:
    """The latest change the AI made to the record's `field`."""
    stmt = (
        select(RecordChange)
        .where(
            RecordChange.tenant_id == tenant_id,
            RecordChange.record_kind == kind,
            RecordChange.record_id == record_id,
            RecordChange.field == field,
        )
        .order_by(RecordChange.created_at.desc(), RecordChange.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar()


async def changes_made_by(
    session: AsyncSession, tenant_id: uuid.UUID, kind: SourceKind, record_id: uuid.UUID
) -> list[RecordChange]:
    """The changes made because of this call or recording, oldest first."""
    column = RecordChange.call_id if kind == SourceKind.call else RecordChange.recording_id
    stmt = (
        select(RecordChange)
        .where(RecordChange.tenant_id == tenant_id, column == record_id)
        .order_by(RecordChange.created_at, RecordChange.id)
    )
    return list((await session.execute(stmt)).scalars())
