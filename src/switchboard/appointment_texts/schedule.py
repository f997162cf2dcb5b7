"""When an appointment text goes, and what it says: pure functions of the appointment, the
company's settings and the clock, so the rules read (and are tested) on their own.

Quiet hours: a reminder whose time falls in them goes when they end, if that is still
before the appointment; otherwise it goes just before they began, if that has not passed
yet; otherwise it is not sent. The confirmation answers a booking the customer just made
with the office and goes at once, quiet hours or not."""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from switchboard.appointment_texts.models import TextPurpose

# A reminder planned within this long after the booking is not sent: the confirmation
# just told the customer the same.
AFTER_BOOKING = timedelta(minutes=30)
# A reminder whose job runs later than this after its time (workers were down) is skipped
# rather than sent out of step; a confirmation still goes until the appointment starts.
MAX_LATENESS = timedelta(minutes=30)
# "Just before quiet hours began".
BEFORE_QUIET = timedelta(minutes=1)

DEFAULT_TEMPLATES = {
    TextPurpose.confirmation: (
        "Hi {first_name}, your appointment with {company} is booked for {date} at {time}. "
        "Reply to this text if you need to change it."
    ),
    TextPurpose.reminder: (
        "Reminder: your appointment with {company} is {starts_in}, {date} at {time}. "
        "Reply to this text if you need to reschedule."
    ),
}

PLACEHOLDERS = {
    "first_name": "the customer's first name (or \u201cthere\u201d)",
    "name": "the customer's full name",
    "company": "your company's name",
    "date": "the day, like Tuesday, March 3",
    "time": "the start time, like 2:00 PM",
    "starts_in": "how soon, like in 1 hour, today, tomorrow, in 3 days",
    "rep": "the first name of the rep coming (or \u201cour team\u201d)",
    "address": "the appointment's address",
}


@dataclass(frozen=True)
class QuietHours:
    """A daily window in the company's time zone; one that starts after it ends runs past
    midnight (21:00 to 08:00)."""

    start: time
    end: time

    @classmethod
    def of(cls, start: str | None, end: str | None) -> QuietHours | None:
        if not start or not end or start == end:
            return None
        return cls(time.fromisoformat(start), time.fromisoformat(end))

    def window_at(self, moment: datetime, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
        """The quiet window (began, ends) that `moment` falls in, or None."""
        local = moment.astimezone(zone)
        day, clock = local.date(), local.time().replace(tzinfo=None)
        if self.start < self.end:
            if not self.start <= clock < self.end:
                return None
            began_day, end_day = day, day
        elif clock >= self.start:
            began_day, end_day = day, day + timedelta(days=1)
        elif clock < self.end:
            began_day, end_day = day - timedelta(days=1), day
        else:
            return None
        began = datetime.combine(began_day, self.start, tzinfo=zone)
        ends = datetime.combine(end_day, self.end, tzinfo=zone)
        return began, ends

    def label(self) -> str:
        return f"{self.start:%H:%M}\u2013{self.end:%H:%M}"


@dataclass(frozen=True)
class Plan:
    """When a text goes, or why it does not."""

    due_at: datetime | None
    reason: str | None = None


def offset_label(minutes: int) -> str:
    """1440 -> "24 h", 90 -> "1 h 30 min", 30 -> "30 min"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def plan_reminder(
    starts_at: datetime,
    offset_minutes: int,
    *,
    now: datetime,
    booked_at: datetime,
    quiet: QuietHours | None,
    zone: ZoneInfo,
) -> Plan:
    """When the reminder `offset_minutes` before `starts_at` goes."""
    label = offset_label(offset_minutes)
    due = starts_at - timedelta(minutes=offset_minutes)
    window = quiet.window_at(due, zone) if quiet else None
    if window is not None and quiet is not None:
        began, ends = window
        if ends < starts_at:
            due = ends
        elif began - BEFORE_QUIET > now:
            due = began - BEFORE_QUIET
        else:
            return Plan(
                None,
                f"the {label} reminder falls in quiet hours ({quiet.label()}), "
                "which end after the appointment starts",
            )
    if due <= now:
        return Plan(None, f"less than {label} before the appointment: its time has passed")
    if due < booked_at + AFTER_BOOKING:
        return Plan(None, f"booked less than {label} ahead: the confirmation says it")
    return Plan(due)


# --- the words ------------------------------------------------------------------------------


def template_fields(template: str) -> list[str]:
    """The placeholders a template uses; ValueError for one we do not fill, or for braces
    that do not pair (write {{ and }} for a brace of its own)."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"{exc}; write {{{{ and }}}} for a brace of its own") from exc
    fields = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            known = ", ".join("{" + key + "}" for key in PLACEHOLDERS)
            raise ValueError(f"{{{name}}} is not a placeholder; use {known}")
        fields.append(name)
    return fields


def starts_in(now: datetime, starts_at: datetime, zone: ZoneInfo) -> str:
    """How soon the appointment is, as the customer reads it when the text arrives."""
    minutes = round((starts_at - now).total_seconds() / 60)
    if minutes < 50:
        return f"in {max(minutes, 1)} minute{'s' if minutes != 1 else ''}"
    if minutes < 6 * 60:
        hours = round(minutes / 60)
        return f"in {hours} hour{'s' if hours != 1 else ''}"
    days = (starts_at.astimezone(zone).date() - now.astimezone(zone).date()).days
    if days <= 0:
        return "today"
    return "tomorrow" if days == 1 else f"in {days} days"


def clock_time(moment: datetime) -> str:
    return moment.strftime("%I:%M %p").lstrip("0")


def render(template: str, values: dict[str, str]) -> str:
    template_fields(template)
    return template.format_map(values).strip()


def text_values(
    *,
    now: datetime,
    starts_at: datetime,
    zone: ZoneInfo,
    company: str,
    first_name: str | None,
    name: str,
    rep: str | None,
    address: str | None,
) -> dict[str, str]:
    """What each placeholder says, in the company's time zone."""
    local = starts_at.astimezone(zone)
    return {
        "first_name": first_name or "there",
        "name": name,
        "company": company,
        "date": f"{local:%A, %B} {local.day}",
        "time": clock_time(local),
        "starts_in": starts_in(now, starts_at, zone),
        "rep": (rep or "").split(" ")[0] or "our team",
        "address": address or "the address on file",
    }
