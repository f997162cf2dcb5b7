"""When a next step is due, from the words of the transcript ("Thursday after 5", "in two
days", "mañana por la tarde"), read in the company's time zone from the time of the call."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dateparser

_WEEKDAYS = {
    "monday": 0, "lunes": 0,
    "tuesday": 1, "tues": 1, "martes": 1,
    "wednesday": 2, "miércoles": 2, "miercoles": 2,
    "thursday": 3, "thurs": 3, "jueves": 3,
    "friday": 4, "viernes": 4,
    "saturday": 5, "sábado": 5, "sabado": 5,
    "sunday": 6, "domingo": 6,
}  # fmt: skip
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "a couple of": 2, "a couple": 2, "couple of": 2, "a few": 3, "few": 3,
    "un": 1, "una": 1, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
    "un par de": 2,
}  # fmt: skip
_NUMBER = "|".join(sorted((re.escape(k) for k in _NUMBERS), key=len, reverse=True))
_WEEKDAY = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_UNITS = {
    "day": "days", "days": "days", "día": "days", "días": "days", "dia": "days", "dias": "days",
    "week": "weeks", "weeks": "weeks", "semana": "weeks", "semanas": "weeks",
    "hour": "hours", "hours": "hours", "hora": "hours", "horas": "hours",
}  # fmt: skip

_IN_N = re.compile(
    rf"\b(?:in|within|en|dentro de)\s+(?P<n>\d+|{_NUMBER})\s+"
    r"(?P<unit>days?|weeks?|hours?|d[ií]as?|semanas?|horas?)\b",
    re.I,
)
_WEEKDAY_RE = re.compile(rf"\b(?P<next>next\s+|el\s+próximo\s+)?(?P<day>{_WEEKDAY})\b", re.I)
_TOMORROW = re.compile(r"\btomorrow\b|\bpasado\s+mañana\b|(?<!la\s)\bmañana\b", re.I)
_TODAY = re.compile(
    r"\b(?:today|tonight|this\s+(?:afternoon|evening|morning)|later\s+on|hoy|esta\s+(?:tarde|noche))\b",
    re.I,
)
_NEXT_WEEK = re.compile(r"\bnext\s+week\b|\bla\s+(?:próxima\s+semana|semana\s+que\s+viene)\b", re.I)
_CLOCK = re.compile(
    r"\b(?P<lead>after|around|at|by|before|about|después\s+de\s+las|despues\s+de\s+las|"
    r"a\s+las|alrededor\s+de\s+las|antes\s+de\s+las)\s+(?P<h>\d{1,2})(?::(?P<m>\d{2}))?"
    r"\s*(?P<half>a\.?\s?m\.?|p\.?\s?m\.?)?(?![\d%$])",
    re.I,
)
_BARE_CLOCK = re.compile(
    r"\b(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<half>a\.?\s?m\b\.?|p\.?\s?m\b\.?|o'?clock)", re.I
)
_PARTS = (
    (re.compile(r"\b(?:noon|midday|mediod[ií]a)\b", re.I), time(12, 0)),
    (re.compile(r"\b(?:morning|por\s+la\s+mañana|en\s+la\s+mañana)\b", re.I), time(9, 0)),
    (re.compile(r"\b(?:afternoon|por\s+la\s+tarde|en\s+la\s+tarde)\b", re.I), time(14, 0)),
    (re.compile(r"\b(?:evening|tonight|por\s+la\s+noche|esta\s+noche)\b", re.I), time(18, 0)),
    (re.compile(r"\b(?:end\s+of\s+(?:the\s+)?day|close\s+of\s+business|eod)\b", re.I), time(16, 0)),
)
_CALENDAR_DATE = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b|"
    r"\b\d{1,2}\s+de\s+[a-z]+|\b\d{1,2}/\d{1,2}\b|\b\d{4}-\d{2}-\d{2}",
    re.I,
)  # a calendar date: dateparser reads those
DEFAULT_TIME = time(10, 0)  # a day named without a time: mid-morning


@dataclass(frozen=True)
class DueWords:
    """What a phrase says about a time: the words matched, and each part found."""

    words: str
    weekday: int | None = None
    offset: timedelta | None = None
    offset_days: int | None = None
    tomorrow: int = 0  # 1 tomorrow, 2 the day after
    today: bool = False
    next_week: bool = False
    clock: time | None = None


def _number(raw: str) -> int:
    return int(raw) if raw.isdigit() else _NUMBERS.get(raw.lower().strip(), 1)


def _hour(hour: int, minute: int, half: str | None) -> time | None:
    half = (half or "").lower().replace(".", "").replace(" ", "")
    if hour > 23 or minute > 59:
        return None
    if half.startswith("p") and hour < 12:
        hour += 12
    elif half.startswith("a") and hour == 12:
        hour = 0
    elif not half.startswith(("a", "p")) and 1 <= hour <= 7:
        hour += 12  # "after 5" at a business means the afternoon
    return time(hour, minute)


def find_due_words(text: str) -> DueWords | None:
    """The time words in `text`, or None when it names no time at all."""
    spans: list[tuple[int, int]] = []
    fields: dict[str, object] = {}
    if match := _IN_N.search(text):
        n, unit = _number(match.group("n")), _UNITS[match.group("unit").lower()]
        if unit == "hours":
            fields["offset"] = timedelta(hours=n)
        else:
            fields["offset_days"] = n * (7 if unit == "weeks" else 1)
        spans.append(match.span())
    if match := _WEEKDAY_RE.search(text):
        fields["weekday"] = _WEEKDAYS[match.group("day").lower()]
        spans.append(match.span())
    if match := _NEXT_WEEK.search(text):
        fields["next_week"] = True
        spans.append(match.span())
    if match := _TOMORROW.search(text):
        fields["tomorrow"] = 2 if match.group(0).lower().startswith("pasado") else 1
        spans.append(match.span())
    if match := _TODAY.search(text):
        fields["today"] = True
        spans.append(match.span())
    clock = None
    if match := _CLOCK.search(text) or _BARE_CLOCK.search(text):
        half = match.group("half")
        if half and "clock" in half.lower():
            half = None
        clock = _hour(int(match.group("h")), int(match.group("m") or 0), half)
        if clock is not None:
            spans.append(match.span())
    if clock is None:
        for pattern, at in _PARTS:
            if match := pattern.search(text):
                clock = at
                spans.append(match.span())
                break
    if clock is not None:
        fields["clock"] = clock
    if not spans:
        return None
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    return DueWords(words=text[start:end].strip(" ,."), **fields)  # type: ignore[arg-type]


def resolve_due(phrase: str | None, base: datetime, zone: ZoneInfo) -> datetime | None:
    """The moment `phrase` names, said at `base`, in `zone`; returned in UTC. None when the
    phrase names no time. Words this module knows are read by its rules (deterministic);
    anything else goes to dateparser (English or Spanish, future dates preferred)."""
    if not phrase or not phrase.strip():
        return None
    local = base.astimezone(zone)
    found = None if _CALENDAR_DATE.search(phrase) else find_due_words(phrase)
    if found is None:
        return _dateparser(phrase, local, zone)
    if found.offset is not None:
        return (base + found.offset).astimezone(UTC)
    day = None
    if found.offset_days is not None:
        day = local.date() + timedelta(days=found.offset_days)
        if found.clock is None:
            return datetime.combine(day, local.time(), tzinfo=zone).astimezone(UTC)
    elif found.weekday is not None:
        # The coming one ("next Monday" said on a Thursday too); said on that very day,
        # the one a week on: nobody asks for "Thursday" to mean today.
        ahead = (found.weekday - local.weekday()) % 7 or 7
        day = local.date() + timedelta(days=ahead)
    elif found.tomorrow:
        day = local.date() + timedelta(days=found.tomorrow)
    elif found.next_week:
        day = local.date() + timedelta(days=7 - local.weekday())  # next Monday
    elif found.today:
        day = local.date()
    clock = found.clock or DEFAULT_TIME
    if day is None:  # a time alone: the next time the clock says it
        day = local.date()
        if datetime.combine(day, clock, tzinfo=zone) <= local:
            day += timedelta(days=1)
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def _dateparser(phrase: str, local: datetime, zone: ZoneInfo) -> datetime | None:
    parsed = dateparser.parse(
        phrase,
        languages=["en", "es"],
        settings={
            "TIMEZONE": str(zone.key),
            "TO_TIMEZONE": "UTC",
            "RETURN_AS_TIMEZONE_AWARE": True,
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": local.replace(tzinfo=None),
        },
    )
    return parsed.astimezone(UTC) if parsed is not None else None
