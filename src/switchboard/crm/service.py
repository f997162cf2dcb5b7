"""CRM rules: who may see and change what (docs/PERMISSIONS.md), links that stay inside the
tenant and the user's scope, phone uniqueness, speed to lead. Services flush but never
commit."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

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
)
from switchboard.crm.repository import (
    AppointmentRepository,
    CallRepository,
    ContactRepository,
    LeadRepository,
    RecordingSessionRepository,
    RepShiftRepository,
    leads_of_contact,
)
from switchboard.crm.schemas import (
    AnalysisIn,
    AppointmentCreate,
    AppointmentUpdate,
    CallCreate,
    CallUpdate,
    ContactCreate,
    ContactUpdate,
    LeadCreate,
    LeadUpdate,
    PhoneIn,
    RecordingSessionCreate,
    RecordingSessionUpdate,
    RepShiftCreate,
    RepShiftUpdate,
    TranscriptIn,
)
from switchboard.kit.clock import utcnow
from switchboard.kit.errors import Conflict, InvalidField
from switchboard.kit.jobs import enqueue
from switchboard.kit.pagination import PageParams
from switchboard.kit.schemas import AwareDatetime, Str, apply_changes
from switchboard.tenancy.models import Role
from switchboard.tenancy.scope import MANAGERS, OFFICE, ScopedService

# Who may run a lead or an appointment (managers sell too); shifts and recordings are reps'.
SELLERS = (Role.rep, Role.manager)
# The source of the lead a rep's new contact comes with, when the card names none.
REP_SOURCED = "rep"
# What a rep may set an appointment to from the customer's door; cancelling or rescheduling
# goes through the office, which tells the customer and owns the calendar.
REP_APPOINTMENT_STATUSES = frozenset(
    {
        AppointmentStatus.scheduled,
        AppointmentStatus.confirmed,
        AppointmentStatus.completed,
        AppointmentStatus.no_show,
    }
)

# Plans an appointment's confirmation and reminders after its booking or change commits
# (the handler lives in appointment_texts/jobs.py): {"tenant_id", "appointment_id", "booked"}.
APPOINTMENT_TEXTS_JOB = "appointment_texts.plan"
# What, changed, makes an appointment's texts planned again.
TEXTED_FIELDS = ("starts_at", "status")

# --- contacts -------------------------------------------------------------------------------


@dataclass
class ContactFilters:
    q: Str | None = None
    tag: Str | None = None


class ContactService(ScopedService[ContactCard]):
    repository = ContactRepository

    async def list_page(
        self, filters: ContactFilters, params: PageParams
    ) -> tuple[list[ContactCard], str | None]:
        stmt = self.visible()
        if filters.q:
            stmt = self.repo.search(stmt, filters.q)
        return await self.page(stmt, params)

    async def create(self, data: ContactCreate) -> ContactCard:
        """A rep's new contact comes with a new lead assigned to them: a rep's scope is their
        leads and appointments, so the card is theirs, and on the pipeline, from the start."""
        contact = self.repo.add(ContactCard(**data.model_dump(exclude={"phone", "phones"})))
        await self.session.flush()
        await self._set_phones(contact, data.all_phones())
        if self.is_rep:
            LeadRepository(self.session, self.user.tenant_id).add(
                Lead(
                    contact_id=contact.id,
                    source=contact.lead_source or REP_SOURCED,
                    assigned_rep_id=self.user.id,
                )
            )
        return await self._stored(contact)

    async def update(self, ident: uuid.UUID, data: ContactUpdate) -> ContactCard:
        contact = await self.get(ident)
        changes = data.changes()
        phones = changes.pop("phones", None)
        apply_changes(contact, changes)
        if phones is not None:
            await self._set_phones(contact, [PhoneIn(**p) for p in phones], replace=True)
        return await self._stored(contact)

    async def _set_phones(
        self, contact: ContactCard, phones: list[PhoneIn], *, replace: bool = False
    ) -> None:
        numbers = [p.number for p in phones]
        if len(set(numbers)) != len(numbers):
            raise InvalidField("phones", "the same number is listed twice")
        for number in numbers:
            owner = await self.repo.phone_owner(number)
            if owner is not None and owner != contact.id:
                # The owner's id only for a user who may open that card.
                shown = await self.repo.find(owner, self.visible())
                raise Conflict(
                    f"{number} already belongs to another contact",
                    field="phone",
                    **({"contact_id": str(owner)} if shown else {}),
                )
        if replace:
            await self.repo.drop_phones(contact.id)
            await self.session.flush()
        for position, phone in enumerate(phones):
            self.session.add(
                ContactPhone(
                    tenant_id=contact.tenant_id,
                    contact_id=contact.id,
                    number=phone.number,
                    label=phone.label,
                    is_primary=position == 0,
                )
            )


# --- leads ----------------------------------------------------------------------------------


@dataclass
class LeadFilters:
    status: LeadStatus | None = None
    assigned_rep_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None


class LeadService(ScopedService[Lead]):
    repository = LeadRepository

    async def list_page(
        self, filters: LeadFilters, params: PageParams
    ) -> tuple[list[Lead], str | None]:
        stmt = self.repo.filtered(
            self.visible(),
            status=filters.status,
            assigned_rep_id=filters.assigned_rep_id,
            contact_id=filters.contact_id,
        )
        return await self.page(stmt, params)

    async def create(self, data: LeadCreate) -> Lead:
        """A rep's lead is for a contact already theirs, assigned to themselves, with no
        estimated value (the office sets it)."""
        await self._require_visible(ContactService, data.contact_id, "contact_id")
        fields = data.model_dump()
        if self.is_rep and fields["assigned_rep_id"] is None:
            fields["assigned_rep_id"] = self.user.id
        await self._check_rep(fields["assigned_rep_id"], "assigned_rep_id", *SELLERS)
        if fields["estimated_value"] is not None:
            self._may_set_value()
        lead = self.repo.add(Lead(**fields))
        if data.status != LeadStatus.new:
            lead.first_response_at = utcnow()
        return await self._stored(lead)

    async def update(self, ident: uuid.UUID, data: LeadUpdate) -> Lead:
        lead = await self.get(ident)
        changes = data.changes()
        if "assigned_rep_id" in changes and changes["assigned_rep_id"] != lead.assigned_rep_id:
            await self._check_rep(changes["assigned_rep_id"], "assigned_rep_id", *SELLERS)
        if "estimated_value" in changes and changes["estimated_value"] != lead.estimated_value:
            self._may_set_value()
        apply_changes(lead, changes)
        if lead.status != LeadStatus.new and lead.first_response_at is None:
            lead.first_response_at = utcnow()
        return await self._stored(lead)

    def _may_set_value(self) -> None:
        # The value is what the pipeline and the won revenue count; the rep credited with
        # the win does not set the figure it is counted at.
        self._allow(OFFICE, "set a lead's estimated value", field="estimated_value")


# --- calls ----------------------------------------------------------------------------------


@dataclass
class CallFilters:
    contact_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    outcome: CallOutcome | None = None
    handled_by_user_id: uuid.UUID | None = None
    handled_by_role: HandledByRole | None = None
    started_after: AwareDatetime | None = None
    started_before: AwareDatetime | None = None


class CallService(ScopedService[Call]):
    repository = CallRepository

    async def list_page(
        self, filters: CallFilters, params: PageParams
    ) -> tuple[list[Call], str | None]:
        stmt = self.repo.filtered(
            self.visible(),
            contact_id=filters.contact_id,
            lead_id=filters.lead_id,
            outcome=filters.outcome,
            handled_by_user_id=filters.handled_by_user_id,
            handled_by_role=filters.handled_by_role,
            started_after=filters.started_after,
            started_before=filters.started_before,
        )
        return await self.page(stmt, params)

    async def _check_links(self, contact_id: Any, lead_id: Any, user_id: Any) -> None:
        await self._require_visible(ContactService, contact_id, "contact_id")
        await self._require_visible(LeadService, lead_id, "lead_id")
        await self.users.require_role(user_id, "handled_by_user_id")

    def _may_write_analysis(self, analysis: object) -> None:
        # The analysis is the AI's judgement of the call, which staff are coached and ranked
        # on: only managers correct it by hand; everyone else's comes from the analyser.
        if analysis is not None:
            self._allow(MANAGERS, "write a call's analysis", field="analysis")

    async def create(self, data: CallCreate) -> Call:
        """A rep logs only calls they handled themselves."""
        fields = data.model_dump(exclude={"transcript", "analysis"})
        if self.is_rep and fields["handled_by_user_id"] is None:
            fields["handled_by_user_id"] = self.user.id
        self._own_unless_staff(fields["handled_by_user_id"], "handled_by_user_id")
        self._may_write_analysis(data.analysis)
        await self._check_links(data.contact_id, data.lead_id, fields["handled_by_user_id"])
        if data.provider_call_id and await self.repo.by_provider_id(
            data.provider, data.provider_call_id
        ):
            raise Conflict(f"call {data.provider_call_id} from {data.provider} is already recorded")
        call = self.repo.add(Call(**fields))
        await self.session.flush()
        await self._attach(call, data.transcript, data.analysis)
        return await self._stored(call)

    async def update(self, ident: uuid.UUID, data: CallUpdate) -> Call:
        call = await self.get(ident)
        changes = data.changes()
        handler = changes.get("handled_by_user_id", call.handled_by_user_id)
        if handler != call.handled_by_user_id:
            self._own_unless_staff(handler, "handled_by_user_id")
        self._may_write_analysis(changes.get("analysis"))
        await self._check_links(
            changes.get("contact_id"), changes.get("lead_id"), changes.get("handled_by_user_id")
        )
        transcript, analysis = changes.pop("transcript", None), changes.pop("analysis", None)
        apply_changes(call, changes)
        await self._attach(
            call,
            TranscriptIn(**transcript) if transcript else None,
            AnalysisIn(**analysis) if analysis else None,
        )
        return await self._stored(call)

    async def _attach(
        self, call: Call, transcript: TranscriptIn | None, analysis: AnalysisIn | None
    ) -> None:
        """Set (or replace) the call's transcript and analysis."""
        if transcript is not None:
            await self.repo.drop_transcript(call.id)
            self.session.add(
                CallTranscript(tenant_id=call.tenant_id, call_id=call.id, **transcript.model_dump())
            )
        if analysis is not None:
            await self.repo.drop_analysis(call.id)
            self.session.add(
                CallAnalysis(tenant_id=call.tenant_id, call_id=call.id, **analysis.model_dump())
            )


