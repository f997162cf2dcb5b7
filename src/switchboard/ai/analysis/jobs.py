"""The analysis and transcription jobs. Each reads what it needs in a short transaction and
commits it before the model (or the transcriber) works, so no transaction is open
meanwhile; the result is written in a last transaction that checks the transcript is still
the one analysed."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.ai.analysis import Analyser, AnalysisRequest, get_analyser
from switchboard.ai.analysis.builtin import MODEL_NAME, analyse_lines
from switchboard.callintel.schemas import SourceKind
from switchboard.callintel.service import (
    ANALYZE_JOB,
    TRANSCRIBE_JOB,
    Recorded,
    Subject,
    load_subject,
    record_analysis,
    store_call_transcript,
    store_recording_transcript,
)
from switchboard.callintel.transcriber import Transcriber
from switchboard.config import Settings
from switchboard.crm.models import Call, RecordingSession
from switchboard.kit.jobs import Job, PermanentJobError, job_handler
from switchboard.kit.resources import Resources

ANALYSIS_TIMEOUT = timedelta(minutes=3)  # two model answers of llm_timeout_seconds, and writes
TRANSCRIPTION_TIMEOUT = timedelta(minutes=6)


def _target(job: Job) -> tuple[uuid.UUID, SourceKind, uuid.UUID]:
    payload = job.payload
    return (
        uuid.UUID(str(payload["tenant_id"])),
        SourceKind(payload["kind"]),
        uuid.UUID(str(payload["record_id"])),
    )


def _request(subject: Subject) -> AnalysisRequest:
    """What the analyser reads of a subject: its lines and who and what they are about."""
    return AnalysisRequest(
        kind=subject.kind,
        lines=subject.lines,
        language=subject.language,
        company=subject.company,
        contact_name=subject.contact_name,
    )


@job_handler(ANALYZE_JOB, timeout=ANALYSIS_TIMEOUT)
async def run_analysis_job(session: AsyncSession, job: Job, resources: Resources) -> None:
    analyser = get_analyser(resources.settings)
    try:
        await analyse(session, *_target(job), analyser)
    finally:
        await _close(analyser)


async def analyse(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    kind: SourceKind,
    record_id: uuid.UUID,
    analyser: Analyser,
) -> Recorded | None:
    """Analyse the record's transcript and act on it; None when there was nothing to do."""
    subject = await load_subject(session, tenant_id, kind, record_id)
    if subject is None:
        return None
    request = _request(subject)
    await session.commit()  # nothing held while the model works
    answer = await analyser.analyse(request)
    return await record_analysis(
        session,
        subject,
        answer.findings,
        model=answer.model,
        prompt_tokens=None if answer.usage.estimated else answer.usage.prompt_tokens,
        completion_tokens=None if answer.usage.estimated else answer.usage.completion_tokens,
    )


async def analyse_now(
    session: AsyncSession, tenant_id: uuid.UUID, kind: SourceKind, record_id: uuid.UUID
) -> Recorded | None:
    """The built-in analyser in the caller's own transaction (the demo seed): it holds no
    lock worth speaking of while it runs, and nothing is committed here."""
    subject = await load_subject(session, tenant_id, kind, record_id)
    if subject is None:
        return None
    request = _request(subject)
    findings = analyse_lines(request)
    return await record_analysis(session, subject, findings, model=MODEL_NAME)


def get_transcriber(settings: Settings) -> Transcriber | None:
    if settings.transcriber == "openai":
        from switchboard.ai.analysis.openai import OpenAITranscriber

        return OpenAITranscriber(settings)
    return None


@job_handler(TRANSCRIBE_JOB, timeout=TRANSCRIPTION_TIMEOUT)
async def run_transcription_job(session: AsyncSession, job: Job, resources: Resources) -> None:
    transcriber = get_transcriber(resources.settings)
    if transcriber is None:
        raise PermanentJobError("no transcriber is configured (SWITCHBOARD_TRANSCRIBER)")
    try:
        await transcribe(session, *_target(job), transcriber)
    finally:
        await _close(transcriber)


async def transcribe(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    kind: SourceKind,
    record_id: uuid.UUID,
    transcriber: Transcriber,
) -> bool:
    """Transcribe the record's audio, store the transcript and queue its analysis; False
    when it already has a transcript or has no audio."""
    audio = await _audio_to_transcribe(session, tenant_id, kind, record_id)
    if audio is None:
        return False
    await session.commit()
    result = await transcriber.transcribe(audio)
    if not result.text.strip():
        return False
    if kind == SourceKind.call:
        call = await session.get(Call, record_id, populate_existing=True)
        if call is None or call.tenant_id != tenant_id:
            return False
        await store_call_transcript(session, call, result.text, result.segments, result.language)
    else:
        recording = await session.get(RecordingSession, record_id, populate_existing=True)
        if recording is None or recording.tenant_id != tenant_id or recording.transcript:
            return False
        store_recording_transcript(session, recording, result.text, result.segments)
    await session.flush()
    return True


async def _audio_to_transcribe(
    session: AsyncSession, tenant_id: uuid.UUID, kind: SourceKind, record_id: uuid.UUID
) -> str | None:
    if kind == SourceKind.call:
        subject = await load_subject(session, tenant_id, kind, record_id)
        if subject is not None:
            return None  # transcribed meanwhile (Twilio's transcript came first)
        call = await session.get(Call, record_id)
        return call.recording_url if call and call.tenant_id == tenant_id else None
    recording = await session.get(RecordingSession, record_id)
    if recording is None or recording.tenant_id != tenant_id or recording.transcript:
        return None
    return recording.audio_url


async def _close(adapter: Any) -> None:
    close = getattr(adapter, "aclose", None)
    if close is not None:
        await close()
