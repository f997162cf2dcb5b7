"""Every query of the appointment texts, tenant-scoped; the appointments they are about are
read (and locked) here too, so a plan and a send of one appointment take turns."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from switchboard.appointment_texts.models import (
    AppointmentText,
    AppointmentTextSettings,
    TextStatus,
)
from switchboard.crm.models import Appointment, AppointmentStatus
from switchboard.kit.repository import Repository

# The appointments that still text their customer.
ACTIVE = (AppointmentStatus.scheduled, AppointmentStatus.confirmed)


def _locked(stmt: Any) -> Any:
    """Lock what `stmt` reads until the transaction ends, read fresh. SQLite renders no FOR
    UPDATE and needs none: its transactions run one at a time (BEGIN IMMEDIATE)."""
    return stmt.with_for_update().execution_options(populate_existing=True)


class SettingsRepository(Repository[AppointmentTextSettings]):
    model = AppointmentTextSettings
    kind = "appointment text settings"

    async def current(self) -> AppointmentTextSettings | None:
        return (await self.session.execute(self.select())).scalars().first()


class AppointmentTextRepository(Repository[AppointmentText]):
    model = AppointmentText
    kind = "appointment text"

    def sort_columns(self) -> list[Any]:
        return [AppointmentText.due_at, AppointmentText.id]

    async def lock_appointment(self, appointment_id: uuid.UUID) -> Appointment | None:
        """The appointment, locked: whoever plans or sends its texts holds it first."""
        stmt = select(Appointment).where(
            Appointment.tenant_id == self.tenant_id, Appointment.id == appointment_id
        )
        found: Appointment | None = (await self.session.execute(_locked(stmt))).scalars().first()
        return found

    async def of_appointment(self, appointment_id: uuid.UUID) -> list[AppointmentText]:
        stmt = (
            self.select()
            .where(AppointmentText.appointment_id == appointment_id)
            .order_by(AppointmentText.due_at, AppointmentText.id)
        )
        return list((await self.session.execute(_locked(stmt))).scalars())

    async def lock(self, text_id: uuid.UUID) -> AppointmentText | None:
        stmt = self.select().where(AppointmentText.id == text_id)
        found: AppointmentText | None = (
            (await self.session.execute(_locked(stmt))).scalars().first()
        )
        return found

    async def of_appointments(self, appointment_ids: Iterable[uuid.UUID]) -> list[AppointmentText]:
        """The texts of the appointments, by time (read only: nothing locked)."""
        stmt = (
            self.select()
            .where(AppointmentText.appointment_id.in_(list(appointment_ids)))
            .order_by(AppointmentText.due_at, AppointmentText.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def upcoming_appointment_ids(self, after: datetime) -> list[uuid.UUID]:
        """The company's appointments still to come that text their customer, or that have
        texts still pending (a cancelled one withdraws them)."""
        active = select(Appointment.id).where(
            Appointment.tenant_id == self.tenant_id,
            Appointment.starts_at > after,
            Appointment.status.in_(ACTIVE),
        )
        pending = select(AppointmentText.appointment_id).where(
            AppointmentText.tenant_id == self.tenant_id,
            AppointmentText.status == TextStatus.scheduled,
        )
        rows = await self.session.execute(active.union(pending))
        return sorted(row[0] for row in rows)
