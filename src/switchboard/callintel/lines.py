"""A transcript as numbered lines: its speaker segments, or, for a plain-text transcript,
its "Speaker: words" lines. Analyses cite these numbers; screens show the same lines."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_SPEAKER_PREFIX = re.compile(r"^\s*([^\W\d][\w .'-]{0,38}?)\s*:\s+(\S.*)$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
UNKNOWN_SPEAKER = "Speaker"


@dataclass(frozen=True)
class Line:
    index: int
    speaker: str
    text: str
    start_s: float | None = None
    end_s: float | None = None


def transcript_lines(text: str | None, segments: Sequence[dict[str, Any]] | None) -> list[Line]:
    """The numbered lines of a transcript: one per segment when it has segments."""
    if segments:
        return [
            Line(
                index=n,
                speaker=str(s.get("speaker") or UNKNOWN_SPEAKER),
                text=str(s.get("text") or ""),
                start_s=_seconds(s.get("start_s", s.get("start"))),
                end_s=_seconds(s.get("end_s", s.get("end"))),
            )
            for n, s in enumerate(segments)
        ]
    rows = [row.strip() for row in (text or "").splitlines() if row.strip()]
    if len(rows) == 1 and _SPEAKER_PREFIX.match(rows[0]) is None:
        rows = [part for part in _SENTENCE_END.split(rows[0]) if part.strip()]
    lines: list[Line] = []
    speaker = UNKNOWN_SPEAKER
    for row in rows:
        match = _SPEAKER_PREFIX.match(row)
        if match:
            speaker, row = match.group(1).strip(), match.group(2).strip()
        lines.append(Line(index=len(lines), speaker=speaker, text=row))
    return lines


def _seconds(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None
