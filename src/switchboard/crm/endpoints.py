from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from switchboard.crm.schemas import (
    AppointmentCreate,
    AppointmentRead,
    AppointmentUpdate,
    CallCreate,
    CallRead,
    CallUpdate,
    ContactCreate,
    ContactRead,
    ContactUpdate,
    LeadCreate,
    LeadRead,
    LeadUpdate,
    RecordingSessionCreate,
    RecordingSessionRead,
    RecordingSessionUpdate,
    RepShiftCreate,
    RepShiftRead,
    RepShiftUpdate,
)
from switchboard.crm.service import (
    AppointmentFilters,
    AppointmentService,
    CallFilters,
    CallService,
    ContactFilters,
    ContactService,
    LeadFilters,
    LeadService,
    RecordingFilters,
    RecordingSessionService,
    RepShiftService,
    ShiftFilters,
)
from switchboard.kit.deps import Session
from switchboard.kit.pagination import Page, Paging, to_page
from switchboard.tenancy.deps import CurrentUser

router = APIRouter(prefix="/api")

# --- contacts ---


@router.get("/contacts", response_model=Page[ContactRead], tags=["contacts"])
async def list_contacts(
    user: CurrentUser,
    session: Session,
    paging: Paging,
    filters: Annotated[ContactFilters, Depends()],
) -> Page[ContactRead]:
    return to_page(ContactRead, *await ContactService(session, user).list_page(filters, paging))


@router.post(
    "/contacts", response_model=ContactRead, status_code=status.HTTP_201_CREATED, tags=["contacts"]
)
async def create_contact(data: ContactCreate, user: CurrentUser, session: Session) -> ContactRead:
    return ContactRead.model_validate(await ContactService(session, user).create(data))


@router.get("/contacts/{contact_id}", response_model=ContactRead, tags=["contacts"])
async def get_contact(contact_id: uuid.UUID, user: CurrentUser, session: Session) -> ContactRead:
    return ContactRead.model_validate(await ContactService(session, user).get(contact_id))


@router.patch("/contacts/{contact_id}", response_model=ContactRead, tags=["contacts"])
async def update_contact(
    contact_id: uuid.UUID, data: ContactUpdate, user: CurrentUser, session: Session
) -> ContactRead:
    return ContactRead.model_validate(await ContactService(session, user).update(contact_id, data))


# --- leads ---


@router.get("/leads", response_model=Page[LeadRead], tags=["leads"])
async def list_leads(
    user: CurrentUser, session: Session, paging: Paging, filters: Annotated[LeadFilters, Depends()]
) -> Page[LeadRead]:
    return to_page(LeadRead, *await LeadService(session, user).list_page(filters, paging))


@router.post("/leads", response_model=LeadRead, status_code=status.HTTP_201_CREATED, tags=["leads"])
async def create_lead(data: LeadCreate, user: CurrentUser, session: Session) -> LeadRead:
    return LeadRead.model_validate(await LeadService(session, user).create(data))


@router.get("/leads/{lead_id}", response_model=LeadRead, tags=["leads"])
async def get_lead(lead_id: uuid.UUID, user: CurrentUser, session: Session) -> LeadRead:
    return LeadRead.model_validate(await LeadService(session, user).get(lead_id))


@router.patch("/leads/{lead_id}", response_model=LeadRead, tags=["leads"])
async def update_lead(
    lead_id: uuid.UUID, data: LeadUpdate, user: CurrentUser, session: Session
) -> LeadRead:
    return LeadRead.model_validate(await LeadService(session, user).update(lead_id, data))


# --- calls ---


@router.get("/calls", response_model=Page[CallRead], tags=["calls"])
async def list_calls(
    user: CurrentUser, session: Session, paging: Paging, filters: Annotated[CallFilters, Depends()]
) -> Page[CallRead]:
    return to_page(CallRead, *await CallService(session, user).list_page(filters, paging))


@router.post("/calls", response_model=CallRead, status_code=status.HTTP_201_CREATED, tags=["calls"])
async def create_call(data: CallCreate, user: CurrentUser, session: Session) -> CallRead:
    return CallRead.model_validate(await CallService(session, user).create(data))


@router.get("/calls/{call_id}", response_model=CallRead, tags=["calls"])
async def get_call(call_id: uuid.UUID, user: CurrentUser, session: Session) -> CallRead:
    return CallRead.model_validate(await CallService(session, user).get(call_id))


@router.patch("/calls/{call_id}", response_model=CallRead, tags=["calls"])
async def update_call(
    call_id: uuid.UUID, data: CallUpdate, user: CurrentUser, session: Session
) -> CallRead:
    return CallRead.model_validate(await CallService(session, user).update(call_id, data))


