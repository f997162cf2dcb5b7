"""Every CRM query, tenant-scoped through the base repository and role-scoped through
`visible_to`: a rep sees only what is assigned to them."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from switchboard.crm.models import (
    Appointment,
    AppointmentStatus,
    Call,
    CallAnalysis,
    CallOutcome,
    CallTranscript,
    ContactCard,
    ContactPhone,
    HandledByRole,
    Lead,
    LeadStatus,
    RecordingSession,
    RecordingStatus,
    RepShift,
    ShiftStatus,
    contact_is_reps,
    contact_name_contains,
)
from switchboard.kit.repository import Repository, where_equal, where_in_range
from switchboard.tenancy.models import Role, User


class ContactRepository(Repository[ContactCard]):
    model = ContactCard
    kind = "contact"

    def select(self) -> Select[ContactCard]:
        return super().select().options(selectinload(ContactCard.phones))

    def visible_to(self, stmt: Select[ContactCard], user: User) -> Select[ContactCard]:
        return stmt.where(contact_is_reps(user.id)) if user.role == Role.rep else stmt

    def search(self, stmt: Select[ContactCard], q: str) -> Select[ContactCard]:
        term = q.strip().lower()
        conditions: list[Any] = [
            contact_name_contains(term),
            func.lower(func.coalesce(ContactCard.email, "")).contains(term, autoescape=True),
        ]
        digits = "".join(ch for ch in q if ch.isdigit())
        if len(digits) >= 3:
            conditions.append(
                exists().where(
                    ContactPhone.contact_id == ContactCard.id,
                    ContactPhone.number.like(f"%{digits}%"),
                )
            )
        return stmt.where(or_(*conditions))

    async def by_phone(self, number: str) -> ContactCard | None:
        stmt = (
            self.select()
            .join(ContactPhone, ContactPhone.contact_id == ContactCard.id)
            .where(ContactPhone.tenant_id == self.tenant_id, ContactPhone.number == number)
        )
        return (await self.session.execute(stmt)).scalars().first()

    async def phone_owner(self, number: str) -> uuid.UUID | None:
        stmt = select(ContactPhone.contact_id).where(
            ContactPhone.tenant_id == self.tenant_id, ContactPhone.number == number
        )
        return (await self.session.execute(stmt)).scalar()

    async def drop_phones(self, contact_id: uuid.UUID) -> None:
        """Delete every number of the contact (before writing its new list)."""
        await self.session.execute(
            delete(ContactPhone).where(
                ContactPhone.tenant_id == self.tenant_id, ContactPhone.contact_id == contact_id
            )
        )


class LeadRepository(Repository[Lead]):
    model = Lead
    kind = "lead"

    def visible_to(self, stmt: Select[Lead], user: User) -> Select[Lead]:
        return stmt.where(Lead.assigned_rep_id == user.id) if user.role == Role.rep else stmt

    def filtered(
        self,
        stmt: Select[Lead],
        *,
        status: LeadStatus | None,
        assigned_rep_id: uuid.UUID | None,
        contact_id: uuid.UUID | None,
    ) -> Select[Lead]:
        """`stmt` narrowed by each filter given (None: not filtered on)."""
        return where_equal(
            stmt,
            (Lead.status, status),
            (Lead.assigned_rep_id, assigned_rep_id),
            (Lead.contact_id, contact_id),
        )

    async def latest_of_contact(self, contact_id: uuid.UUID) -> Lead | None:
        stmt = (
            self.select()
            .where(Lead.contact_id == contact_id)
            .order_by(Lead.created_at.desc(), Lead.id.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalars().first()


class CallRepository(Repository[Call]):
    model = Call
    kind = "call"

    def filtered(
        self,
        stmt: Select[Call],
        *,
        contact_id: uuid.UUID | None,
        lead_id: uuid.UUID | None,
        outcome: CallOutcome | None,
        handled_by_user_id: uuid.UUID | None,
        handled_by_role: HandledByRole | None,
        started_after: datetime | None,
        started_before: datetime | None,
    ) -> Select[Call]:
        """`stmt` narrowed by each filter given (None: not filtered on)."""
        stmt = where_equal(
            stmt,
            (Call.contact_id, contact_id),
            (Call.lead_id, lead_id),
            (Call.outcome, outcome),
            (Call.handled_by_user_id, handled_by_user_id),
            (Call.handled_by_role, handled_by_role),
        )
        return where_in_range(stmt, Call.started_at, started_after, started_before)

    def select(self) -> Select[Call]:
        return super().select().options(selectinload(Call.transcript), selectinload(Call.analysis))

    def sort_columns(self) -> list[InstrumentedAttribute[Any]]:
        return [Call.started_at, Call.id]

    def visible_to(self, stmt: Select[Call], user: User) -> Select[Call]:
        return stmt.where(Call.handled_by_user_id == user.id) if user.role == Role.rep else stmt

    async def by_provider_id(self, provider: str, provider_call_id: str) -> Call | None:
        stmt = self.select().where(
            Call.provider == provider, Call.provider_call_id == provider_call_id
        )
        return (await self.session.execute(stmt)).scalars().first()

    async def fresh(self, call_id: uuid.UUID, *, lock: bool = False) -> Call | None:
        """The call with its transcript and analysis as stored now (locked with `lock`,
        so two writers of its analysis take turns)."""
        stmt = self.select().where(Call.id == call_id).execution_options(populate_existing=True)
        if lock:
            stmt = stmt.with_for_update(of=Call)
        return (await self.session.execute(stmt)).scalars().first()

    async def drop_transcript(self, call_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(CallTranscript).where(
                CallTranscript.tenant_id == self.tenant_id, CallTranscript.call_id == call_id
            )
        )

    async def drop_analysis(self, call_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(CallAnalysis).where(
                CallAnalysis.tenant_id == self.tenant_id, CallAnalysis.call_id == call_id
            )
        )


class AppointmentRepository(Repository[Appointment]):
    model = Appointment
    kind = "appointment"

    def sort_columns(self) -> list[InstrumentedAttribute[Any]]:
        return [Appointment.starts_at, Appointment.id]

    def visible_to(self, stmt: Select[Appointment], user: User) -> Select[Appointment]:
        return stmt.where(Appointment.rep_id == user.id) if user.role == Role.rep else stmt

    def filtered(
        self,
        stmt: Select[Appointment],
        *,
        rep_id: uuid.UUID | None,
        contact_id: uuid.UUID | None,
        lead_id: uuid.UUID | None,
        status: AppointmentStatus | None,
        starts_after: datetime | None,
        starts_before: datetime | None,
    ) -> Select[Appointment]:
        """`stmt` narrowed by each filter given (None: not filtered on)."""
        stmt = where_equal(
            stmt,
            (Appointment.rep_id, rep_id),
            (Appointment.contact_id, contact_id),
            (Appointment.lead_id, lead_id),
            (Appointment.status, status),
        )
        return where_in_range(stmt, Appointment.starts_at, starts_after, starts_before)

    async def upcoming_for_contact(
        self, contact_id: uuid.UUID, after: datetime, limit: int = 5
    ) -> list[Appointment]:
        stmt = (
            self.select()
            .where(Appointment.contact_id == contact_id, Appointment.ends_at >= after)
            .order_by(Appointment.starts_at)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())


class RepShiftRepository(Repository[RepShift]):
    model = RepShift
    kind = "rep shift"

    def sort_columns(self) -> list[InstrumentedAttribute[Any]]:
        return [RepShift.starts_at, RepShift.id]

    def visible_to(self, stmt: Select[RepShift], user: User) -> Select[RepShift]:
        return stmt.where(RepShift.rep_id == user.id) if user.role == Role.rep else stmt

    def filtered(
        self,
        stmt: Select[RepShift],
        *,
        rep_id: uuid.UUID | None,
        status: ShiftStatus | None,
        starts_after: datetime | None,
        starts_before: datetime | None,
    ) -> Select[RepShift]:
        """`stmt` narrowed by each filter given (None: not filtered on)."""
        stmt = where_equal(stmt, (RepShift.rep_id, rep_id), (RepShift.status, status))
        return where_in_range(stmt, RepShift.starts_at, starts_after, starts_before)


class RecordingSessionRepository(Repository[RecordingSession]):
    model = RecordingSession
    kind = "recording session"

    def visible_to(self, stmt: Select[RecordingSession], user: User) -> Select[RecordingSession]:
        return stmt.where(RecordingSession.rep_id == user.id) if user.role == Role.rep else stmt

    def filtered(
        self,
        stmt: Select[RecordingSession],
        *,
        rep_id: uuid.UUID | None,
        appointment_id: uuid.UUID | None,
        status: RecordingStatus | None,
    ) -> Select[RecordingSession]:
        """`stmt` narrowed by each filter given (None: not filtered on)."""
        return where_equal(
            stmt,
            (RecordingSession.rep_id, rep_id),
            (RecordingSession.appointment_id, appointment_id),
            (RecordingSession.status, status),
        )

    async def fresh(
        self, recording_id: uuid.UUID, *, lock: bool = False
    ) -> RecordingSession | None:
        """The recording as stored now (locked with `lock`)."""
        stmt = (
            self.select()
            .where(RecordingSession.id == recording_id)
            .execution_options(populate_existing=True)
        )
        if lock:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalars().first()


# --- Read interface for other domains ----------------------------------------------------------
# Company-wide reads (the tenant's records, no staff user's scope), behind
# `crm.service.CompanyRecords`.


async def leads_of_contact(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    contact_id: uuid.UUID,
    statuses: Collection[LeadStatus],
) -> list[Lead]:
    """The contact's leads in one of `statuses`, oldest first."""
    stmt = (
        LeadRepository(session, tenant_id)
        .select()
        .where(Lead.contact_id == contact_id, Lead.status.in_(statuses))
        .order_by(Lead.created_at)
    )
    return list((await session.execute(stmt)).scalars())
