"""Load the demo companies into the database: `switchboard seed --demo` and `make demo`.

Content lives in the tables of `summit`, `summit_conversations` and `lakeside`; this module
only turns those tables into rows, with every time placed relative to now in the company's
own time zone, so a freshly loaded demo always looks like a working day.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import cycle
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.ai.analysis.jobs import analyse_now
from switchboard.appointment_texts.models import TextStatus
from switchboard.appointment_texts.service import plan_appointment_texts
from switchboard.callintel.schemas import SourceKind
from switchboard.crm.models import (
    Appointment,
    Call,
    CallAnalysis,
    CallDirection,
    CallOutcome,
    CallProvider,
    CallTranscript,
    ContactCard,
    ContactPhone,
    HandledByRole,
    Lead,
    RecordingSession,
    RecordingStatus,
    RepShift,
)
from switchboard.demo.content import DEMO_COMPANIES
from switchboard.demo.repository import any_tenant
from switchboard.demo.specs import (
    CallSpec,
    LocalClock,
    MessageSpec,
    TaskSpec,
    TenantContent,
    ThreadSpec,
    message_kind,
)
from switchboard.kit.clock import utcnow
from switchboard.kit.models import RecordMixin, TenantScoped
from switchboard.messaging.models import (
    Channel,
    Direction,
    Message,
    MessageStatus,
    MessagingSession,
    Sender,
    SessionStatus,
)
from switchboard.messaging.text import preview_of
from switchboard.tasks.models import Task, TaskStatus
from switchboard.tenancy.models import ChannelAccount, ChannelKind, Role, Tenant, User
from switchboard.tenancy.security import hash_password
from switchboard.tenancy.service import tenant_by_slug

DEMO_PASSWORD = "demo"
DEMO_TENANT_SLUG = DEMO_COMPANIES[0].tenant.slug

DEMO_LOGINS: list[tuple[str, str]] = [
    (staff.email, staff.role.value) for staff in DEMO_COMPANIES[0].staff
] + [
    (staff.email, staff.role.value)
    for company in DEMO_COMPANIES[1:]
    for staff in company.staff
    if staff.role is Role.manager
]

# The unit of work orders inserts only along relationship()s, and most foreign keys here
# have none, so rows go in by layer: each layer points only at rows of earlier layers.
_LAYERS: dict[type[RecordMixin], int] = {
    Tenant: 0,
    User: 1,
    ChannelAccount: 1,
    ContactCard: 1,
    ContactPhone: 2,
    Lead: 2,
    RepShift: 2,
    MessagingSession: 2,
    Call: 3,
    Appointment: 3,
    Message: 3,
    CallTranscript: 4,
    CallAnalysis: 4,
    RecordingSession: 4,
    Task: 4,
}

_REPORTED: dict[type[RecordMixin], tuple[str, str]] = {
    User: ("user", "users"),
    ContactCard: ("contact", "contacts"),
    Lead: ("lead", "leads"),
    Call: ("call", "calls"),
    CallTranscript: ("call transcript", "call transcripts"),
    CallAnalysis: ("call analysis", "call analyses"),
    Appointment: ("appointment", "appointments"),
    RepShift: ("rep shift", "rep shifts"),
    RecordingSession: ("recording session", "recording sessions"),
    Task: ("task", "tasks"),
    MessagingSession: ("text thread", "text threads"),
    Message: ("message", "messages"),
}

# The routine calls that fill each handler's quota around the story calls, by role.
_CSR_ROUTINE = (
    (CallDirection.inbound, CallOutcome.booked),
    (CallDirection.inbound, CallOutcome.unbooked),
    (CallDirection.inbound, CallOutcome.missed),
    (CallDirection.outbound, CallOutcome.booked),
    (CallDirection.inbound, CallOutcome.abandoned),
    (CallDirection.outbound, CallOutcome.voicemail),
    (CallDirection.inbound, CallOutcome.booked),
    (CallDirection.outbound, CallOutcome.unbooked),
)
_REP_ROUTINE = (
    (CallDirection.outbound, CallOutcome.unbooked),
    (CallDirection.outbound, CallOutcome.booked),
    (CallDirection.outbound, CallOutcome.voicemail),
    (CallDirection.inbound, CallOutcome.unbooked),
    (CallDirection.outbound, CallOutcome.booked),
    (CallDirection.inbound, CallOutcome.missed),
)
_DURATIONS = {
    CallOutcome.booked: (240, 720),
    CallOutcome.unbooked: (90, 480),
    CallOutcome.missed: (0, 0),
    CallOutcome.voicemail: (25, 75),
    CallOutcome.abandoned: (4, 35),
}
# Recent days weigh more, so today's and yesterday's numbers are never empty.
_DAYS_BACK = (0, 0, 0, 1, 1, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13)

R = TypeVar("R", bound=RecordMixin)


@dataclass
class SeedReport:
    """What a seed run created, per company; empty when the demo data was already there."""

    created: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def already_loaded(self) -> bool:
        return not self.created

    def summary(self) -> str:
        if self.already_loaded:
            return f"Demo data already loaded ({DEMO_TENANT_SLUG!r} exists): nothing was added."
        lines = ["Loaded the demo data:"]
        for company, counts in self.created.items():
            lines.append(f"  {company}: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
        return "\n".join(lines)


async def database_is_empty(session: AsyncSession) -> bool:
    return not await any_tenant(session)


async def seed_demo(session: AsyncSession) -> SeedReport:
    """Add the demo companies to the caller's transaction (flushed, never committed)."""
    if await tenant_by_slug(session, DEMO_TENANT_SLUG) is not None:
        return SeedReport()
    password_hash = hash_password(DEMO_PASSWORD)  # argon2 is slow on purpose: hash once
    now = utcnow()
    builders = [_CompanyBuilder(content, password_hash, now) for content in DEMO_COMPANIES]
    rows = [row for builder in builders for row in builder.build()]
    for layer in sorted(set(_LAYERS.values())):
        session.add_all([row for row in rows if _LAYERS[type(row)] == layer])
        await session.flush()
    for builder in builders:
        for kind, record_id in builder.to_analyse:
            # The analyser itself writes these analyses and their tasks, as it would live.
            await analyse_now(session, builder.tenant.id, kind, record_id)
    reports = {}
    for builder in builders:
        report = builder.report()
        reminders = await _plan_reminders(session, builder)
        if reminders:
            report["scheduled reminder" if reminders == 1 else "scheduled reminders"] = reminders
        reports[f"{builder.tenant.name} ({builder.tenant.slug})"] = report
    return SeedReport(reports)