# --- appointments ---------------------------------------------------------------------------


@dataclass
class AppointmentFilters:
    rep_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    status: AppointmentStatus | None = None
    starts_after: AwareDatetime | None = None
    starts_before: AwareDatetime | None = None


class AppointmentService(ScopedService[Appointment]):
    repository = AppointmentRepository

    async def list_page(
        self, filters: AppointmentFilters, params: PageParams
    ) -> tuple[list[Appointment], str | None]:
        stmt = self.repo.filtered(
            self.visible(),
            rep_id=filters.rep_id,
            contact_id=filters.contact_id,
            lead_id=filters.lead_id,
            status=filters.status,
            starts_after=filters.starts_after,
            starts_before=filters.starts_before,
        )
        return await self.repo.page(stmt, params, descending=False)

    async def create(self, data: AppointmentCreate) -> Appointment:
        """A rep books only themselves, for a contact already theirs."""
        await self._require_visible(ContactService, data.contact_id, "contact_id")
        await self._require_visible(LeadService, data.lead_id, "lead_id")
        fields = data.model_dump()
        if self.is_rep and fields["rep_id"] is None:
            fields["rep_id"] = self.user.id
        await self._check_rep(fields["rep_id"], "rep_id", *SELLERS)
        if data.status not in REP_APPOINTMENT_STATUSES:
            self._allow(OFFICE, f"book an appointment as {data.status}", field="status")
        appointment = self.repo.add(Appointment(**fields))
        if appointment.address is None:
            contacts = ContactRepository(self.session, self.user.tenant_id)
            appointment.address = (await contacts.get(data.contact_id)).address
        stored = await self._stored(appointment)
        self._plan_texts(stored, booked=True)
        return stored

    async def update(self, ident: uuid.UUID, data: AppointmentUpdate) -> Appointment:
        """A rep may confirm, complete or mark a no-show on their own appointment, and edit
        its notes; moving, cancelling or handing it on is the office's."""
        appointment = await self.get(ident)
        changes = data.changes()
        moved = [
            name
            for name in ("rep_id", "starts_at", "ends_at", "status")
            if name in changes and changes[name] != getattr(appointment, name)
        ]
        if "rep_id" in moved:
            await self._check_rep(changes["rep_id"], "rep_id", *SELLERS)
        if "starts_at" in moved or "ends_at" in moved:
            self._allow(OFFICE, "move an appointment", field="starts_at")
        if "status" in moved and changes["status"] not in REP_APPOINTMENT_STATUSES:
            self._allow(OFFICE, f"set an appointment to {changes['status']}", field="status")
        await self._require_visible(LeadService, changes.get("lead_id"), "lead_id")
        apply_changes(appointment, changes)
        if appointment.ends_at <= appointment.starts_at:
            raise InvalidField("ends_at", "the end must come after the start")
        if any(name in moved for name in TEXTED_FIELDS):
            self._plan_texts(appointment, booked=False)
        return await self._stored(appointment)

    def _plan_texts(self, appointment: Appointment, *, booked: bool) -> None:
        """The customer's confirmation and reminders follow the booking, after it commits."""
        payload = {
            "tenant_id": str(appointment.tenant_id),
            "appointment_id": str(appointment.id),
            "booked": booked,
        }
        enqueue(self.session, APPOINTMENT_TEXTS_JOB, payload, tenant_id=appointment.tenant_id)