# --- appointments ---


@router.get("/appointments", response_model=Page[AppointmentRead], tags=["appointments"])
async def list_appointments(
    user: CurrentUser,
    session: Session,
    paging: Paging,
    filters: Annotated[AppointmentFilters, Depends()],
) -> Page[AppointmentRead]:
    return to_page(
        AppointmentRead, *await AppointmentService(session, user).list_page(filters, paging)
    )


@router.post(
    "/appointments",
    response_model=AppointmentRead,
    status_code=status.HTTP_201_CREATED,
    tags=["appointments"],
)
async def create_appointment(
    data: AppointmentCreate, user: CurrentUser, session: Session
) -> AppointmentRead:
    return AppointmentRead.model_validate(await AppointmentService(session, user).create(data))


@router.get("/appointments/{appointment_id}", response_model=AppointmentRead, tags=["appointments"])
async def get_appointment(
    appointment_id: uuid.UUID, user: CurrentUser, session: Session
) -> AppointmentRead:
    return AppointmentRead.model_validate(
        await AppointmentService(session, user).get(appointment_id)
    )


@router.patch(
    "/appointments/{appointment_id}", response_model=AppointmentRead, tags=["appointments"]
)
async def update_appointment(
    appointment_id: uuid.UUID, data: AppointmentUpdate, user: CurrentUser, session: Session
) -> AppointmentRead:
    service = AppointmentService(session, user)
    return AppointmentRead.model_validate(await service.update(appointment_id, data))


# --- rep shifts ---


@router.get("/rep-shifts", response_model=Page[RepShiftRead], tags=["rep shifts"])
async def list_rep_shifts(
    user: CurrentUser, session: Session, paging: Paging, filters: Annotated[ShiftFilters, Depends()]
) -> Page[RepShiftRead]:
    return to_page(RepShiftRead, *await RepShiftService(session, user).list_page(filters, paging))


@router.post(
    "/rep-shifts",
    response_model=RepShiftRead,
    status_code=status.HTTP_201_CREATED,
    tags=["rep shifts"],
)
async def create_rep_shift(
    data: RepShiftCreate, user: CurrentUser, session: Session
) -> RepShiftRead:
    # A rep may put themselves on shift; the service refuses one for another rep (403).
    return RepShiftRead.model_validate(await RepShiftService(session, user).create(data))


@router.get("/rep-shifts/{shift_id}", response_model=RepShiftRead, tags=["rep shifts"])
async def get_rep_shift(shift_id: uuid.UUID, user: CurrentUser, session: Session) -> RepShiftRead:
    return RepShiftRead.model_validate(await RepShiftService(session, user).get(shift_id))


@router.patch("/rep-shifts/{shift_id}", response_model=RepShiftRead, tags=["rep shifts"])
async def update_rep_shift(
    shift_id: uuid.UUID, data: RepShiftUpdate, user: CurrentUser, session: Session
) -> RepShiftRead:
    return RepShiftRead.model_validate(await RepShiftService(session, user).update(shift_id, data))


# --- recording sessions ---


@router.get(
    "/recording-sessions", response_model=Page[RecordingSessionRead], tags=["recording sessions"]
)
async def list_recording_sessions(
    user: CurrentUser,
    session: Session,
    paging: Paging,
    filters: Annotated[RecordingFilters, Depends()],
) -> Page[RecordingSessionRead]:
    service = RecordingSessionService(session, user)
    return to_page(RecordingSessionRead, *await service.list_page(filters, paging))


@router.post(
    "/recording-sessions",
    response_model=RecordingSessionRead,
    status_code=status.HTTP_201_CREATED,
    tags=["recording sessions"],
)
async def create_recording_session(
    data: RecordingSessionCreate, user: CurrentUser, session: Session
) -> RecordingSessionRead:
    service = RecordingSessionService(session, user)
    return RecordingSessionRead.model_validate(await service.create(data))


@router.get(
    "/recording-sessions/{recording_id}",
    response_model=RecordingSessionRead,
    tags=["recording sessions"],
)
async def get_recording_session(
    recording_id: uuid.UUID, user: CurrentUser, session: Session
) -> RecordingSessionRead:
    service = RecordingSessionService(session, user)
    return RecordingSessionRead.model_validate(await service.get(recording_id))


@router.patch(
    "/recording-sessions/{recording_id}",
    response_model=RecordingSessionRead,
    tags=["recording sessions"],
)
async def update_recording_session(
    recording_id: uuid.UUID, data: RecordingSessionUpdate, user: CurrentUser, session: Session
) -> RecordingSessionRead:
    service = RecordingSessionService(session, user)
    return RecordingSessionRead.model_validate(await service.update(recording_id, data))
