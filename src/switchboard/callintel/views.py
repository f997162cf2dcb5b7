"""What a screen shows of a call or an in-home recording: the transcript by speaker, the
analysis with the lines each finding cites, the tasks it made and what it changed."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.callintel.lines import Line, transcript_lines
from switchboard.callintel.models import RecordChange
from switchboard.callintel.schemas import AnalysisRead, SourceKind
from switchboard.callintel.service import call_analysis_read, changes_for
from switchboard.crm.models import Call, ContactCard
from switchboard.crm.service import CallService, ContactService
from switchboard.kit.errors import NotFound
from switchboard.kit.pagination import PageParams
from switchboard.tasks.models import Task
from switchboard.tasks.service import TaskFilters, TaskService
from switchboard.tenancy.models import User

_OBJECTION_LABELS = {
    "price": "Price",
    "spouse": "Spouse or partner",
    "timing": "Timing",
    "trust": "Trust",
    "competitor": "Competitor",
    "financing": "Financing",
    "other": "Other",
}


@dataclass(frozen=True)
class Finding:
    label: str  # "Objection: price"
    text: str
    lines: list[int]


@dataclass
class CallView:
    call: Call
    contact: ContactCard | None
    lines: list[Line]
    analysis: AnalysisRead | None
    findings: list[Finding] = field(default_factory=list)
    cited: dict[int, list[str]] = field(default_factory=dict)  # line -> what cites it
    tasks: list[Task] = field(default_factory=list)
    changes: list[RecordChange] = field(default_factory=list)


def findings_of(analysis: AnalysisRead | None) -> list[Finding]:
    """Each finding of the analysis with the lines it cites, in reading order."""
    doc: dict[str, Any] = (analysis.findings if analysis else None) or {}
    if not doc or analysis is None:
        return []

    def lines(key: str) -> list[int]:
        return list((doc.get(key) or {}).get("lines") or [])

    found = [
        Finding("Summary", analysis.summary, lines("summary_lines")),
        Finding("Intent", str(analysis.intent or "").replace("_", " "), lines("intent_lines")),
        Finding("Sentiment", str(analysis.sentiment or ""), lines("sentiment_lines")),
        Finding(
            "Booking", str(analysis.booking_outcome or "").replace("_", " "), lines("booking_lines")
        ),
    ]
    for objection in doc.get("objections") or []:
        label = _OBJECTION_LABELS.get(objection.get("kind"), "Other")
        found.append(
            Finding(f"Objection: {label}", objection.get("detail", ""), objection["lines"])
        )
    for step in doc.get("next_steps") or []:
        due = f" (due: {step['due']})" if step.get("due") else ""
        found.append(Finding("Next step", f"{step.get('title', '')}{due}", step["lines"]))
    return found


def cited_lines(findings: list[Finding]) -> dict[int, list[str]]:
    cited: dict[int, list[str]] = defaultdict(list)
    for finding in findings:
        if finding.label in ("Summary",):
            continue
        for n in finding.lines:
            cited[n].append(finding.label)
    return dict(cited)


async def call_view(session: AsyncSession, user: User, call_id: uuid.UUID) -> CallView:
    call = await CallService(session, user).get(call_id)  # 404 unless the user sees it
    contact = None
    if call.contact_id is not None:
        try:
            contact = await ContactService(session, user).get(call.contact_id)
        except NotFound:
            contact = None
    transcript = call.transcript
    lines = transcript_lines(transcript.text, transcript.segments) if transcript else []
    analysis = call_analysis_read(call.analysis) if call.analysis else None
    findings = findings_of(analysis)
    tasks, _ = await TaskService(session, user).list_page(
        TaskFilters(call_id=call.id), PageParams(limit=50)
    )
    return CallView(
        call=call,
        contact=contact,
        lines=lines,
        analysis=analysis,
        findings=findings,
        cited=cited_lines(findings),
        tasks=tasks,
        changes=await changes_for(session, user.tenant_id, SourceKind.call, call.id),
    )


def line_number_list(lines: list[int]) -> str:
    """'lines 2, 4 and 5' (1-based, as people count)."""
    shown = [str(n + 1) for n in lines]
    if not shown:
        return ""
    if len(shown) == 1:
        return f"line {shown[0]}"
    return "lines " + ", ".join(shown[:-1]) + " and " + shown[-1]
