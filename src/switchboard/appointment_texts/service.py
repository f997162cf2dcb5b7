"""Appointment-text rules: plan an appointment's confirmation and reminders (again, when it
is moved or cancelled or the company's settings or time zone change), send each one when
its time comes, through messaging's one outbound path, and the settings themselves.

Planning and sending of one appointment take turns on its row lock; a text is sent only
while it is `scheduled`, and marked `sent` with its message in the same transaction, so a
reminder goes once however many workers run its job. Services flush but never commit."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.appointment_texts.models import (
    DEFAULT_OFFSETS,
    DEFAULT_QUIET_END,
    DEFAULT_QUIET_START,
    AppointmentText,
    AppointmentTextSettings,
    TextPurpose,
    TextStatus,
)
from switchboard.appointment_texts.repository import (
    ACTIVE,
    AppointmentTextRepository,
    SettingsRepository,
)
from switchboard.appointment_texts.schedule import (
    DEFAULT_TEMPLATES,
    MAX_LATENESS,
    PLACEHOLDERS,
    QuietHours,
    offset_label,
    plan_reminder,
    render,
    text_values,
)
from switchboard.appointment_texts.schemas import (
    AppointmentTextSettingsRead,
    AppointmentTextSettingsUpdate,
    QuietHoursIn,
)
from switchboard.crm.models import Appointment, AppointmentStatus
from switchboard.crm.service import APPOINTMENT_TEXTS_JOB, AppointmentService, find_contact
from switchboard.kit.clock import utcnow
from switchboard.kit.errors import Conflict, Forbidden, InvalidField, OptedOut
from switchboard.kit.jobs import drop_queued, enqueue, move_queued
from switchboard.messaging.models import MessageKind, Sender
from switchboard.messaging.outbound import queue_outbound
from switchboard.tenancy.models import Tenant, User
from switchboard.tenancy.scope import MANAGERS
from switchboard.tenancy.service import RETIME_APPOINTMENT_TEXTS_JOB, find_user, get_tenant

log = logging.getLogger(__name__)

PLAN_JOB = APPOINTMENT_TEXTS_JOB  # {"tenant_id", "appointment_id", "booked"}
RETIME_JOB = RETIME_APPOINTMENT_TEXTS_JOB  # {"tenant_id"}
SEND_JOB = "appointment_texts.send"  # {"tenant_id", "text_id"}
SEND_ATTEMPTS = 5
# A job that runs this much before its text's time is an old one (the text was moved
# later): it leaves the text to the job of its new time.
EARLY = timedelta(seconds=1)

STOPPED_BY_STATUS = {
    AppointmentStatus.cancelled: "the appointment was cancelled",
    AppointmentStatus.completed: "the appointment is completed",
    AppointmentStatus.no_show: "the appointment was marked a no-show",
    AppointmentStatus.rescheduled: "the appointment was rescheduled",
}


@dataclass(frozen=True)
class TextSettings:
    """A company's appointment-text settings, with the defaults filled in."""

    enabled: bool
    confirmation_enabled: bool
    offsets: tuple[int, ...]
    quiet: QuietHours | None
    confirmation_template: str | None
    reminder_template: str | None

    @classmethod
    def of(cls, row: AppointmentTextSettings | None) -> TextSettings:
        if row is None:
            return cls(
                enabled=True,
                confirmation_enabled=True,
                offsets=DEFAULT_OFFSETS,
                quiet=QuietHours.of(DEFAULT_QUIET_START, DEFAULT_QUIET_END),
                confirmation_template=None,
                reminder_template=None,
            )
        return cls(
            enabled=row.enabled,
            confirmation_enabled=row.confirmation_enabled,
            offsets=tuple(sorted(set(row.reminder_offsets or ()), reverse=True)),
            quiet=QuietHours.of(row.quiet_start, row.quiet_end),
            confirmation_template=row.confirmation_template,
            reminder_template=row.reminder_template,
        )

    def template(self, purpose: TextPurpose) -> str:
        own = (
            self.confirmation_template
            if purpose == TextPurpose.confirmation
            else self.reminder_template
        )
        return own or DEFAULT_TEMPLATES[purpose]


async def text_settings(session: AsyncSession, tenant_id: uuid.UUID) -> TextSettings:
    return TextSettings.of(await SettingsRepository(session, tenant_id).current())


# --- planning --------------------------------------------------------------------------------