# --- rep shifts -----------------------------------------------------------------------------


@dataclass
class ShiftFilters:
    rep_id: uuid.UUID | None = None
    status: ShiftStatus | None = None
    starts_after: AwareDatetime | None = None
    starts_before: AwareDatetime | None = None


class RepShiftService(ScopedService[RepShift]):
    repository = RepShiftRepository

    async def list_page(
        self, filters: ShiftFilters, params: PageParams
    ) -> tuple[list[RepShift], str | None]:
        stmt = self.repo.filtered(
            self.visible(),
            rep_id=filters.rep_id,
            status=filters.status,
            starts_after=filters.starts_after,
            starts_before=filters.starts_before,
        )
        return await self.repo.page(stmt, params, descending=False)

    async def create(self, data: RepShiftCreate) -> RepShift:
        await self._check_rep(data.rep_id, "rep_id", Role.rep)
        return await self._stored(self.repo.add(RepShift(**data.model_dump())))

    async def update(self, ident: uuid.UUID, data: RepShiftUpdate) -> RepShift:
        shift = await self.get(ident)
        apply_changes(shift, data.changes())
        if shift.ends_at <= shift.starts_at:
            raise InvalidField("ends_at", "the end must come after the start")
        return await self._stored(shift)


# --- recording sessions ---------------------------------------------------------------------


