"""Transcripts in, analyses out: the same three routes for calls and recording sessions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from switchboard.callintel import service
from switchboard.callintel.schemas import (
    AnalysisQueued,
    AnalysisRead,
    SourceKind,
    TranscriptPut,
    TranscriptStored,
)
from switchboard.kit.deps import AppSettings, Session
from switchboard.tenancy.deps import CurrentUser

router = APIRouter(prefix="/api", tags=["call intelligence"])


@router.put("/calls/{call_id}/transcript", response_model=TranscriptStored)
async def put_call_transcript(
    call_id: uuid.UUID, data: TranscriptPut, user: CurrentUser, session: Session
) -> TranscriptStored:
    return await service.put_call_transcript(session, user, call_id, data)


@router.post(
    "/calls/{call_id}/analyze",
    response_model=AnalysisQueued,
    status_code=status.HTTP_202_ACCEPTED,
)
async def analyze_call(
    call_id: uuid.UUID, user: CurrentUser, session: Session, settings: AppSettings
) -> AnalysisQueued:
    return await service.request_analysis(
        session, user, SourceKind.call, call_id, can_transcribe=settings.transcriber != "none"
    )


@router.get("/calls/{call_id}/analysis", response_model=AnalysisRead)
async def get_call_analysis(
    call_id: uuid.UUID, user: CurrentUser, session: Session
) -> AnalysisRead:
    return await service.latest_analysis(session, user, SourceKind.call, call_id)


@router.put("/recording-sessions/{recording_id}/transcript", response_model=TranscriptStored)
async def put_recording_transcript(
    recording_id: uuid.UUID, data: TranscriptPut, user: CurrentUser, session: Session
) -> TranscriptStored:
    return await service.put_recording_transcript(session, user, recording_id, data)


@router.post(
    "/recording-sessions/{recording_id}/analyze",
    response_model=AnalysisQueued,
    status_code=status.HTTP_202_ACCEPTED,
)
async def analyze_recording(
    recording_id: uuid.UUID, user: CurrentUser, session: Session, settings: AppSettings
) -> AnalysisQueued:
    return await service.request_analysis(
        session,
        user,
        SourceKind.recording,
        recording_id,
        can_transcribe=settings.transcriber != "none",
    )


@router.get("/recording-sessions/{recording_id}/analysis", response_model=AnalysisRead)
async def get_recording_analysis(
    recording_id: uuid.UUID, user: CurrentUser, session: Session
) -> AnalysisRead:
    return await service.latest_analysis(session, user, SourceKind.recording, recording_id)
