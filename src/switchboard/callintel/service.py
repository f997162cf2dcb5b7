"""Call intelligence rules: transcripts in (API, Twilio, a transcriber), their analysis
queued as a job after commit, and what a finished analysis does: the analysis stored, each
next step kept as one task (never duplicated, never reopened), and the call's outcome and
the lead's status set when the transcript states them plainly, as made by Otto or Shunya."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.callintel.due import resolve_due
from switchboard.callintel.lines import Line, transcript_lines
from switchboard.callintel.models import ChangeMaker, RecordChange
from switchboard.callintel.repository import (
    calls_analysed_between,
    changes_made_by,
    last_change,
    recordings_between,
)
from switchboard.callintel.schemas import (
    AnalysisQueued,
    AnalysisRead,
    BookingOutcome,
    Findings,
    NextStep,
    Owner,
    SourceKind,
    StepKind,
    TranscriptPut,
    TranscriptStored,
)
from switchboard.crm.models import (
    Appointment,
    Call,
    CallAnalysis,
    CallOutcome,
    CallTranscript,
    ContactCard,
    Lead,
    LeadStatus,
    RecordingSession,
    RecordingStatus,
)
from switchboard.crm.service import (
    CallService,
    RecordingSessionService,
    drop_call_analysis,
    drop_call_transcript,
    fresh_call,
    fresh_recording,
    lead_of_call,
)
from switchboard.kit.clock import utcnow
from switchboard.kit.errors import Conflict, NotFound
from switchboard.kit.events import Event, emit
from switchboard.kit.jobs import Job, enqueue
from switchboard.tasks.models import AssignedRole, Task, TaskPriority, TaskSource, TaskStatus
from switchboard.tasks.schemas import TaskCreate
from switchboard.tasks.service import (
    create_system_task,
    has_system_task_for_call,
    keep_system_task_in_step,
    task_by_origin,
)
from switchboard.tenancy.models import Tenant, User
from switchboard.tenancy.service import get_tenant

ANALYZE_JOB = "callintel.analyze"
TRANSCRIBE_JOB = "callintel.transcribe"
ANALYSIS_CREATED = "analysis.created"
ANALYSIS_ATTEMPTS = 3
# A lead worth this much raises its follow-ups to high priority: the stakes.
HIGH_STAKES_VALUE = Decimal(10_000)
# An early lead a plainly booked appointment moves on; later ones are a person's call.
_BEFORE_APPOINTMENT = frozenset({LeadStatus.new, LeadStatus.contacted, LeadStatus.qualified})
_DONE = frozenset({TaskStatus.completed, TaskStatus.cancelled})
_SOURCES = {SourceKind.call: TaskSource.otto, SourceKind.recording: TaskSource.shunya}
_MAKERS = {SourceKind.call: ChangeMaker.otto, SourceKind.recording: ChangeMaker.shunya}


# --- transcripts in --------------------------------------------------------------------------


def queue_analysis(
    session: AsyncSession, tenant_id: uuid.UUID, kind: SourceKind, record_id: uuid.UUID
) -> Job:
    """Analyse the record's transcript once this transaction commits."""
    payload = {"kind": kind.value, "record_id": str(record_id), "tenant_id": str(tenant_id)}
    return enqueue(
        session, ANALYZE_JOB, payload, tenant_id=tenant_id, max_attempts=ANALYSIS_ATTEMPTS
    )


def queue_transcription(
    session: AsyncSession, tenant_id: uuid.UUID, kind: SourceKind, record_id: uuid.UUID
) -> Job:
    payload = {"kind": kind.value, "record_id": str(record_id), "tenant_id": str(tenant_id)}
    return enqueue(session, TRANSCRIBE_JOB, payload, tenant_id=tenant_id, max_attempts=3)


async def store_call_transcript(
    session: AsyncSession,
    call: Call,
    text: str,
    segments: list[dict[str, Any]],
    language: str | None,
    *,
    analyse: bool = True,
) -> CallTranscript:
    """Set (or replace) the call's transcript, and queue its analysis."""
    await drop_call_transcript(session, call)
    transcript = CallTranscript(
        tenant_id=call.tenant_id,
        call_id=call.id,
        text=text,
        segments=segments,
        language=language or _guess_language(text),
    )
    session.add(transcript)
    await session.flush()
    if analyse:
        queue_analysis(session, call.tenant_id, SourceKind.call, call.id)
    return transcript


