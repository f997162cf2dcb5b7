"""What the CSR, rep and executive dashboards answer: counts, rates and short lists, with the
window each number was taken over. Rates are fractions in [0, 1], None when nothing counts."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from switchboard.crm.models import AppointmentStatus, LeadStatus, ShiftStatus
from switchboard.kit.schemas import Schema
from switchboard.tasks.models import TaskSource


class Period(StrEnum):
    """The executive dashboard's look-back: whole local days, today included."""

    week = "7d"
    month = "30d"
    quarter = "90d"

    @property
    def days(self) -> int:
        return int(self.value.removesuffix("d"))


class Window(Schema):
    """[start, end) in UTC: local midnights of the tenant's time zone."""

    start: datetime
    end: datetime


class CallOutcomes(Schema):
    total: int = Field(description="every call in the window, with or without an outcome yet")
    booked: int = 0
    unbooked: int = 0
    missed: int = 0
    voicemail: int = 0
    abandoned: int = 0
    booking_rate: float | None = Field(
        None, description="booked / (booked + unbooked): of the calls that could book, how many did"
    )


class TaskCounts(Schema):
    open: int = Field(description="open and not yet past due")
    overdue: int = Field(description="open and past due")


class Backlog(Schema):
    count: int
    oldest_at: datetime | None = None
    oldest_wait_minutes: int | None = None


class SpeedToLead(Schema):
    leads: int = Field(description="leads created in the window")
    responded: int = Field(description="of those, leads that have had a first response")
    median_seconds: int | None = Field(None, description="median of created → first response")


class Ref(Schema):
    """A linked record by id and display name."""

    id: uuid.UUID
    name: str


class UnansweredCall(Schema):
    id: uuid.UUID
    started_at: datetime
    outcome: str | None
    from_number: str | None
    contact: Ref | None = Field(None, description="the caller, when known")
    session_id: uuid.UUID | None = Field(
        None, description="the caller's latest conversation (a voicemail or their texts)"
    )


class WaitingText(Schema):
    session_id: uuid.UUID
    contact: Ref
    channel: str
    received_at: datetime
    waiting_minutes: int
    last_message: str
    waiting_on: str = Field(description="person, ai or staff: who is answering them")


class CsrQueue(Schema):
    """Live, as of now, whatever day was asked for."""

    unanswered_calls: Backlog = Field(
        description="inbound calls nobody answered (missed, voicemail, abandoned) in the last "
        "7 days with no outbound call to the caller since"
    )
    waiting_on_reply: Backlog = Field(
        description="customers whose latest text is their own, in the last 7 days"
    )
    csr_tasks: TaskCounts = Field(description="tasks assigned to the CSR role")
    my_tasks: TaskCounts = Field(description="tasks assigned to the signed-in user")
    calls: list[UnansweredCall] = Field(description="the unanswered calls, newest first")
    texts: list[WaitingText] = Field(description="the customers waiting, longest first")


class CsrDashboard(Schema):
    day: date
    timezone: str
    window: Window
    as_of: datetime
    csr_calls: CallOutcomes = Field(description="calls of the day handled by a CSR")
    my_calls: CallOutcomes = Field(description="calls of the day handled by the signed-in user")
    appointments_booked: int = Field(description="appointments created during the day")
    speed_to_lead: SpeedToLead
    queue: CsrQueue


class AppointmentItem(Schema):
    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    time: str = Field(description="local wall-clock span, e.g. 10:00-11:00")
    title: str | None
    contact: Ref
    address: str | None = Field(description="the appointment's address, else the contact's")
    status: AppointmentStatus


class ShiftItem(Schema):
    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    time: str
    territory: str | None
    status: ShiftStatus


class WinRate(Schema):
    window: Window
    won: int
    lost: int
    rate: float | None = Field(None, description="won / (won + lost)")


class RecordingCount(Schema):
    window: Window = Field(description="the local week (Monday to Sunday) holding the day")
    count: int