async def _plan_reminders(session: AsyncSession, builder: _CompanyBuilder) -> int:
    """The upcoming appointments' reminders, planned by the appointment-text rules
    themselves (their jobs send them when due, like any booking's); no confirmation: these
    were booked before the demo began."""
    planned = 0
    for appointment in builder.appointments.values():
        texts = await plan_appointment_texts(
            session, builder.tenant.id, appointment.id, booked=False
        )
        planned += sum(1 for text in texts if text.status == TextStatus.scheduled)
    return planned


def _provider_id(prefix: str, *parts: object) -> str:
    """Twilio-shaped ids ("SM" + 32 hex) that are the same on every run."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()
    return prefix + digest[:32]


class _CompanyBuilder:
    """Turns one company's tables into unsaved rows with ids, linked by those ids."""

    def __init__(self, content: TenantContent, password_hash: str, now: datetime) -> None:
        self.content = content
        self.password_hash = password_hash
        self.now = now
        self.clock = LocalClock(now, content.tenant.timezone)
        self.rng = random.Random(f"{content.tenant.slug}:calls")
        self.rows: list[RecordMixin] = []
        self.made: Counter[type[RecordMixin]] = Counter()
        self.tenant = self._tenant()
        self.users: dict[str, User] = {}
        self.contacts: dict[str, ContactCard] = {}
        self.numbers: dict[str, str] = {}  # contact key -> primary phone
        self.leads: dict[str, Lead] = {}
        self.calls: dict[str, Call] = {}
        self.appointments: dict[str, Appointment] = {}
        # What the built-in analyser reads once the rows are in: (kind, record id).
        self.to_analyse: list[tuple[SourceKind, uuid.UUID]] = []

    def build(self) -> list[RecordMixin]:
        self._channels()
        self._staff()
        self._contacts()
        self._leads()
        self._appointments()
        self._shifts()
        self._calls()
        self._recordings()
        self._tasks()
        for thread in self.content.threads:
            self._thread(thread)
        return self.rows

    def count(self, model: type[RecordMixin]) -> int:
        return self.made[model]

    def report(self) -> dict[str, int]:
        """Rows made per kind, as "6 users", skipping the kinds this company has none of."""
        counts = ((self.count(model), names) for model, names in _REPORTED.items())
        return {(one if n == 1 else many): n for n, (one, many) in counts if n}

    def _add(self, row: R, at: datetime | None = None) -> R:
        row.id = uuid.uuid4()
        if isinstance(row, TenantScoped):
            row.tenant_id = self.tenant.id
        if at is not None:
            row.created_at = row.updated_at = at
        self.rows.append(row)
        self.made[type(row)] += 1
        return row

    # --- company and people ----------------------------------------------------------------

    def _tenant(self) -> Tenant:
        spec = self.content.tenant
        return self._add(
            Tenant(
                name=spec.name,
                slug=spec.slug,
                timezone=spec.timezone,
                business_hours=spec.business_hours,
                office_phone=spec.office_phone,
                auto_reply_enabled=True,
                missed_call_text_enabled=True,
                missed_call_text=spec.missed_call_text,
                help_text=spec.help_text,
            )
        )

    def _channels(self) -> None:
        number = self.content.tenant.number
        kinds = [(ChannelKind.sms, number), (ChannelKind.voice, number)]
        if self.content.tenant.whatsapp:
            kinds.append((ChannelKind.whatsapp, f"whatsapp:{number}"))
        for kind, address in kinds:
            label = f"Main line ({'WhatsApp' if kind is ChannelKind.whatsapp else kind.upper()})"
            self._add(ChannelAccount(provider="twilio", kind=kind, address=address, label=label))

    def _staff(self) -> None:
        for spec in self.content.staff:
            self.users[spec.email] = self._add(
                User(
                    email=spec.email,
                    name=spec.name,
                    role=spec.role,
                    phone=spec.phone,
                    password_hash=self.password_hash,
                    active=True,
                )
            )

    def _contacts(self) -> None:
        for spec in self.content.contacts:
            created = self.clock(spec.created)
            contact = self._add(
                ContactCard(
                    first_name=spec.first_name,
                    last_name=spec.last_name,
                    email=spec.email,
                    address_line1=spec.street,
                    city=spec.city,
                    state=spec.state,
                    postal_code=spec.postal_code,
                    lead_source=spec.lead_source,
                    tags=list(spec.tags),
                    consent={"sms": spec.sms, "whatsapp": spec.whatsapp, "voice": True},
                    notes=spec.notes,
                ),
                created,
            )
            self.contacts[spec.key] = contact
            self.numbers[spec.key] = spec.phone
            self._add(
                ContactPhone(
                    contact_id=contact.id, number=spec.phone, label="mobile", is_primary=True
                ),
                created,
            )
            if spec.other_phone:
                self._add(
                    ContactPhone(contact_id=contact.id, number=spec.other_phone, label="spouse"),
                    created,
                )

    def _leads(self) -> None:
        for spec in self.content.leads:
            created = self.contacts[spec.contact].created_at
            responded = spec.responded_after_minutes
            self.leads[spec.contact] = self._add(
                Lead(
                    contact_id=self.contacts[spec.contact].id,
                    status=spec.status,
                    source=spec.source,
                    service=spec.service,
                    assigned_rep_id=self.users[spec.rep].id if spec.rep else None,
                    estimated_value=Decimal(spec.value),
                    lost_reason=spec.lost_reason,
                    first_response_at=(
                        created + timedelta(minutes=responded) if responded is not None else None
                    ),
                    notes=spec.notes,
                ),
                created,
            )

    # --- schedule --------------------------------------------------------------------------

    def _appointments(self) -> None:
        for spec in self.content.appointments:
            contact = self.contacts[spec.contact]
            starts = self.clock(spec.starts)
            lead = self.leads.get(spec.contact)
            self.appointments[spec.key] = self._add(
                Appointment(
                    contact_id=contact.id,
                    lead_id=lead.id if lead else None,
                    rep_id=self.users[spec.rep].id,
                    title=spec.title,
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=spec.minutes),
                    status=spec.status,
                    address=contact.address,
                    notes=spec.notes,
                ),
                max(contact.created_at, min(starts - timedelta(days=2), self.now)),
            )

    def _shifts(self) -> None:
        for spec in self.content.shifts:
            starts = self.clock(spec.starts)
            self._add(
                RepShift(
                    rep_id=self.users[spec.rep].id,
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=spec.hours),
                    territory=spec.territory,
                    status=spec.status,
                ),
                min(starts - timedelta(days=3), self.now),
            )

    # --- calls -----------------------------------------------------------------------------

    def _calls(self) -> None:
        handled: Counter[str] = Counter()
        for spec in self.content.calls:
            self.calls[spec.key] = self._story_call(spec)
            handled[spec.handler] += 1
        for email, quota in self.content.call_quotas.items():
            routine = quota - handled[email]
            assert routine >= 0, f"{email} has more story calls than their quota"
            self._routine_calls(self.users[email], routine)

    def _call(
        self,
        *,
        contact_key: str,
        handler: User,
        direction: CallDirection,
        outcome: CallOutcome,
        started: datetime,
        duration: int,
        provider: CallProvider,
    ) -> Call:
        n = self.count(Call)
        slug = self.tenant.slug
        ours = self.content.tenant.number
        if provider is CallProvider.manual:
            ours = handler.phone or ours
            call_id = f"manual-{_provider_id('', slug, 'call', n)[:20]}"
        elif provider is CallProvider.callrail:
            ours = self.content.tenant.office_phone
            call_id = _provider_id("CAL", slug, "call", n)
        else:
            call_id = _provider_id("CA", slug, "call", n)
        theirs = self.numbers[contact_key]
        inbound = direction is CallDirection.inbound
        answered = outcome not in (CallOutcome.missed, CallOutcome.abandoned)
        recorded = provider is not CallProvider.manual and answered and duration > 0
        lead = self.leads.get(contact_key)
        return self._add(
            Call(
                contact_id=self.contacts[contact_key].id,
                lead_id=lead.id if lead else None,
                direction=direction,
                from_number=theirs if inbound else ours,
                to_number=ours if inbound else theirs,
                started_at=started,
                duration_seconds=duration,
                outcome=outcome,
                handled_by_role=HandledByRole(handler.role.value),
                handled_by_user_id=handler.id,
                provider=provider,
                provider_call_id=call_id,
                provider_status=(
                    None
                    if provider is CallProvider.manual
                    else "no-answer"
                    if outcome is CallOutcome.missed
                    else "completed"
                ),
                recording_url=(
                    f"https://demo-recordings.switchboard.test/{slug}/{call_id}.mp3"
                    if recorded
                    else None
                ),
            ),
            started,
        )

    def _story_call(self, spec: CallSpec) -> Call:
        segments = _segments(spec.lines)
        duration = spec.duration if spec.duration is not None else int(segments[-1]["end_s"]) + 4
        call = self._call(
            contact_key=spec.contact,
            handler=self.users[spec.handler],
            direction=spec.direction,
            outcome=spec.outcome,
            started=self.clock(spec.at),
            duration=duration,
            provider=spec.provider,
        )
        ended = call.started_at + timedelta(seconds=duration)
        if segments:
            text = "\n".join(f"{s['speaker'].title()}: {s['text']}" for s in segments)
            self._add(CallTranscript(call_id=call.id, text=text, segments=segments), ended)
        if spec.analyse:
            self.to_analyse.append((SourceKind.call, call.id))
        if spec.analysis is not None:
            a = spec.analysis
            self._add(
                CallAnalysis(
                    call_id=call.id,
                    summary=a.summary,
                    sentiment=a.sentiment,
                    intent=a.intent,
                    objections=list(a.objections),
                    booking_outcome=a.booking_outcome,
                    next_steps=list(a.next_steps),
                    model=a.model,
                ),
                ended + timedelta(seconds=20),
            )
        return call

    def _routine_calls(self, handler: User, how_many: int) -> None:
        """Everyday calls around the story: fixed outcome mix, seeded times and contacts."""
        pattern = _CSR_ROUTINE if handler.role is Role.csr else _REP_ROUTINE
        offset = self.rng.randrange(len(pattern))
        shapes = cycle(pattern[offset:] + pattern[:offset])
        contacts = list(self.content.contacts)
        for _ in range(how_many):
            direction, outcome = next(shapes)
            started = self._business_hours_moment()
            known = [c.key for c in contacts if self.contacts[c.key].created_at <= started]
            low, high = _DURATIONS[outcome]
            if direction is CallDirection.outbound and handler.role is Role.rep:
                provider = self.rng.choice((CallProvider.manual, CallProvider.twilio))
            elif direction is CallDirection.inbound and self.rng.random() < 0.35:
                provider = CallProvider.callrail  # the ad campaigns' tracking numbers
            else:
                provider = CallProvider.twilio
            self._call(
                contact_key=self.rng.choice(known),
                handler=handler,
                direction=direction,
                outcome=outcome,
                started=started,
                duration=self.rng.randint(low, high),
                provider=provider,
            )

    def _business_hours_moment(self) -> datetime:
        days_back = self.rng.choice(_DAYS_BACK)
        moment = self.clock.local_at(-days_back, self.rng.randint(8, 17), self.rng.randrange(60))
        while moment > self.now - timedelta(minutes=5):
            moment -= timedelta(days=1)
        return moment

    # --- recordings and tasks --------------------------------------------------------------

    def _recordings(self) -> None:
        slug = self.tenant.slug
        for n, spec in enumerate(self.content.recordings):
            started = self.clock(spec.started)
            ended = started + timedelta(minutes=spec.minutes)
            appointment = self.appointments[spec.appointment] if spec.appointment else None
            recording = self._add(
                RecordingSession(
                    rep_id=self.users[spec.rep].id,
                    appointment_id=appointment.id if appointment else None,
                    started_at=started,
                    ended_at=ended,
                    status=RecordingStatus.completed,
                    audio_url=f"https://demo-recordings.switchboard.test/{slug}/shunya-{n + 1}.m4a",
                    transcript=spec.transcript,
                    analysis=spec.analysis,
                    source="shunya",
                ),
                started,
            )
            if spec.analyse:
                self.to_analyse.append((SourceKind.recording, recording.id))

    def _tasks(self) -> None:
        for spec in self.content.tasks:
            due = self.clock(spec.due) if spec.due else None
            closed = self.clock(spec.closed) if spec.closed else None
            contact = self.contacts[spec.contact] if spec.contact else None
            lead = self.leads.get(spec.contact) if spec.lead and spec.contact else None
            call = self.calls[spec.call] if spec.call else None
            appointment = self.appointments[spec.appointment] if spec.appointment else None
            self._add(
                Task(
                    title=spec.title,
                    description=spec.description,
                    status=spec.status,
                    priority=spec.priority,
                    due_at=due,
                    assigned_role=spec.role,
                    assignee_id=self.users[spec.assignee].id if spec.assignee else None,
                    source=spec.source,
                    created_by_id=self.users[spec.created_by].id if spec.created_by else None,
                    contact_id=contact.id if contact else None,
                    lead_id=lead.id if lead else None,
                    appointment_id=appointment.id if appointment else None,
                    call_id=call.id if call else None,
                    completed_at=closed if spec.status is TaskStatus.completed else None,
                    cancelled_at=closed if spec.status is TaskStatus.cancelled else None,
                ),
                self._task_created(spec, due, closed, contact, call),
            )

    def _task_created(
        self,
        spec: TaskSpec,
        due: datetime | None,
        closed: datetime | None,
        contact: ContactCard | None,
        call: Call | None,
    ) -> datetime:
        """Just after the call it came from, else a few hours before it was due."""
        if call is not None:
            created = call.started_at + timedelta(seconds=call.duration_seconds + 60)
        else:
            created = min(t for t in (self.now, due, closed) if t is not None) - timedelta(hours=3)
            if contact is not None:
                created = max(created, contact.created_at)
        return min(created, closed) if closed else min(created, self.now)

    # --- text threads ----------------------------------------------------------------------

    def _addresses(self, thread: ThreadSpec) -> tuple[str, str]:
        """(theirs, ours): E.164 numbers, with Twilio's "whatsapp:" prefix on WhatsApp."""
        prefix = "whatsapp:" if thread.channel is Channel.whatsapp else ""
        return prefix + self.numbers[thread.contact], prefix + self.content.tenant.number

    def _thread(self, spec: ThreadSpec) -> None:
        theirs, ours = self._addresses(spec)
        last_offset = timedelta(minutes=spec.messages[-1].after_minutes)
        # A thread pinned to a clock time today must still have happened already.
        starts = min(self.clock(spec.starts), self.now - last_offset - timedelta(minutes=1))
        ends = starts + last_offset
        taken_over = self.users[spec.taken_over_by] if spec.taken_over_by else None
        quiet = ends < self.now - timedelta(days=1)
        call = self.calls[spec.call] if spec.call else None
        last = spec.messages[-1]
        inbound_offsets = [m.after_minutes for m in spec.messages if _is_inbound(m.sender, spec)]
        session = self._add(
            MessagingSession(
                contact_id=self.contacts[spec.contact].id,
                channel=spec.channel,
                counterpart_address=theirs,
                our_address=ours,
                status=SessionStatus.closed if quiet else SessionStatus.open,
                ai_paused=taken_over is not None,
                taken_over_by_id=taken_over.id if taken_over else None,
                message_count=len(spec.messages),
                first_message_at=starts,
                last_message_at=ends,
                title=spec.title,
                last_message_preview=preview_of(last.body, list(last.media)),
                last_inbound_at=(
                    starts + timedelta(minutes=max(inbound_offsets)) if inbound_offsets else None
                ),
            ),
            starts,
        )
        last_inbound: Message | None = None
        for m in spec.messages:
            message = self._message(spec, m, session, starts, call, last_inbound)
            if message.direction == Direction.inbound:
                last_inbound = message

    def _message(
        self,
        thread: ThreadSpec,
        m: MessageSpec,
        session: MessagingSession,
        thread_starts: datetime,
        call: Call | None,
        last_inbound: Message | None,
    ) -> Message:
        at = thread_starts + timedelta(minutes=m.after_minutes)
        inbound = _is_inbound(m.sender, thread)
        status = m.status or (MessageStatus.received if inbound else MessageStatus.delivered)
        media = list(m.media)
        sid = self._message_sid(thread.channel, status, bool(media))
        if call is not None and m.sender is Sender.shunya:
            # The voicemail, as the voice webhook stores it: keyed by the call, audio attached.
            sid = f"voicemail:{call.provider_call_id}"
            if call.recording_url:
                media = [{"url": call.recording_url, "content_type": "audio/mpeg"}]
        theirs, ours = self._addresses(thread)
        return self._add(
            Message(
                session_id=session.id,
                contact_id=session.contact_id,
                direction=Direction.inbound if inbound else Direction.outbound,
                sender=m.sender,
                sender_user_id=self.users[m.by].id if m.by else None,
                kind=message_kind(m.sender),
                channel=thread.channel,
                from_address=theirs if inbound else ours,
                to_address=ours if inbound else theirs,
                body=m.body,
                media=media,
                provider_message_id=sid,
                status=status,
                error_code=m.error[0] if m.error else None,
                error_message=m.error[1] if m.error else None,
                in_reply_to_id=(
                    last_inbound.id
                    if last_inbound and not inbound and m.sender is Sender.otto
                    else None
                ),
                call_id=call.id if call else None,
                sent_at=at + timedelta(seconds=1) if _left_us(status) else None,
                delivered_at=(
                    at + timedelta(seconds=4)
                    if status in (MessageStatus.delivered, MessageStatus.read)
                    else None
                ),
            ),
            at,
        )

    def _message_sid(self, channel: Channel, status: MessageStatus, media: bool) -> str | None:
        """Twilio assigns a sid once it accepts a message; voice events have none."""
        if channel is Channel.voice or status in (MessageStatus.queued, MessageStatus.sending):
            return None
        return _provider_id("MM" if media else "SM", self.tenant.slug, "msg", self.count(Message))


def _is_inbound(sender: Sender, thread: ThreadSpec) -> bool:
    """Voice threads hold what a caller left us: the missed call and its voicemail."""
    return sender is Sender.customer or thread.channel is Channel.voice


def _left_us(status: MessageStatus) -> bool:
    return status in (
        MessageStatus.sent,
        MessageStatus.delivered,
        MessageStatus.read,
        MessageStatus.undelivered,
    )


def _segments(lines: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """Speaker turns with plausible timings: about 2.7 words a second, short pauses."""
    segments: list[dict[str, Any]] = []
    clock = 1.0
    for speaker, text in lines:
        length = max(1.5, len(text.split()) / 2.7)
        segments.append(
            {
                "speaker": speaker,
                "text": text,
                "start_s": round(clock, 1),
                "end_s": round(clock + length, 1),
            }
        )
        clock += length + 0.6
    return segments


__all__ = ["DEMO_LOGINS", "SeedReport", "database_is_empty", "seed_demo"]