def why_not_texted(appointment: Appointment, settings: TextSettings) -> str | None:
    """Why this appointment texts nobody now, or None when it does."""
    if not settings.enabled:
        return "appointment texts are turned off"
    if appointment.status not in ACTIVE:
        return STOPPED_BY_STATUS.get(
            AppointmentStatus(appointment.status), f"the appointment is {appointment.status}"
        )
    if appointment.starts_at <= utcnow():
        return "the appointment had started"
    return None


class _Planner:
    """Plans one (locked) appointment's texts against what it already has."""

    def __init__(
        self,
        session: AsyncSession,
        tenant: Tenant,
        settings: TextSettings,
        appointment: Appointment,
        texts: list[AppointmentText],
    ) -> None:
        self.session = session
        self.tenant = tenant
        self.settings = settings
        self.appointment = appointment
        self.texts = texts
        self.repo = AppointmentTextRepository(session, tenant.id)

    async def plan(self, *, booked: bool) -> None:
        pending = [text for text in self.texts if text.status == TextStatus.scheduled]
        stop = why_not_texted(self.appointment, self.settings)
        if stop is not None:
            for text in pending:
                await withdraw(self.session, text, stop)
            return
        await self._confirmation(booked)
        await self._reminders(pending)

    async def _confirmation(self, booked: bool) -> None:
        start = self.appointment.starts_at
        found = next((t for t in self.texts if t.purpose == TextPurpose.confirmation), None)
        if found is None:
            if booked and self.settings.confirmation_enabled:
                await self._new(TextPurpose.confirmation, 0, utcnow())
            return
        if found.status != TextStatus.scheduled:
            return  # one confirmation per booking: a move is told by the reminders
        if not self.settings.confirmation_enabled:
            await withdraw(self.session, found, "confirmations are turned off")
            return
        found.appointment_starts_at = start

    async def _reminders(self, pending: list[AppointmentText]) -> None:
        start = self.appointment.starts_at
        reminders = [t for t in self.texts if t.purpose == TextPurpose.reminder]
        by_key = {(t.offset_minutes, t.appointment_starts_at): t for t in reminders}
        taken: set[uuid.UUID] = set()
        for offset in self.settings.offsets:
            text = by_key.get((offset, start)) or next(
                (
                    t
                    for t in pending
                    if t.purpose == TextPurpose.reminder
                    and t.offset_minutes == offset
                    and t.id not in taken
                ),
                None,
            )
            if text is not None:
                taken.add(text.id)
                if text.status in (TextStatus.sent, TextStatus.skipped):
                    continue  # done for this start
            plan = plan_reminder(
                start,
                offset,
                now=utcnow(),
                booked_at=self.appointment.created_at,
                quiet=self.settings.quiet,
                zone=self.tenant.zone,
            )
            if plan.due_at is None:
                if text is not None and text.status == TextStatus.scheduled:
                    await withdraw(self.session, text, plan.reason or "its time has passed")
                continue
            if text is None:
                await self._new(TextPurpose.reminder, offset, plan.due_at)
                continue
            text.appointment_starts_at = start
            text.status, text.reason, text.due_at = TextStatus.scheduled, None, plan.due_at
            await schedule(self.session, text)
        for text in pending:
            if text.purpose == TextPurpose.reminder and text.id not in taken:
                await withdraw(
                    self.session,
                    text,
                    "the appointment moved"
                    if text.appointment_starts_at != start
                    else f"the {offset_label(text.offset_minutes)} reminder was taken out "
                    "of the settings",
                )

    async def _new(self, purpose: TextPurpose, offset: int, due: datetime) -> None:
        text = self.repo.add(
            AppointmentText(
                id=uuid.uuid4(),
                appointment_id=self.appointment.id,
                contact_id=self.appointment.contact_id,
                purpose=purpose,
                offset_minutes=offset,
                appointment_starts_at=self.appointment.starts_at,
                due_at=due,
                status=TextStatus.scheduled,
            )
        )
        self.texts.append(text)
        await schedule(self.session, text)


async def schedule(session: AsyncSession, text: AppointmentText) -> None:
    """Have the text's job run at its time: the queued one moved, or a new one."""
    if text.job_id is not None and await move_queued(session, text.job_id, text.due_at):
        return
    job = enqueue(
        session,
        SEND_JOB,
        {"tenant_id": str(text.tenant_id), "text_id": str(text.id)},
        tenant_id=text.tenant_id,
        run_after=text.due_at,
        max_attempts=SEND_ATTEMPTS,
    )
    await session.flush()
    text.job_id = job.id


