"""What an analysis finds in a transcript (the shape both analysers must produce, checked
by Pydantic before anything is stored), and the API's transcript and analysis shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from switchboard.crm.schemas import TranscriptSegment
from switchboard.kit import limits
from switchboard.kit.schemas import Schema, Str
from switchboard.tasks.models import TaskPriority


class SourceKind(StrEnum):
    """What was transcribed: a phone call (Otto) or a rep's in-home recording (Shunya)."""

    call = "call"
    recording = "recording"


class Sentiment(StrEnum):
    positive = "positive"
    neutral = "neutral"
    negative = "negative"
    mixed = "mixed"


class ObjectionKind(StrEnum):
    price = "price"
    spouse = "spouse"  # or partner: the decision is not theirs alone
    timing = "timing"
    trust = "trust"
    competitor = "competitor"
    financing = "financing"
    other = "other"


class BookingOutcome(StrEnum):
    booked = "booked"  # an appointment was set, plainly, on the call
    not_booked = "not_booked"
    follow_up = "follow_up"  # no decision yet; someone gets back to them
    sold = "sold"  # in-home: the customer signed
    not_sold = "not_sold"
    not_applicable = "not_applicable"  # a wrong number, a billing question...


class StepKind(StrEnum):
    call_back = "call_back"
    follow_up = "follow_up"
    send_quote = "send_quote"
    send_contract = "send_contract"
    resolve_complaint = "resolve_complaint"
    schedule = "schedule"
    other = "other"


class Owner(StrEnum):
    """Who does a next step: the CSRs' queue, the rep (of the lead or the visit), managers."""

    csr = "csr"
    rep = "rep"
    manager = "manager"


# --- the analyser's output -------------------------------------------------------------------


class _Finding(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("lines", check_fields=False)
    @classmethod
    def _cited_lines_exist(cls, lines: list[int], info: ValidationInfo) -> list[int]:
        """Every cited line is a line of the transcript (the validation context says how
        many it has): a citation of nothing is an invalid answer, not a finding."""
        count = (info.context or {}).get("line_count")
        if count is not None:
            wrong = [n for n in lines if not 0 <= n < count]
            if wrong:
                raise ValueError(f"lines {wrong} are not in the transcript (0 to {count - 1})")
        return sorted(set(lines))


class Objection(_Finding):
    kind: ObjectionKind
    detail: str = Field(min_length=1, max_length=300)
    lines: list[int] = Field(min_length=1, max_length=20)


class NextStep(_Finding):
    kind: StepKind
    title: str = Field(min_length=1, max_length=limits.TITLE)
    owner: Owner
    due: str | None = Field(None, max_length=100)  # as the transcript says it
    priority: TaskPriority
    lines: list[int] = Field(min_length=1, max_length=20)


class Citation(_Finding):
    lines: list[int] = Field(default_factory=list, max_length=40)


class Findings(BaseModel):
    """One analysis of one transcript. `lines` are 0-based indexes of the transcript's lines
    (its speaker segments), so each finding shows where it came from."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    summary: str = Field(min_length=1, max_length=2000)
    summary_lines: Citation = Field(default_factory=Citation)
    sentiment: Sentiment
    sentiment_lines: Citation = Field(default_factory=Citation)
    intent: str = Field(min_length=1, max_length=limits.NAME)
    intent_lines: Citation = Field(default_factory=Citation)
    objections: list[Objection] = Field(default_factory=list, max_length=20)
    booking_outcome: BookingOutcome
    booking_lines: Citation = Field(default_factory=Citation)
    next_steps: list[NextStep] = Field(default_factory=list, max_length=20)
    language: str = Field("en", max_length=limits.LANGUAGE)

    @model_validator(mode="before")
    @classmethod
    def _citations_as_lists(cls, data: Any) -> Any:
        # Models answer `"summary_lines": [1, 2]`; the stored form is {"lines": [...]}.
        if isinstance(data, dict):
            data = dict(data)
            for key in ("summary_lines", "sentiment_lines", "intent_lines", "booking_lines"):
                if isinstance(data.get(key), list):
                    data[key] = {"lines": data[key]}
        return data


# --- the API ---------------------------------------------------------------------------------


class TranscriptPut(Schema):
    """A transcript from CallRail, a manual import or a transcriber: the text, its speaker
    segments, or both (the text is joined from the segments when left out)."""

    text: Str | None = Field(None, max_length=limits.RECORDING_TRANSCRIPT)
    segments: list[TranscriptSegment] = Field(default_factory=list, max_length=limits.SEGMENTS)
    language: Str | None = Field(None, max_length=limits.LANGUAGE)

    @model_validator(mode="after")
    def _text_or_segments(self) -> TranscriptPut:
        if not (self.text and self.text.strip()) and not self.segments:
            raise ValueError("a transcript needs its text or its segments")
        return self

    def full_text(self) -> str:
        if self.text and self.text.strip():
            return self.text
        return "\n".join(f"{s.speaker}: {s.text}" for s in self.segments)


class TranscriptStored(Schema):
    kind: SourceKind
    record_id: uuid.UUID
    text: str
    segments: list[dict[str, Any]]
    language: str
    analysis_queued: bool


class AnalysisQueued(Schema):
    kind: SourceKind
    record_id: uuid.UUID
    job_id: uuid.UUID
    step: str  # "analyze", or "transcribe" first for a recording with no transcript yet


class AnalysisRead(Schema):
    """The latest analysis of a call or a recording (the DESIGN contract's fields first)."""

    summary: str
    sentiment: str | None
    intent: str | None
    objections: list[str]
    booking_outcome: str | None
    next_steps: list[str]
    model: str | None
    created_at: datetime
    kind: SourceKind
    record_id: uuid.UUID
    findings: dict[str, Any] | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
