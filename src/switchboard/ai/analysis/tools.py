"""The assistant's tool over call and visit analyses ("what objections came up this
week?"): served to the staff assistant and over MCP with the other staff tools."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import Field

from switchboard.ai.staff_tools import Args, StaffCall, staff_tool
from switchboard.ai.toolbox import Tool, ToolError
from switchboard.callintel.lines import transcript_lines
from switchboard.callintel.schemas import ObjectionKind
from switchboard.callintel.service import analysed_calls, recordings_made
from switchboard.dashboards.timeframe import local_iso, named_span
from switchboard.kit.schemas import Str


class ListAnalysesArgs(Args):
    when: Str = Field(
        "this week",
        max_length=100,
        description="The range in plain words: 'today', 'yesterday', 'this week', "
        "'last week', 'this month', or one day.",
    )
    objection: ObjectionKind | None = Field(
        None, description="Only analyses that found this objection."
    )
    limit: int = Field(25, ge=1, le=100, description="How many analyses at most.")


def _quote(lines: list[Any], cited: list[int]) -> list[str]:
    return [
        f"line {n + 1}, {lines[n].speaker}: {lines[n].text[:200]}"
        for n in cited[:3]
        if n < len(lines)
    ]


async def list_call_analyses(call: StaffCall, args: ListAnalysesArgs) -> dict[str, Any]:
    try:
        span = named_span(args.when, call.now, call.zone)
    except ValueError as exc:
        raise ToolError(str(exc)) from None
    calls = await analysed_calls(call.session, call.user, span.start, span.end, 200)
    recordings = await recordings_made(call.session, call.user, span.start, span.end, 200)
    contacts = await call.lookups().contacts_by_id(c.contact_id for c in calls)
    items: list[dict[str, Any]] = []
    tally: Counter[str] = Counter()
    for phone_call in calls:
        analysis = phone_call.analysis
        if analysis is None:
            continue
        found = (analysis.findings or {}).get("objections") or [
            {"kind": o, "detail": o, "lines": []} for o in analysis.objections
        ]
        items.append(
            {
                "kind": "call",
                "call_id": str(phone_call.id),
                "contact": contacts[phone_call.contact_id].display_name
                if phone_call.contact_id in contacts
                else phone_call.from_number,
                "at": local_iso(phone_call.started_at, call.zone),
                "summary": analysis.summary,
                "booking_outcome": analysis.booking_outcome,
                "objections": found,
                "lines": transcript_lines(
                    phone_call.transcript.text, phone_call.transcript.segments
                )
                if phone_call.transcript
                else [],
            }
        )
    for recording in recordings:
        doc = recording.analysis or {}
        if not doc.get("summary"):
            continue
        found = (doc.get("findings") or {}).get("objections") or [
            {"kind": str(o), "detail": str(o), "lines": []} for o in doc.get("objections") or []
        ]
        items.append(
            {
                "kind": "in-home recording",
                "recording_id": str(recording.id),
                "at": local_iso(recording.started_at, call.zone),
                "summary": doc["summary"],
                "booking_outcome": doc.get("booking_outcome") or doc.get("outcome"),
                "objections": found,
                "lines": transcript_lines(recording.transcript, recording.transcript_segments),
            }
        )
    if args.objection is not None:
        items = [i for i in items if any(o["kind"] == args.objection for o in i["objections"])]
    for item in items:
        lines = item.pop("lines")
        for objection in item["objections"]:
            tally[objection["kind"]] += 1
            if objection.get("lines"):
                objection["said"] = _quote(lines, objection["lines"])
    return {
        "range": {
            "label": span.label,
            "from": local_iso(span.start, call.zone),
            "to": local_iso(span.end, call.zone),
        },
        "analyses": len(items),
        "objections": dict(tally.most_common()),
        "items": items[: args.limit],
    }


def analysis_tools() -> list[Tool]:
    return [
        staff_tool(
            "list_call_analyses",
            "Otto's call analyses and Shunya's in-home visit analyses in a date range: "
            "how often each objection came up (price, spouse, timing, trust, competitor, "
            "financing), and each analysis' summary, booking outcome and objections with the "
            "transcript lines they were said in. Use for 'what objections came up this week?'.",
            ListAnalysesArgs,
            list_call_analyses,
        )
    ]