async def withdraw(session: AsyncSession, text: AppointmentText, reason: str) -> None:
    text.status = TextStatus.withdrawn
    text.reason = reason[:500]
    if text.job_id is not None:
        await drop_queued(session, text.job_id)
    await session.flush()


def _skip(text: AppointmentText, reason: str) -> None:
    text.status = TextStatus.skipped
    text.reason = reason[:500]


async def plan_appointment_texts(
    session: AsyncSession, tenant_id: uuid.UUID, appointment_id: uuid.UUID, *, booked: bool
) -> list[AppointmentText]:
    """Bring an appointment's texts in line with it and the company's settings: the
    confirmation when it was just `booked`, a reminder per offset (pending ones moved with
    the appointment), and everything pending withdrawn once it no longer texts."""
    repo = AppointmentTextRepository(session, tenant_id)
    appointment = await repo.lock_appointment(appointment_id)
    if appointment is None:
        return []  # deleted: its texts went with it
    texts = await repo.of_appointment(appointment_id)
    tenant = await get_tenant(session, tenant_id)
    planner = _Planner(session, tenant, await text_settings(session, tenant_id), appointment, texts)
    await planner.plan(booked=booked)
    await session.flush()
    return texts


async def upcoming_appointments(session: AsyncSession, tenant_id: uuid.UUID) -> list[uuid.UUID]:
    """The company's appointments to plan again when its time zone or settings change:
    those still to come, and those with texts still pending."""
    return await AppointmentTextRepository(session, tenant_id).upcoming_appointment_ids(utcnow())


# --- sending --------------------------------------------------------------------------------


async def send_text(
    session: AsyncSession, tenant_id: uuid.UUID, text_id: uuid.UUID
) -> AppointmentText | None:
    """Send a text whose time has come, once: queue it through messaging (sender Otto, kind
    automated) and mark it `sent`, or mark it `skipped` saying why (opted out, no SMS
    consent, no number, late). Nothing when it is not `scheduled` any more."""
    repo = AppointmentTextRepository(session, tenant_id)
    found = await repo.find(text_id)
    if found is None:
        return None
    appointment = await repo.lock_appointment(found.appointment_id)  # plans wait for us
    text = await repo.lock(text_id)
    now = utcnow()
    if text is None or appointment is None or text.status != TextStatus.scheduled:
        return None
    if text.due_at > now + EARLY:
        return None  # moved later: the job of its new time sends it
    settings = await text_settings(session, tenant_id)
    stop = why_not_texted(appointment, settings)
    if stop is not None:
        await withdraw(session, text, stop)
        return text
    tenant = await get_tenant(session, tenant_id)
    if text.appointment_starts_at != appointment.starts_at:
        # Moved, and its plan job has not run yet: a confirmation goes with the new time
        # (it is written from the appointment as it is now); reminders are planned again.
        if text.purpose == TextPurpose.reminder:
            texts = await repo.of_appointment(appointment.id)
            await _Planner(session, tenant, settings, appointment, texts).plan(booked=False)
            return text
        text.appointment_starts_at = appointment.starts_at
    if text.purpose == TextPurpose.reminder and not await _still_timely(
        session, tenant, settings, appointment, text, now
    ):
        return text
    await _send(session, tenant, settings, appointment, text)
    await session.flush()
    return text


async def _still_timely(
    session: AsyncSession,
    tenant: Tenant,
    settings: TextSettings,
    appointment: Appointment,
    text: AppointmentText,
    now: datetime,
) -> bool:
    """A reminder runs late (workers were down) or in quiet hours (set since it was
    planned): skipped, or moved to the end of quiet hours when that is still in time."""
    if now > text.due_at + MAX_LATENESS:
        late = now - text.due_at
        _skip(text, f"its time passed {round(late.total_seconds() / 60)} minutes ago unsent")
        return False
    window = settings.quiet.window_at(now, tenant.zone) if settings.quiet else None
    if window is None:
        return True
    if window[1] < appointment.starts_at:
        text.due_at = window[1]
        await schedule(session, text)
    else:
        quiet = settings.quiet.label() if settings.quiet else ""
        _skip(text, f"quiet hours ({quiet}) last until after the appointment starts")
    return False


