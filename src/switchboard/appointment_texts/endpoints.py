"""The appointment-text settings (managers and admins) and each appointment's texts."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from switchboard.appointment_texts.schemas import (
    AppointmentTextRead,
    AppointmentTextSettingsRead,
    AppointmentTextSettingsUpdate,
)
from switchboard.appointment_texts.service import (
    AppointmentTextSettingsService,
    appointment_texts,
)
from switchboard.kit.deps import Session
from switchboard.tenancy.deps import CurrentUser, Manager

router = APIRouter(prefix="/api")


@router.get(
    "/settings/appointment-texts",
    response_model=AppointmentTextSettingsRead,
    tags=["appointment texts"],
)
async def get_settings(user: Manager, session: Session) -> AppointmentTextSettingsRead:
    return await AppointmentTextSettingsService(session, user).read()


@router.patch(
    "/settings/appointment-texts",
    response_model=AppointmentTextSettingsRead,
    tags=["appointment texts"],
)
async def update_settings(
    data: AppointmentTextSettingsUpdate, user: Manager, session: Session
) -> AppointmentTextSettingsRead:
    return await AppointmentTextSettingsService(session, user).update(data)


@router.get(
    "/appointments/{appointment_id}/texts",
    response_model=list[AppointmentTextRead],
    tags=["appointments"],
)
async def list_appointment_texts(
    appointment_id: uuid.UUID, user: CurrentUser, session: Session
) -> list[AppointmentTextRead]:
    """The appointment's confirmation and reminders: scheduled, sent (with the message),
    skipped or withdrawn, each with why."""
    texts = await appointment_texts(session, user, appointment_id)
    return [AppointmentTextRead.model_validate(text) for text in texts]
