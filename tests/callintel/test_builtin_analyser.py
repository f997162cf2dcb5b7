"""The built-in analyser on the realistic transcripts: what it finds, the lines it cites,
and due times read from the words in the company's zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from switchboard.ai.analysis import AnalysisRequest
from switchboard.ai.analysis.builtin import analyse_lines
from switchboard.callintel.due import resolve_due
from switchboard.callintel.lines import transcript_lines
from switchboard.callintel.schemas import Findings, SourceKind
from tests.callintel.transcripts import CALL_AT, CASES, IN_HOME, Case

CHICAGO = ZoneInfo("America/Chicago")


def analyse(case: Case) -> Findings:
    lines = transcript_lines(None, case.segment_dicts())
    kind = SourceKind(case.kind)
    return analyse_lines(AnalysisRequest(kind, lines, contact_name="Jordan Reyes"))


@pytest.mark.parametrize("case", [*CASES, IN_HOME], ids=lambda c: c.name)
def test_each_transcript_is_analysed_as_expected(case: Case) -> None:
    findings = analyse(case)
    assert findings.intent == case.intent
    assert findings.booking_outcome == case.booking
    assert sorted(o.kind for o in findings.objections) == sorted(case.objections)
    assert [(s.kind, s.owner) for s in findings.next_steps] == [
        (s.kind, s.owner) for s in case.steps
    ]
    assert findings.language == case.language
    if case.sentiment:
        assert findings.sentiment == case.sentiment
    base = datetime.fromisoformat(CALL_AT)
    for step, expected in zip(findings.next_steps, case.steps, strict=True):
        if expected.due_words:
            assert step.due == expected.due_words
        if expected.due_local:
            due = resolve_due(step.due, base, CHICAGO)
            assert due is not None
            assert due.astimezone(CHICAGO).strftime("%Y-%m-%d %H:%M") == expected.due_local
        if expected.priority:
            assert step.priority == expected.priority
    # Every finding cites lines of this transcript, and says nothing for lines it lacks.
    count = len(case.segments)
    cited = [n for o in findings.objections for n in o.lines]
    cited += [n for s in findings.next_steps for n in s.lines]
    assert all(0 <= n < count for n in cited)
    Findings.model_validate(findings.model_dump(), context={"line_count": count})


def test_objections_cite_the_customer_lines_that_raised_them() -> None:
    findings = analyse(CASES[1])
    by_kind = {o.kind: o.lines for o in findings.objections}
    assert by_kind == {"price": [1], "competitor": [3], "timing": [4]}
    # The agent's own mention of financing is not the customer's objection.
    assert "financing" not in by_kind


def test_the_same_transcript_gives_the_same_analysis() -> None:
    assert analyse(CASES[3]).model_dump() == analyse(CASES[3]).model_dump()


def test_a_plain_text_transcript_is_read_as_speaker_lines() -> None:
    text = "Agent: Summit Roofing.\nCustomer: Call me back tomorrow morning please.\nAgent: Sure."
    lines = transcript_lines(text, None)
    assert [(line.speaker, line.index) for line in lines] == [
        ("Agent", 0),
        ("Customer", 1),
        ("Agent", 2),
    ]
    findings = analyse_lines(AnalysisRequest(SourceKind.call, lines))
    assert findings.next_steps[0].kind == "call_back"
    assert findings.next_steps[0].due == "tomorrow morning"


@pytest.mark.parametrize(
    ("words", "local"),
    [
        ("Thursday after 5", "2026-11-26 17:00"),
        ("in two days", "2026-11-25 09:00"),
        ("tomorrow morning", "2026-11-24 09:00"),
        ("next week", "2026-11-30 10:00"),
        ("friday at 10am", "2026-11-27 10:00"),
        ("mañana por la tarde", "2026-11-24 14:00"),
        ("el jueves después de las 5", "2026-11-26 17:00"),
        ("in 3 hours", "2026-11-23 12:00"),
        ("Monday", "2026-11-30 10:00"),  # said on a Monday: the next one
        ("December 3 at 4pm", "2026-12-03 16:00"),  # dateparser reads the rest
    ],
)
def test_due_words_are_read_in_the_company_zone_from_the_call(words: str, local: str) -> None:
    due = resolve_due(words, datetime.fromisoformat(CALL_AT), CHICAGO)
    assert due is not None and due.tzinfo is not None
    assert due.astimezone(CHICAGO).strftime("%Y-%m-%d %H:%M") == local


def test_no_time_words_no_due() -> None:
    assert resolve_due("whenever", datetime.fromisoformat(CALL_AT), CHICAGO) is None
    assert resolve_due(None, datetime.fromisoformat(CALL_AT), CHICAGO) is None