@dataclass
class RecordingFilters:
    rep_id: uuid.UUID | None = None
    appointment_id: uuid.UUID | None = None
    status: RecordingStatus | None = None


class RecordingSessionService(ScopedService[RecordingSession]):
    repository = RecordingSessionRepository

    async def list_page(
        self, filters: RecordingFilters, params: PageParams
    ) -> tuple[list[RecordingSession], str | None]:
        stmt = self.repo.filtered(
            self.visible(),
            rep_id=filters.rep_id,
            appointment_id=filters.appointment_id,
            status=filters.status,
        )
        return await self.page(stmt, params)

    def _may_record(self, changes: dict[str, Any]) -> None:
        # Recordings are made in the customer's home: by its rep, or a manager for them.
        self._allow(frozenset({Role.rep}) | MANAGERS, "record or edit an in-home visit")
        if changes.get("analysis") is not None:
            self._allow(MANAGERS, "write a recording's analysis", field="analysis")

    async def create(self, data: RecordingSessionCreate) -> RecordingSession:
        """A rep records their own visits, on their own appointments."""
        self._may_record(data.model_dump())
        await self._check_rep(data.rep_id, "rep_id", Role.rep)
        await self._require_visible(AppointmentService, data.appointment_id, "appointment_id")
        return await self._stored(self.repo.add(RecordingSession(**data.model_dump())))

    async def update(self, ident: uuid.UUID, data: RecordingSessionUpdate) -> RecordingSession:
        recording = await self.get(ident)
        changes = data.changes()
        self._may_record(changes)
        apply_changes(recording, changes)
        if recording.ended_at and recording.ended_at <= recording.started_at:
            raise InvalidField("ended_at", "the end must come after the start")
        return await self._stored(recording)