class RepDashboard(Schema):
    day: date
    timezone: str
    window: Window
    rep: Ref
    appointments: list[AppointmentItem] = Field(description="the day's appointments, by start")
    shifts: list[ShiftItem] = Field(description="shifts overlapping the day")
    tasks: TaskCounts = Field(description="tasks assigned to the rep, as of now")
    leads_by_status: dict[LeadStatus, int] = Field(
        description="leads assigned to the rep, as of now"
    )
    recordings_this_week: RecordingCount
    win_rate: WinRate = Field(
        description="the rep's leads decided (won or lost) in the 30 days up to the day's end; "
        "a lead has no closing time of its own, so its last change stands for it"
    )


class SourceLeads(Schema):
    source: str | None
    total: int
    by_status: dict[LeadStatus, int]
    won_value: Decimal


class LeadSummary(Schema):
    """Leads created in the window, where each stands now."""

    total: int
    by_status: dict[LeadStatus, int]
    won: int
    lost: int
    won_value: Decimal = Field(description="sum of the estimated value of the won leads")
    win_rate: float | None = Field(None, description="won / (won + lost)")
    by_source: list[SourceLeads] = Field(description="largest source first")


class Pipeline(Schema):
    """Every lead still open (not won or lost), as of now, whenever it came in."""

    open_leads: int
    value: Decimal


class AppointmentSummary(Schema):
    """Appointments starting in the window."""

    total: int
    by_status: dict[AppointmentStatus, int]
    show_rate: float | None = Field(None, description="completed / (completed + no_show)")


class TaskFlow(Schema):
    created: int
    completed: int = Field(description="tasks completed in the window, whenever created")
    created_by_source: dict[TaskSource, int]


class AiShare(Schema):
    tasks: int = Field(description="tasks created in the window by Otto, Shunya or auto-reply")
    task_share: float | None = Field(None, description="AI tasks / tasks created")
    auto_replies_sent: int = Field(description="outbound messages written by Otto")
    auto_reply_share: float | None = Field(None, description="auto-replies / outbound messages")


class MessageDelivery(Schema):
    outbound: int = Field(description="outbound messages created in the window")
    sent: int = Field(
        description="of those, handed to the carrier (sent, delivered, read, undelivered or "
        "failed); the ones still queued or sending have no verdict yet"
    )
    delivered: int = Field(description="delivered or read")
    delivery_rate: float | None = Field(None, description="delivered / sent")


class DailyTrends(Schema):
    """Each list has one number per day of `days` (local days, oldest first)."""

    days: list[date]
    calls_by_outcome: dict[str, list[int]] = Field(
        description="booked, unbooked, missed, voicemail, abandoned and no_outcome"
    )
    booking_rate: list[float | None] = Field(description="booked / (booked + unbooked)")
    leads: list[int] = Field(description="leads created")
    texts_sent: list[int] = Field(description="outbound messages created")
    texts_delivered: list[int] = Field(description="of those, delivered or read")


class AskedQuestion(Schema):
    text: str = Field(description="the question, lower-cased, its first 200 characters")
    times: int


class AssistantUse(Schema):
    """How staff used the assistant over the period, one number per day of `days`."""

    days: list[date]
    conversations: list[int] = Field(description="conversations started")
    turns: list[int] = Field(description="answers the assistant gave")
    tokens: list[int] = Field(description="prompt and completion tokens of those answers")
    models: dict[str, list[int]] = Field(description="answers by the model that gave them")
    tool_calls: int
    failed_tool_calls: int
    failed_by_tool: dict[str, int]
    top_questions: list[AskedQuestion] = Field(description="most asked first")


class ExecutiveDashboard(Schema):
    period: Period
    timezone: str
    window: Window
    calls: CallOutcomes
    calls_by_handler_role: dict[str, CallOutcomes] = Field(
        description="csr, rep, manager, ai, and `unassigned` for calls no one handled"
    )
    leads: LeadSummary
    pipeline: Pipeline
    speed_to_lead: SpeedToLead
    appointments: AppointmentSummary
    tasks: TaskFlow
    ai: AiShare
    messages: MessageDelivery
    trends: DailyTrends
    assistant: AssistantUse