def store_recording_transcript(
    session: AsyncSession,
    recording: RecordingSession,
    text: str,
    segments: list[dict[str, Any]],
    *,
    analyse: bool = True,
) -> None:
    recording.transcript = text
    recording.transcript_segments = segments
    if recording.status in (RecordingStatus.recording, RecordingStatus.processing):
        recording.status = RecordingStatus.completed
    if analyse:
        queue_analysis(session, recording.tenant_id, SourceKind.recording, recording.id)


async def put_call_transcript(
    session: AsyncSession, user: User, call_id: uuid.UUID, data: TranscriptPut
) -> TranscriptStored:
    call = await CallService(session, user).get(call_id)  # 404 unless the user sees it
    segments = [s.model_dump() for s in data.segments]
    transcript = await store_call_transcript(
        session, call, data.full_text(), segments, data.language
    )
    return TranscriptStored(
        kind=SourceKind.call,
        record_id=call.id,
        text=transcript.text,
        segments=segments,
        language=transcript.language,
        analysis_queued=True,
    )


async def put_recording_transcript(
    session: AsyncSession, user: User, recording_id: uuid.UUID, data: TranscriptPut
) -> TranscriptStored:
    service = RecordingSessionService(session, user)
    recording = await service.get(recording_id)
    service._may_record({})  # recordings are the rep's (or a manager's for them)
    segments = [s.model_dump() for s in data.segments]
    text = data.full_text()
    store_recording_transcript(session, recording, text, segments)
    await session.flush()
    return TranscriptStored(
        kind=SourceKind.recording,
        record_id=recording.id,
        text=text,
        segments=segments,
        language=data.language or _guess_language(text),
        analysis_queued=True,
    )


async def request_analysis(
    session: AsyncSession,
    user: User,
    kind: SourceKind,
    record_id: uuid.UUID,
    *,
    can_transcribe: bool,
) -> AnalysisQueued:
    """(Re)analyse a transcript; a recording with audio but no transcript is transcribed
    first when a transcriber is configured."""
    if kind == SourceKind.call:
        call = await CallService(session, user).get(record_id)
        has_text, audio = call.transcript is not None, call.recording_url
    else:
        recording = await RecordingSessionService(session, user).get(record_id)
        has_text, audio = bool(recording.transcript), recording.audio_url
    if has_text:
        job = queue_analysis(session, user.tenant_id, kind, record_id)
        step = "analyze"
    elif audio and can_transcribe:
        job = queue_transcription(session, user.tenant_id, kind, record_id)
        step = "transcribe"
    else:
        raise Conflict(
            f"the {kind.value} has no transcript to analyse yet"
            + (" (and no transcriber is configured)" if audio else "")
        )
    await session.flush()
    return AnalysisQueued(kind=kind, record_id=record_id, job_id=job.id, step=step)


async def latest_analysis(
    session: AsyncSession, user: User, kind: SourceKind, record_id: uuid.UUID
) -> AnalysisRead:
    if kind == SourceKind.call:
        call = await CallService(session, user).get(record_id)
        if call.analysis is None:
            raise NotFound(f"call {record_id} has no analysis yet", kind="analysis")
        return call_analysis_read(call.analysis)
    recording = await RecordingSessionService(session, user).get(record_id)
    read = recording_analysis_read(recording)
    if read is None:
        raise NotFound(f"recording session {record_id} has no analysis yet", kind="analysis")
    return read


def call_analysis_read(analysis: CallAnalysis) -> AnalysisRead:
    return AnalysisRead(
        summary=analysis.summary,
        sentiment=analysis.sentiment,
        intent=analysis.intent,
        objections=list(analysis.objections or []),
        booking_outcome=analysis.booking_outcome,
        next_steps=list(analysis.next_steps or []),
        model=analysis.model,
        created_at=analysis.created_at,
        kind=SourceKind.call,
        record_id=analysis.call_id,
        findings=analysis.findings,
        prompt_tokens=analysis.prompt_tokens,
        completion_tokens=analysis.completion_tokens,
    )


def recording_analysis_read(recording: RecordingSession) -> AnalysisRead | None:
    doc = recording.analysis
    if not doc or not doc.get("summary"):
        return None
    created = doc.get("created_at")
    return AnalysisRead(
        summary=str(doc["summary"]),
        sentiment=doc.get("sentiment"),
        intent=doc.get("intent"),
        objections=[str(o) for o in doc.get("objections") or []],
        booking_outcome=doc.get("booking_outcome"),
        next_steps=[str(s) for s in doc.get("next_steps") or []],
        model=doc.get("model"),
        created_at=datetime.fromisoformat(created) if created else recording.updated_at,
        kind=SourceKind.recording,
        record_id=recording.id,
        findings=doc.get("findings"),
        prompt_tokens=doc.get("prompt_tokens"),
        completion_tokens=doc.get("completion_tokens"),
    )