async def _send(
    session: AsyncSession,
    tenant: Tenant,
    settings: TextSettings,
    appointment: Appointment,
    text: AppointmentText,
) -> None:
    contact = await find_contact(session, tenant.id, appointment.contact_id)
    if contact is None:
        _skip(text, "the contact is gone")
        return
    if (contact.consent or {}).get("sms") is False:
        _skip(text, "the contact has not consented to texts")
        return
    rep_id = appointment.rep_id
    rep = await find_user(session, tenant.id, rep_id) if rep_id else None
    values = text_values(
        now=utcnow(),
        starts_at=appointment.starts_at,
        zone=tenant.zone,
        company=tenant.name,
        first_name=contact.first_name,
        name=contact.display_name,
        rep=rep.name if rep else None,
        address=appointment.address,
    )
    try:
        message = await queue_outbound(
            session,
            tenant=tenant,
            contact_id=contact.id,
            body=render(settings.template(TextPurpose(text.purpose)), values),
            sender=Sender.otto,
            kind=MessageKind.automated,
        )
    except OptedOut as exc:
        _skip(text, f"opted out: {exc.message}")
        return
    except (Conflict, InvalidField, ValueError) as exc:  # no phone, no number to send from
        _skip(text, getattr(exc, "message", str(exc)))
        return
    text.status = TextStatus.sent
    text.message_id = message.id
    text.sent_at = utcnow()


# --- reading ---------------------------------------------------------------------------------


async def appointment_texts(
    session: AsyncSession, user: User, appointment_id: uuid.UUID
) -> list[AppointmentText]:
    """The texts of an appointment the user can see, by time."""
    await AppointmentService(session, user).get(appointment_id)  # 404 unless visible
    return await AppointmentTextRepository(session, user.tenant_id).of_appointments(
        [appointment_id]
    )


async def texts_by_appointment(
    session: AsyncSession, user: User, appointment_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[AppointmentText]]:
    """The texts of several appointments (a timeline page's), in one query; the caller
    passes appointments the user can see."""
    wanted = set(appointment_ids)
    if not wanted:
        return {}
    repo = AppointmentTextRepository(session, user.tenant_id)
    found: dict[uuid.UUID, list[AppointmentText]] = {}
    for text in await repo.of_appointments(wanted):
        found.setdefault(text.appointment_id, []).append(text)
    return found


# --- settings --------------------------------------------------------------------------------


class AppointmentTextSettingsService:
    """What a manager or admin sets: on or off, the reminders' offsets, quiet hours and the
    words. For the JSON API and the web app alike."""

    def __init__(self, session: AsyncSession, user: User) -> None:
        if user.role not in MANAGERS:
            raise Forbidden("the appointment texts are set by a manager or admin")
        self.session = session
        self.user = user
        self.repo = SettingsRepository(session, user.tenant_id)

    async def read(self) -> AppointmentTextSettingsRead:
        settings = await text_settings(self.session, self.user.tenant_id)
        tenant = await get_tenant(self.session, self.user.tenant_id)
        quiet = settings.quiet
        return AppointmentTextSettingsRead(
            enabled=settings.enabled,
            confirmation_enabled=settings.confirmation_enabled,
            reminder_offsets_minutes=list(settings.offsets),
            quiet_hours=QuietHoursIn(start=f"{quiet.start:%H:%M}", end=f"{quiet.end:%H:%M}")
            if quiet
            else None,
            confirmation_template=settings.confirmation_template,
            reminder_template=settings.reminder_template,
            default_templates=dict(DEFAULT_TEMPLATES),
            placeholders=PLACEHOLDERS,
            timezone=tenant.timezone,
        )

    async def update(self, data: AppointmentTextSettingsUpdate) -> AppointmentTextSettingsRead:
        """Save the changes, and plan the company's upcoming appointments again (a job)."""
        row = await self.repo.current()
        if row is None:
            row = self.repo.add(AppointmentTextSettings())
            defaults = TextSettings.of(None)
            row.enabled, row.confirmation_enabled = True, True
            row.reminder_offsets = list(defaults.offsets)
            row.quiet_start, row.quiet_end = DEFAULT_QUIET_START, DEFAULT_QUIET_END
        changes = data.changes()
        if "quiet_hours" in changes:
            quiet = changes.pop("quiet_hours")
            row.quiet_start = quiet["start"] if quiet else None
            row.quiet_end = quiet["end"] if quiet else None
        if "reminder_offsets_minutes" in changes:
            row.reminder_offsets = changes.pop("reminder_offsets_minutes")
        for name, value in changes.items():
            setattr(row, name, value)
        await self.session.flush()
        retime_company_texts(self.session, self.user.tenant_id)
        return await self.read()


def retime_company_texts(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    payload = {"tenant_id": str(tenant_id)}
    enqueue(session, RETIME_APPOINTMENT_TEXTS_JOB, payload, tenant_id=tenant_id)
