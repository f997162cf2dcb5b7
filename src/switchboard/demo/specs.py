"""The shapes of the demo data tables: plain frozen records that the seeder turns into rows.

Rows point at each other by short keys (a contact's key, a staff email, an appointment key)
so the content modules read like a spreadsheet and never handle ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from switchboard.crm.models import (
    AppointmentStatus,
    CallDirection,
    CallOutcome,
    CallProvider,
    LeadStatus,
    ShiftStatus,
)
from switchboard.messaging.models import Channel, MessageKind, MessageStatus, Sender
from switchboard.tasks.models import AssignedRole, TaskPriority, TaskSource, TaskStatus
from switchboard.tenancy.models import Role

# --- time ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class When:
    """A moment relative to seeding, so the dashboards always look like a working day.

    With `at`, a wall-clock time in the tenant's zone `days` from today; without it, an
    offset from now.
    """

    days: int = 0
    at: str | None = None
    hours: float = 0
    minutes: float = 0


def day(days: int, at: str) -> When:
    """`day(0, "08:30")`: half past eight this morning, tenant time; `day(-3, ...)`: 3 days ago."""
    return When(days=days, at=at)


def ago(*, days: int = 0, hours: float = 0, minutes: float = 0) -> When:
    return When(days=-days, hours=-hours, minutes=-minutes)


def ahead(*, days: int = 0, hours: float = 0, minutes: float = 0) -> When:
    return When(days=days, hours=hours, minutes=minutes)


class LocalClock:
    """Resolves `When`s against one "now" and one tenant's time zone."""

    def __init__(self, now: datetime, timezone: str) -> None:
        self.now = now
        self.zone = ZoneInfo(timezone)
        self.today: date = now.astimezone(self.zone).date()

    def __call__(self, when: When) -> datetime:
        shift = timedelta(hours=when.hours, minutes=when.minutes)
        if when.at is None:
            return self.now + timedelta(days=when.days) + shift
        hour, minute = (int(part) for part in when.at.split(":"))
        local = datetime.combine(
            self.today + timedelta(days=when.days), time(hour, minute), tzinfo=self.zone
        )
        return local.astimezone(UTC) + shift

    def local_at(self, days: int, hour: int, minute: int) -> datetime:
        return self(When(days=days, at=f"{hour:02d}:{minute:02d}"))


# --- tenant and people ---------------------------------------------------------------------


@dataclass(frozen=True)
class TenantSpec:
    name: str
    slug: str
    timezone: str
    business_hours: dict[str, list[str] | None]
    office_phone: str
    number: str  # our Twilio number: SMS and voice, and WhatsApp when `whatsapp`
    whatsapp: bool
    help_text: str
    missed_call_text: str


@dataclass(frozen=True)
class StaffSpec:
    email: str
    name: str
    role: Role
    phone: str


@dataclass(frozen=True)
class ContactSpec:
    key: str
    first_name: str
    last_name: str
    phone: str
    email: str
    street: str
    city: str
    state: str
    postal_code: str
    lead_source: str
    tags: tuple[str, ...]
    created: When
    notes: str | None = None
    sms: bool = True
    whatsapp: bool = False
    other_phone: str | None = None  # a landline or a spouse's mobile


@dataclass(frozen=True)
class LeadSpec:
    """A contact's lead, created when the contact was."""

    contact: str
    status: LeadStatus
    service: str
    source: str
    value: int
    rep: str | None
    responded_after_minutes: float | None  # speed to lead; None: nobody has answered yet
    lost_reason: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class AppointmentSpec:
    key: str
    contact: str
    rep: str
    title: str
    starts: When
    minutes: int
    status: AppointmentStatus
    notes: str | None = None


@dataclass(frozen=True)
class ShiftSpec:
    rep: str
    starts: When
    hours: float
    territory: str
    status: ShiftStatus


# --- calls ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnalysisSpec:
    summary: str
    sentiment: str
    intent: str
    objections: tuple[str, ...]
    booking_outcome: str
    next_steps: tuple[str, ...]
    model: str = "gpt-4o-mini"


@dataclass(frozen=True)
class CallSpec:
    """A call the demo tells a story with; the rest of a handler's quota is generated."""

    key: str
    contact: str
    handler: str
    direction: CallDirection
    outcome: CallOutcome
    at: When
    provider: CallProvider = CallProvider.twilio
    duration: int | None = None  # None: as long as the transcript
    lines: tuple[tuple[str, str], ...] = ()  # ("agent" | "customer", what they said)
    analysis: AnalysisSpec | None = None
    # Analysed by the built-in analyser as the demo loads: its analysis and tasks are Otto's
    # own, not typed in here.
    analyse: bool = False


@dataclass(frozen=True)
class RecordingSpec:
    rep: str
    contact: str
    appointment: str | None
    started: When
    minutes: int
    transcript: str
    analysis: dict[str, Any] | None = None
    analyse: bool = False  # by the built-in analyser as the demo loads (Shunya's own tasks)


# --- tasks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskSpec:
    title: str
    description: str
    status: TaskStatus  # `overdue` is never stored: give an open task a due time in the past
    priority: TaskPriority
    role: AssignedRole
    source: TaskSource
    due: When | None
    assignee: str | None = None
    created_by: str | None = None
    contact: str | None = None
    lead: bool = False  # link the contact's lead too
    appointment: str | None = None
    call: str | None = None
    closed: When | None = None  # completed_at or cancelled_at


# --- text threads --------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageSpec:
    sender: Sender
    body: str
    after_minutes: float = 0  # since the thread's first message
    by: str | None = None  # the staff member who wrote it
    status: MessageStatus | None = None  # default: received inbound, delivered outbound
    error: tuple[str, str] | None = None  # Twilio error code and message
    media: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True)
class ThreadSpec:
    contact: str
    channel: Channel
    title: str
    starts: When
    messages: tuple[MessageSpec, ...]
    taken_over_by: str | None = None
    call: str | None = None  # a voice thread's call: its shunya message is the voicemail


def message_kind(sender: Sender) -> MessageKind:
    automated = (Sender.otto, Sender.shunya, Sender.system)
    return MessageKind.automated if sender in automated else MessageKind.manual


# --- one company ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TenantContent:
    tenant: TenantSpec
    staff: tuple[StaffSpec, ...]
    contacts: tuple[ContactSpec, ...]
    leads: tuple[LeadSpec, ...]
    appointments: tuple[AppointmentSpec, ...] = ()
    shifts: tuple[ShiftSpec, ...] = ()
    calls: tuple[CallSpec, ...] = ()
    # Calls each staff member handled in all: the story calls plus generated routine ones.
    call_quotas: dict[str, int] = field(default_factory=dict)
    recordings: tuple[RecordingSpec, ...] = ()
    tasks: tuple[TaskSpec, ...] = ()
    threads: tuple[ThreadSpec, ...] = ()