def _guess_language(text: str) -> str:
    sample = " ".join(line.text for line in transcript_lines(text, None)[:40]).lower()
    spanish = sum(sample.count(f" {w} ") for w in ("que", "por", "usted", "gracias", "para"))
    english = sum(sample.count(f" {w} ") for w in ("the", "and", "you", "for", "is"))
    return "es" if spanish > english else "en"


# --- what the analyser reads -----------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """A transcript to analyse and the records its findings act on."""

    kind: SourceKind
    tenant_id: uuid.UUID
    record_id: uuid.UUID
    company: str
    zone: ZoneInfo
    spoken_at: datetime  # due times in the transcript are read from here
    lines: list[Line]
    language: str | None
    stamp: str  # which transcript: a newer one makes this analysis stale
    contact_id: uuid.UUID | None = None
    contact_name: str | None = None
    lead_id: uuid.UUID | None = None
    appointment_id: uuid.UUID | None = None
    rep_id: uuid.UUID | None = None  # the rep of the visit, or of the call's lead


def _stamp(text: str | None, segments: Any) -> str:
    raw = json.dumps([text or "", segments or []], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


async def load_subject(
    session: AsyncSession, tenant_id: uuid.UUID, kind: SourceKind, record_id: uuid.UUID
) -> Subject | None:
    """The transcript and its records as they are now, or None when there is nothing to
    analyse (the record is gone, or has no transcript)."""
    tenant = await get_tenant(session, tenant_id)
    if kind == SourceKind.call:
        call = await fresh_call(session, tenant_id, record_id)
        if call is None or call.transcript is None:
            return None
        lead = await lead_of_call(session, call)
        transcript = call.transcript
        return Subject(
            kind=kind,
            tenant_id=tenant_id,
            record_id=call.id,
            company=tenant.name,
            zone=tenant.zone,
            spoken_at=call.started_at,
            lines=transcript_lines(transcript.text, transcript.segments),
            language=transcript.language,
            stamp=_stamp(transcript.text, transcript.segments),
            contact_id=call.contact_id,
            contact_name=await _contact_name(session, tenant_id, call.contact_id),
            lead_id=lead.id if lead else None,
            rep_id=lead.assigned_rep_id if lead else None,
        )
    recording = await session.get(RecordingSession, record_id)
    if recording is None or recording.tenant_id != tenant_id or not recording.transcript:
        return None
    appointment = (
        await session.get(Appointment, recording.appointment_id)
        if recording.appointment_id
        else None
    )
    contact_id = appointment.contact_id if appointment else None
    return Subject(
        kind=kind,
        tenant_id=tenant_id,
        record_id=recording.id,
        company=tenant.name,
        zone=tenant.zone,
        spoken_at=recording.ended_at or recording.started_at,
        lines=transcript_lines(recording.transcript, recording.transcript_segments),
        language=None,
        stamp=_stamp(recording.transcript, recording.transcript_segments),
        contact_id=contact_id,
        contact_name=await _contact_name(session, tenant_id, contact_id),
        lead_id=appointment.lead_id if appointment else None,
        appointment_id=appointment.id if appointment else None,
        rep_id=recording.rep_id,
    )


async def _contact_name(
    session: AsyncSession, tenant_id: uuid.UUID, contact_id: uuid.UUID | None
) -> str | None:
    if contact_id is None:
        return None
    contact = await session.get(ContactCard, contact_id)
    if contact is None or contact.tenant_id != tenant_id:
        return None
    return contact.display_name if contact.display_name != "Unknown contact" else None


# --- what a finished analysis does -----------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    analysis: AnalysisRead
    tasks: list[Task]
    changes: list[RecordChange]


async def record_analysis(
    session: AsyncSession,
    subject: Subject,
    findings: Findings,
    *,
    model: str,
    prompt_tokens: int | None = None,
    completion_tokens: int | None = None,
) -> Recorded | None:
    """Store `findings` (validated in full before this is called) and act on them, in the
    caller's transaction. The record is locked first, so two analyses of one transcript
    take turns and the second updates what the first made. None when the transcript changed
    since it was read: the analysis of the newer one, already queued, does the work."""
    tenant = await get_tenant(session, subject.tenant_id)
    now = utcnow()
    if subject.kind == SourceKind.call:
        call = await fresh_call(session, subject.tenant_id, subject.record_id, lock=True)
        if call is None or call.transcript is None:
            return None
        if _stamp(call.transcript.text, call.transcript.segments) != subject.stamp:
            return None
        await drop_call_analysis(session, call)
        stored = CallAnalysis(
            tenant_id=call.tenant_id,
            call_id=call.id,
            created_at=now,
            **_columns(findings, model, prompt_tokens, completion_tokens),
        )
        session.add(stored)
        await session.flush()
        read = call_analysis_read(stored)
    else:
        recording = await fresh_recording(session, subject.tenant_id, subject.record_id, lock=True)
        if (
            recording is None
            or _stamp(recording.transcript, recording.transcript_segments) != subject.stamp
        ):
            return None
        recording.analysis = {
            **_columns(findings, model, prompt_tokens, completion_tokens),
            "created_at": now.isoformat(),
        }
        await session.flush()
        read = recording_analysis_read(recording)  # type: ignore[assignment]
        call = None
    tasks = await _sync_tasks(session, tenant, subject, findings)
    changes = await _apply_changes(session, subject, findings, call)
    emit(
        session,
        Event(
            ANALYSIS_CREATED,
            subject.tenant_id,
            {
                "analysis": read.model_dump(mode="json"),
                "kind": subject.kind.value,
                "record_id": str(subject.record_id),
                "contact_id": str(subject.contact_id) if subject.contact_id else None,
                "rep_id": str(subject.rep_id) if subject.rep_id else None,
                "task_ids": [str(t.id) for t in tasks],
            },
        ),
    )
    return Recorded(read, tasks, changes)


def _columns(
    findings: Findings, model: str, prompt_tokens: int | None, completion_tokens: int | None
) -> dict[str, Any]:
    """The stored analysis: the contract's flat fields and the full findings they cite."""
    return {
        "summary": findings.summary,
        "sentiment": findings.sentiment.value,
        "intent": findings.intent[:100],
        "objections": list(dict.fromkeys(o.kind.value for o in findings.objections)),
        "booking_outcome": findings.booking_outcome.value,
        "next_steps": [step.title for step in findings.next_steps],
        "model": model[:100],
        "findings": findings.model_dump(mode="json"),
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
    }


def origin_key(kind: SourceKind, record_id: uuid.UUID, step: StepKind, ordinal: int) -> str:
    """One task per next step: the nth step of its kind in the record's analysis."""
    return f"{kind.value}:{record_id}:{step.value}:{ordinal}"


async def _sync_tasks(
    session: AsyncSession, tenant: Tenant, subject: Subject, findings: Findings
) -> list[Task]:
    """Each next step as one task: made the first time, brought up to date after (but for
    what a person changed in it), left alone once a person completed or cancelled it."""
    lead_value = await _lead_value(session, subject.lead_id)
    has_call_back = subject.kind == SourceKind.call and await has_system_task_for_call(
        session, subject.tenant_id, subject.record_id
    )
    ordinals: Counter[StepKind] = Counter()
    kept: list[Task] = []
    for step in findings.next_steps:
        if step.kind == StepKind.call_back and has_call_back:
            continue  # the voicemail already made the call-back task
        ordinals[step.kind] += 1
        key = origin_key(subject.kind, subject.record_id, step.kind, ordinals[step.kind])
        fields = _task_fields(subject, step, findings, lead_value)
        existing = await task_by_origin(session, subject.tenant_id, key)
        if existing is not None:
            if existing.status in _DONE:
                continue  # a person finished it: never reopened, never made again
            await keep_system_task_in_step(session, existing, fields)  # a person's edits stand
            kept.append(existing)
            continue
        task = await create_system_task(
            session,
            subject.tenant_id,
            TaskCreate(**fields),
            _SOURCES[subject.kind],
            origin_key=key,
        )
        kept.append(task)
    return kept


def _task_fields(
    subject: Subject, step: NextStep, findings: Findings, lead_value: Decimal | None
) -> dict[str, Any]:
    role, assignee = _owner(step.owner, subject)
    due = resolve_due(step.due, subject.spoken_at, subject.zone)
    if due is None and step.kind == StepKind.call_back:
        due = subject.spoken_at + timedelta(hours=1)
    priority = step.priority
    if lead_value is not None and lead_value >= HIGH_STAKES_VALUE:
        priority = TaskPriority.high
    return {
        "title": step.title[:200],
        "description": _evidence(subject, step.lines, prefix=_made_from(subject)),
        "priority": priority,
        "due_at": due,
        "assigned_role": role,
        "assignee_id": assignee,
        "contact_id": subject.contact_id,
        "lead_id": subject.lead_id,
        "appointment_id": subject.appointment_id,
        "call_id": subject.record_id if subject.kind == SourceKind.call else None,
    }


def _owner(owner: Owner, subject: Subject) -> tuple[AssignedRole, uuid.UUID | None]:
    """A call-back goes to the CSRs' queue; an in-home follow-up to the rep who ran it; a
    rep's step from a call to the lead's rep (or the reps' queue); complaints to managers."""
    if owner == Owner.rep:
        return AssignedRole.rep, subject.rep_id
    if owner == Owner.manager:
        return AssignedRole.manager, None
    return AssignedRole.csr, None


def _made_from(subject: Subject) -> str:
    when = subject.spoken_at.astimezone(subject.zone).strftime("%a %b %-d, %-I:%M %p")
    if subject.kind == SourceKind.call:
        return f"From Otto's analysis of the call on {when}."
    return f"From Shunya's analysis of the in-home visit on {when}."


def _evidence(subject: Subject, cited: list[int], *, prefix: str = "") -> str:
    quotes = [
        f'Line {n + 1}, {subject.lines[n].speaker}: "{subject.lines[n].text[:300]}"'
        for n in cited[:6]
        if 0 <= n < len(subject.lines)
    ]
    return "\n".join([prefix, *quotes]).strip()[:10_000]


async def _lead_value(session: AsyncSession, lead_id: uuid.UUID | None) -> Decimal | None:
    if lead_id is None:
        return None
    lead = await session.get(Lead, lead_id)
    return lead.estimated_value if lead else None


# --- changes on the record -------------------------------------------------------------------


async def _apply_changes(
    session: AsyncSession, subject: Subject, findings: Findings, call: Call | None
) -> list[RecordChange]:
    """A booked appointment (a call) or a sale (a visit) stated plainly moves the call's
    outcome and the lead's status on, once, as made by Otto or Shunya; a value a person set
    since the AI last changed it stays as the person set it."""
    maker = _MAKERS[subject.kind]
    evidence = _evidence(subject, findings.booking_lines.lines)
    changes: list[RecordChange] = []
    lead = await session.get(Lead, subject.lead_id) if subject.lead_id else None
    if findings.booking_outcome == BookingOutcome.booked and call is not None:
        change = await _change(
            session, subject, maker, "call", call, "outcome", CallOutcome.booked, evidence
        )
        if change:
            changes.append(change)
        if lead is not None and lead.status in _BEFORE_APPOINTMENT:
            change = await _change(
                session, subject, maker, "lead", lead, "status", LeadStatus.appointment_set,
                evidence,
            )  # fmt: skip
            if change:
                changes.append(change)
    sold = findings.booking_outcome == BookingOutcome.sold
    if sold and lead is not None and lead.status not in (LeadStatus.won, LeadStatus.lost):
        change = await _change(
            session, subject, maker, "lead", lead, "status", LeadStatus.won, evidence
        )
        if change:
            changes.append(change)
    if lead is not None and lead.first_response_at is None and changes:
        lead.first_response_at = utcnow()
    await session.flush()
    return changes


async def _change(
    session: AsyncSession,
    subject: Subject,
    maker: ChangeMaker,
    kind: str,
    record: Call | Lead,
    field: str,
    value: str,
    evidence: str,
) -> RecordChange | None:
    current = getattr(record, field)
    if current == value:
        return None
    last = await last_change(session, subject.tenant_id, kind, record.id, field)
    if last is not None and last.new_value != current:
        return None  # a person changed it after the AI did: theirs stands
    setattr(record, field, value)
    change = RecordChange(
        tenant_id=subject.tenant_id,
        record_kind=kind,
        record_id=record.id,
        field=field,
        old_value=str(current) if current is not None else None,
        new_value=str(value),
        made_by=maker,
        call_id=subject.record_id if subject.kind == SourceKind.call else None,
        recording_id=subject.record_id if subject.kind == SourceKind.recording else None,
        evidence=evidence or None,
    )
    session.add(change)
    return change


async def changes_for(
    session: AsyncSession, tenant_id: uuid.UUID, kind: SourceKind, record_id: uuid.UUID
) -> list[RecordChange]:
    """What Otto or Shunya changed because of this call or recording, oldest first."""
    return await changes_made_by(session, tenant_id, kind, record_id)


# --- Read interface for other domains ----------------------------------------------------------


async def analysed_calls(
    session: AsyncSession, user: User, start: datetime, end: datetime, limit: int
) -> list[Call]:
    """Calls the user may see whose latest analysis was made in [start, end), newest first,
    each with its analysis and transcript loaded."""
    return await calls_analysed_between(session, user, start, end, limit)


async def recordings_made(
    session: AsyncSession, user: User, start: datetime, end: datetime, limit: int
) -> list[RecordingSession]:
    """In-home recordings the user may see made in [start, end), newest first (analysed or
    not: the caller keeps those it wants)."""
    return await recordings_between(session, user, start, end, limit)
