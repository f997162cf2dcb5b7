"""Time as staff say it: days and weeks in the tenant's time zone, and due times in plain
words ("tomorrow at 5pm", "in 2 days", "friday 9am"), turned into UTC instants."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
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


def parse_moment(text: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """A point in time from ISO 8601 or plain words, read in the tenant's zone and returned
    in UTC; words prefer the future ('friday' is the coming one). None if unreadable."""
    raw = text.strip()
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is not None:
        aware = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)
        return aware.astimezone(UTC)
    found = dateparser.parse(
        raw,
        languages=["en"],
        settings={
            "TIMEZONE": str(zone.key),
            "TO_TIMEZONE": "UTC",
            "RETURN_AS_TIMEZONE_AWARE": True,
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": now.astimezone(zone).replace(tzinfo=None),
        },
    )
    return found.astimezone(UTC) if found is not None else None


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
