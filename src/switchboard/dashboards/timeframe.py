"""Time as staff say it: days and weeks in the tenant's time zone, and due times in plain
words ("tomorrow at 5pm", "in 2 days", "friday 9am"), turned into UTC instants."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import dateparser


@dataclass(frozen=True)
class Span:
    """[start, end) in UTC, with the words it was asked for."""

    label: str
    start: datetime
    end: datetime


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)


def days_span(label: str, first: date, days: int, zone: ZoneInfo) -> Span:
    """Whole local days: DST days are 23 or 25 hours long, so each edge is its own midnight."""
    return Span(
        label, _local_midnight(first, zone), _local_midnight(first + timedelta(days=days), zone)
    )


def today_span(now: datetime, zone: ZoneInfo) -> Span:
    return days_span("today", now.astimezone(zone).date(), 1, zone)


_SPAN_WORDS = re.compile(r"[\s_-]+")


def named_span(words: str, now: datetime, zone: ZoneInfo) -> Span:
    """'today', 'tomorrow', 'yesterday', 'this week', 'next week', 'next 7 days', 'this month',
    or any one day in words ('friday', 'dec 3', '2026-11-25'). ValueError if it is none."""
    key = _SPAN_WORDS.sub(" ", words.strip().lower())
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    spans = {
        "today": (today, 1),
        "tomorrow": (today + timedelta(days=1), 1),
        "yesterday": (today - timedelta(days=1), 1),
        "this week": (monday, 7),
        "next week": (monday + timedelta(days=7), 7),
        "last week": (monday - timedelta(days=7), 7),
        "next 7 days": (today, 7),
        "rest of week": (today, 7 - today.weekday()),
    }
    if key in spans:
        first, days = spans[key]
        return days_span(key, first, days, zone)
    if key == "this month":
        first = today.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return days_span(key, first, (following - first).days, zone)
    moment = parse_moment(words, now, zone)
    if moment is None:
        raise ValueError(f"could not understand {words!r} as a day or range")
    return days_span(words.strip(), moment.astimezone(zone).date(), 1, zone)


_WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order
DEFAULT_CLOSE = time(17, 0)
_DAY_OF_MONTH = re.compile(
    r"^(?:on\s+)?(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)(?:\s*,?\s*(?:at\s+)?(?P<time>.+))?$", re.I
)
_END_OF = re.compile(
    r"^(?:by\s+)?(?:the\s+)?(?:(?:end of (?:the )?(?P<day>day)|eod|cob|close of business)"
    r"|end of (?:the )?(?P<week>week)|eow)$",
    re.I,
)
# Words that say when in the day (or count from now: "in 2 days" keeps the hour): without
# any, a due day means that day's close of business.
_TIME_OF_DAY = re.compile(
    r"\d\s*(?:am|pm|a\.m|p\.m|h\b)|\d:\d|\bnoon\b|\bmidnight\b|\bmorning\b|\bafternoon\b"
    r"|\bevening\b|\btonight\b|\bnight\b|\bhours?\b|\bhrs?\b|\bminutes?\b|\bmins?\b|\bnow\b"
    r"|\bat \d|\bin (?:\d+|an?|one|two|three|a few|a couple(?: of)?) \w+",
    re.I,
)


def closing_time(day: date, hours: dict[str, Any] | None) -> time:
    """When the company closes on `day` by its business hours; 17:00 on a closed day or
    when it has no hours set."""
    window = (hours or {}).get(_WEEKDAY_KEYS[day.weekday()])
    if isinstance(window, list | tuple) and len(window) == 2:
        try:
            opens, closes = time.fromisoformat(str(window[0])), time.fromisoformat(str(window[1]))
        except ValueError:
            return DEFAULT_CLOSE
        return closes if closes > opens else DEFAULT_CLOSE
    return DEFAULT_CLOSE


def _open_on(day: date, hours: dict[str, Any] | None) -> bool:
    return hours is None or bool(hours.get(_WEEKDAY_KEYS[day.weekday()]))


def next_day_of_month(today: date, number: int) -> date | None:
    """'the 3rd': the next day with that number, today included; months without it skipped."""
    if not 1 <= number <= 31:
        return None
    year, month = today.year, today.month
    for _ in range(13):
        try:
            candidate = date(year, month, number)
        except ValueError:
            candidate = None
        if candidate is not None and candidate >= today:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _at_close(day: date, zone: ZoneInfo, hours: dict[str, Any] | None) -> datetime:
    return datetime.combine(day, closing_time(day, hours), zone).astimezone(UTC)


def parse_moment(
    text: str, now: datetime, zone: ZoneInfo, hours: dict[str, Any] | None = None
) -> datetime | None:
    """A point in time from ISO 8601 or plain words, read in the tenant's zone and returned
    in UTC; words prefer the future ('friday' is the coming one). A day without a time of
    day ('friday', 'dec 3', 'the 3rd') is due at that day's close of business (`hours`, the
    tenant's business hours), never at its midnight; 'end of day' is today's close, 'end of
    week' the close of the week's last open day. None if unreadable."""
    raw = text.strip()
    if not raw:
        return None
    local_now = now.astimezone(zone)
    today = local_now.date()
    end_of = _END_OF.match(raw)
    if end_of:
        if end_of.group("day") or not end_of.group("week"):
            day = today
            if _at_close(day, zone, hours) <= now:
                day += timedelta(days=1)
            return _at_close(day, zone, hours)
        last = today + timedelta(days=6 - today.weekday())
        while last > today and not _open_on(last, hours):
            last -= timedelta(days=1)
        return _at_close(last, zone, hours)
    monthly = _DAY_OF_MONTH.match(raw)
    if monthly:
        day_of_month = next_day_of_month(today, int(monthly.group(1)))
        if day_of_month is None:
            return None
        if monthly.group("time"):
            clock = parse_moment(monthly.group("time"), now, zone, hours)
            if clock is None:
                return None
            wall = clock.astimezone(zone).time()
            return datetime.combine(day_of_month, wall, zone).astimezone(UTC)
        return _at_close(day_of_month, zone, hours)
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is not None:
        aware = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)
        return aware.astimezone(UTC)
    found = dateparser.parse(
        _LEAD_WORDS.sub("", raw),
        languages=["en"],
        settings={
            "TIMEZONE": str(zone.key),
            "TO_TIMEZONE": "UTC",
            "RETURN_AS_TIMEZONE_AWARE": True,
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": now.astimezone(zone).replace(tzinfo=None),
        },
    )
    if found is None:
        return None
    if not _TIME_OF_DAY.search(raw):
        return _at_close(found.astimezone(zone).date(), zone, hours)
    return found.astimezone(UTC)


_LEAD_WORDS = re.compile(r"^(?:(?:on|by|due|before|until|till)\s+)+", re.I)


def local_iso(moment: datetime | None, zone: ZoneInfo) -> str | None:
    """'2026-11-22T17:00-06:00': local wall time to the minute, with its offset."""
    if moment is None:
        return None
    return moment.astimezone(zone).isoformat(timespec="minutes")


def local_clock(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M")


def clock_span(starts: datetime, ends: datetime, zone: ZoneInfo) -> str:
    """'09:00-11:30': local wall times of a start and an end."""
    return f"{local_clock(starts, zone)}-{local_clock(ends, zone)}"


def minutes_between(earlier: datetime, later: datetime) -> int:
    return max(0, int((later - earlier).total_seconds() // 60))


def days_of(span: Span, zone: ZoneInfo) -> list[date]:
    """Every local date `span` touches, first to last."""
    first = span.start.astimezone(zone).date()
    last = (span.end - timedelta(microseconds=1)).astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