# --- read interface for other domains -------------------------------------------------------
# For work done by the system itself (a job, a webhook): no acting user, so no role's scope,
# only the tenant's.


async def require_links(
    session: AsyncSession, tenant_id: uuid.UUID, fields: Mapping[str, Any]
) -> None:
    """Each CRM record `fields` links to (contact_id, lead_id, appointment_id, call_id) must
    be the tenant's: else 422 naming the field."""
    for field, repository in (
        ("contact_id", ContactRepository),
        ("lead_id", LeadRepository),
        ("appointment_id", AppointmentRepository),
        ("call_id", CallRepository),
    ):
        await repository(session, tenant_id).require(fields.get(field), field)


async def contact_of_number(
    session: AsyncSession, tenant_id: uuid.UUID, number: str
) -> uuid.UUID | None:
    """The contact whose card holds `number` (E.164), if any."""
    return await ContactRepository(session, tenant_id).phone_owner(number)


async def find_contact(
    session: AsyncSession, tenant_id: uuid.UUID, contact_id: uuid.UUID
) -> ContactCard | None:
    """The tenant's contact with its phones, or None."""
    found: ContactCard | None = await ContactRepository(session, tenant_id).find(contact_id)
    return found


async def fresh_call(
    session: AsyncSession, tenant_id: uuid.UUID, call_id: uuid.UUID, *, lock: bool = False
) -> Call | None:
    """The tenant's call with its transcript and analysis as stored now; `lock` holds it
    until the transaction ends, so two writers of its analysis take turns."""
    return await CallRepository(session, tenant_id).fresh(call_id, lock=lock)


async def fresh_recording(
    session: AsyncSession, tenant_id: uuid.UUID, recording_id: uuid.UUID, *, lock: bool = False
) -> RecordingSession | None:
    """The tenant's recording session as stored now; `lock` holds it as for `fresh_call`."""
    return await RecordingSessionRepository(session, tenant_id).fresh(recording_id, lock=lock)


async def lead_of_call(session: AsyncSession, call: Call) -> Lead | None:
    """The call's lead, or else the contact's latest one."""
    if call.lead_id is not None:
        return await session.get(Lead, call.lead_id)
    if call.contact_id is None:
        return None
    return await LeadRepository(session, call.tenant_id).latest_of_contact(call.contact_id)


async def drop_call_transcript(session: AsyncSession, call: Call) -> None:
    """Drop the call's stored transcript, before its new one is added."""
    await CallRepository(session, call.tenant_id).drop_transcript(call.id)


async def drop_call_analysis(session: AsyncSession, call: Call) -> None:
    """Drop the call's stored analysis, before its new one is added."""
    await CallRepository(session, call.tenant_id).drop_analysis(call.id)


class CompanyRecords:
    """The tenant's CRM records read for the company as a whole, in no staff user's scope:
    for callers that act for the company (the customer auto-responder), and for the names
    of records another list has already returned."""

    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    async def contact(self, contact_id: uuid.UUID) -> ContactCard:
        """The contact, or NotFound."""
        return await ContactRepository(self.session, self.tenant_id).get(contact_id)

    async def contacts_by_id(self, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, ContactCard]:
        """The contacts (with phones) among `ids`, by id, in one query."""
        contacts = ContactRepository(self.session, self.tenant_id)
        wanted = {ident for ident in ids if ident is not None}
        found: dict[uuid.UUID, ContactCard] = await contacts.among(wanted, contacts.select())
        return found

    async def leads_of_contact(
        self, contact_id: uuid.UUID, statuses: Collection[LeadStatus]
    ) -> list[Lead]:
        """The contact's leads in one of `statuses`, oldest first."""
        return await leads_of_contact(self.session, self.tenant_id, contact_id, statuses)

    async def upcoming_appointments(
        self, contact_id: uuid.UUID, after: datetime, limit: int = 5
    ) -> list[Appointment]:
        """The contact's appointments ending after `after`, soonest first."""
        appointments = AppointmentRepository(self.session, self.tenant_id)
        return await appointments.upcoming_for_contact(contact_id, after, limit=limit)

    async def appointment(self, appointment_id: uuid.UUID) -> Appointment | None:
        return await AppointmentRepository(self.session, self.tenant_id).find(appointment_id)
