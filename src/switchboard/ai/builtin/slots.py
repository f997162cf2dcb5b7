"""Slots: the names, dates and references inside a staff request.

Names come first and from the tenant's own records: a contact, staff member or task that a
tool listed is found in the text fuzzily (rapidfuzz), and masked, so a company called "Sun
Roofing" never becomes Sunday when dateparser searches the rest for a date. A day of the
month ("the 3rd") is kept as the user wrote it; the tools read it as the next such day, and
a day without a time as that day's close of business (see `dashboards.timeframe`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from rapidfuzz import fuzz

from switchboard.kit.fuzzy import best_match, word_similarity

__all__ = ["Due", "best_match", "find_due", "mask", "warm_dates", "word_similarity"]

MASK = "_"

# Time words dateparser does not know, in the company's sense of them.
_BUSINESS_TIME = re.compile(
    r"\b(?:(?:by\s+)?(?:the\s+)?(?:end of (?:the )?(?:day|week)|eod|eow|cob|close of business)"
    r"|(?:this|tomorrow|in the)\s+(?:morning|afternoon|evening)|tonight)\b",
    re.IGNORECASE,
)
_DAY_OF_MONTH = re.compile(
    r"\b(?:on\s+)?(?:the\s+)(\d{1,2})(?:st|nd|rd|th)\b|\b(?:on\s+)(\d{1,2})(?:st|nd|rd|th)\b",
    re.IGNORECASE,
)
# Leading words dateparser keeps in what it found: "about the march 3", "by friday".
_LEAD_IN = re.compile(
    r"^(?:(?:about|regarding|re|on|by|at|due|for|before|until|till|the)\s+)+", re.I
)
# What dateparser would read as a date in a sentence but staff never mean as one.
_NOT_A_DATE = re.compile(
    r"^(?:\d+|a|an|one|second|now|may|march|sun|sat|wed|mar|the|to|in|on|at|ago|last)$", re.I
)


@dataclass(frozen=True)
class Due:
    """The due time in the user's own words, and the request with it taken out."""

    words: str | None
    rest: str


def mask(text: str, names: Iterable[str]) -> str:
    """`text` with every stretch that fuzzily matches one of `names` blanked out (same
    length, so positions still line up)."""
    masked = text
    for name in sorted({n for n in names if n and n.strip()}, key=len, reverse=True):
        alignment = fuzz.partial_ratio_alignment(name.lower(), masked.lower(), score_cutoff=85)
        if alignment is None:
            continue
        start, end = _widen(masked, alignment.dest_start, alignment.dest_end)
        masked = masked[:start] + re.sub(r"\S", MASK, masked[start:end]) + masked[end:]
    return masked


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    """A fuzzy match may stop inside a word: take the whole words it touches."""
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and (text[end].isalnum() or text[end] in "'\u2019"):
        end += 1
    return start, end


def find_due(text: str, names: Iterable[str] = (), now: datetime | None = None) -> Due:
    """The first date/time phrase of `text`, once `names` are masked: 'call the Hendersons
    tomorrow at 5pm' -> ('tomorrow at 5pm', 'call the Hendersons')."""
    masked = mask(text, names)
    spans: list[tuple[int, int]] = []
    for found in _BUSINESS_TIME.finditer(masked):
        spans.append(found.span())
    for found in _DAY_OF_MONTH.finditer(masked):
        spans.append(found.span())
    if not spans:
        spans += _dateparser_spans(masked, now)
    else:
        # "friday by end of day", "the 3rd at 2pm": a time next to the phrase belongs to it.
        blanked = masked
        for start, end in spans:
            blanked = blanked[:start] + " " * (end - start) + blanked[end:]
        spans += _dateparser_spans(blanked, now)
    spans = [span for span in spans if not _describes_something(masked, *span)]
    if not spans:
        return Due(None, text)
    spans.sort()
    start, end = spans[0]
    for next_start, next_end in spans[1:]:
        if re.fullmatch(r"[\s,]*(?:at|on|by)?[\s,]*", masked[end:next_start], re.I):
            end = max(end, next_end)
    words = _LEAD_IN.sub("", text[start:end].strip(" ,.")).strip(" ,.")
    if re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)", words):
        words = f"the {words}"
    before = re.sub(r"\s+(?:by|on|at|due|for|before|about)\s*$", "", text[:start], flags=re.I)
    rest = " ".join((before + " " + text[end:]).split()).strip(" ,.")
    return Due(words or None, rest)


# "about the march 3 invoice", "the 3rd's delivery": a date that names a thing, not a due time.
_ABOUT = re.compile(
    r"\b(?:about|regarding|re|from|of|since|for)\s+(?:the\s+|our\s+|their\s+)?$", re.I
)
_THING = re.compile(
    r"^\s*(?:invoice|order|estimate|quote|payment|bill|delivery|job|meeting|appointment|visit"
    r"|inspection|call|email|check|shipment|install|proposal|contract|statement|voicemail)s?\b",
    re.I,
)


_TRAILING = re.compile(r"(?:\s+(?:about|regarding|the|for|to|and|with|of|re))+\s*$", re.I)


def _describes_something(text: str, start: int, end: int) -> bool:
    phrase = text[start:end]
    lead = _LEAD_IN.match(phrase.strip())
    before = text[:start] + (phrase.strip()[: lead.end()] if lead else "")
    return bool(_ABOUT.search(before) or _THING.match(text[end:]))


# Where a date could start. dateparser's search costs about a millisecond a word, so it
# reads only from the first such word on, and not at all when there is none.
_DATE_START = re.compile(
    r"\b(?:today|tonight|tomorrow|tmrw|yesterday|next|noon|midnight)\b"
    r"|\b(?:this|coming)\s+\w|\bin\s+(?:\d|an?\b|a few|a couple|one|two|three)"
    r"|\b(?:mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"|\d",
    re.IGNORECASE,
)


def _dateparser_spans(text: str, now: datetime | None) -> list[tuple[int, int]]:
    start = _DATE_START.search(text)
    if start is None:
        return []
    # From the word before: dateparser reads "by 4pm" but not "4pm" on its own.
    before = re.search(r"\S+\s+$", text[: start.start()])
    offset = before.start() if before else start.start()
    return [(a + offset, b + offset) for a, b in _search(text[offset:], now)]


# Each round of a turn reads the same request again: search it once.
@lru_cache(maxsize=512)
def _search(text: str, now: datetime | None) -> tuple[tuple[int, int], ...]:
    from dateparser.search import search_dates

    settings: dict[str, object] = {"PREFER_DATES_FROM": "future"}
    if now is not None:
        settings["RELATIVE_BASE"] = now.replace(tzinfo=None)
    try:
        found = search_dates(text, languages=["en"], settings=settings)
    except Exception:  # dateparser raises on odd input; no date then
        return ()
    spans: list[tuple[int, int]] = []
    cursor = 0
    for phrase, _moment in found or []:
        core = _LEAD_IN.sub("", phrase.strip())
        if not core or _NOT_A_DATE.match(core) or MASK in core:
            continue
        start = text.find(phrase, cursor)
        if start < 0:
            continue
        cursor = start + len(phrase)
        trimmed = _TRAILING.sub("", phrase)
        spans.append((start, start + len(trimmed)))
    return tuple(spans)


def warm_dates() -> None:
    """dateparser loads its language data on first use: do it before the first turn."""
    _dateparser_spans("call them tomorrow at 5pm", None)
