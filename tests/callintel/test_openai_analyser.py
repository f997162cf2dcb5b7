"""The OpenAI-compatible analyser and transcriber against a local fake that speaks the
protocol, driven by the real openai client: a valid structured answer, an invalid one asked
again, two invalid ones stored as nothing, a timed-out server; audio/transcriptions for a
recording with no transcript."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.ai.analysis import AnalysisFailed, AnalysisRequest
from switchboard.ai.analysis.openai import OpenAIAnalyser, OpenAITranscriber
from switchboard.ai.model import ModelError
from switchboard.app import create_app
from switchboard.callintel.lines import transcript_lines
from switchboard.callintel.schemas import SourceKind
from switchboard.config import Settings
from switchboard.crm.models import CallAnalysis
from switchboard.kit.db import Database
from switchboard.kit.jobs import Job, JobStatus, Worker
from switchboard.kit.resources import Resources
from switchboard.tasks.models import Task
from switchboard.tenancy.models import Role
from tests.ai.openai_fake import API_KEY, FakeOpenAI, text
from tests.callintel.transcripts import CALL_BACK
from tests.factories import Factory
from tests.kit.helpers import AsUser


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI().running() as fake:
        yield fake


@pytest.fixture
def llm(server: FakeOpenAI) -> FakeOpenAI:
    server.reset()
    return server


def llm_settings(llm: FakeOpenAI, **overrides: Any) -> Settings:
    fields: dict[str, Any] = {
        "demo": True,
        "llm_provider": "openai",
        "llm_base_url": llm.base_url,
        "llm_model": "fake-gpt",
        "OPENAI_API_KEY": API_KEY,
        "llm_timeout_seconds": 5.0,
        "transcriber": "openai",
    }
    fields.update(overrides)
    return Settings(**fields)


def valid_answer(**changes: Any) -> str:
    answer: dict[str, Any] = {
        "summary": "The caller wants a gutter quote and asked for a call back Thursday after 5.",
        "summary_lines": [1, 3],
        "sentiment": "neutral",
        "sentiment_lines": [],
        "intent": "estimate_request",
        "intent_lines": [1],
        "objections": [],
        "booking_outcome": "follow_up",
        "booking_lines": [3],
        "next_steps": [
            {
                "kind": "call_back",
                "title": "Call back about the gutter quote",
                "owner": "csr",
                "due": "Thursday after 5pm",
                "priority": "high",
                "lines": [3, 4],
            }
        ],
        "language": "en",
    }
    answer.update(changes)
    return json.dumps(answer)


def request() -> AnalysisRequest:
    lines = transcript_lines(None, CALL_BACK.segment_dicts())
    return AnalysisRequest(SourceKind.call, lines, company="Summit Roofing")


async def test_a_valid_structured_answer_is_the_analysis(llm: FakeOpenAI) -> None:
    llm.reply(text(valid_answer(), prompt_tokens=900, completion_tokens=120))
    answer = await OpenAIAnalyser(llm_settings(llm)).analyse(request())
    assert answer.findings.next_steps[0].due == "Thursday after 5pm"
    assert answer.model == "fake-gpt"
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (900, 120)
    sent = llm.requests[0]["body"]
    schema = sent["response_format"]
    assert schema["type"] == "json_schema" and schema["json_schema"]["strict"] is True
    assert schema["json_schema"]["schema"]["required"][0] == "summary"
    assert "[3] Caller: Call me back Thursday after 5." in sent["messages"][1]["content"]


async def test_an_invalid_answer_is_asked_for_once_more(llm: FakeOpenAI) -> None:
    wrong_line = valid_answer(booking_lines=[42])  # cites a line the transcript lacks
    llm.reply(text(wrong_line), text(valid_answer()))
    answer = await OpenAIAnalyser(llm_settings(llm)).analyse(request())
    assert answer.findings.booking_lines.lines == [3]
    assert len(llm.requests) == 2
    retry = llm.requests[1]["body"]["messages"]
    assert retry[-2] == {"role": "assistant", "content": wrong_line}
    assert (
        "booking_lines" in retry[-1]["content"] and "not in the transcript" in retry[-1]["content"]
    )
    assert answer.usage.prompt_tokens == 84  # both answers counted


async def test_two_invalid_answers_store_nothing(
    llm: FakeOpenAI,
    client: httpx.AsyncClient,
    factory: Factory,
    as_user: AsUser,
    db: Database,
    session: AsyncSession,
) -> None:
    resources = Resources(llm_settings(llm))  # the worker's app analyses with the LLM
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    call = await factory.call(tenant, await factory.contact(tenant))
    llm.reply(text("not json at all"), text(valid_answer(sentiment="ecstatic")))
    segments = {"segments": CALL_BACK.segment_dicts()}
    await client.put(f"/api/calls/{call.id}/transcript", json=segments, headers=as_user(csr))
    await Worker(db, concurrency=1, resources=resources).drain(max_rounds=1)
    job = (await session.execute(select(Job).where(Job.kind == "callintel.analyze"))).scalar_one()
    await session.refresh(job)
    assert job.status == JobStatus.queued and "invalid twice" in (job.last_error or "")
    assert (await session.execute(select(CallAnalysis))).first() is None
    assert (await session.execute(select(Task))).first() is None

    with pytest.raises(AnalysisFailed):
        llm.reply(text("{}"), text("[]"))
        await OpenAIAnalyser(llm_settings(llm)).analyse(request())


async def test_a_timed_out_server_is_a_model_error(llm: FakeOpenAI) -> None:
    llm.reply(text(valid_answer(), delay=2.0), text(valid_answer(), delay=2.0))
    analyser = OpenAIAnalyser(llm_settings(llm, llm_timeout_seconds=0.3))
    with pytest.raises(ModelError, match=r"did not answer within 0\.3 s"):
        await analyser.analyse(request())


async def test_the_openai_analysis_runs_in_the_job_and_makes_its_tasks(
    llm: FakeOpenAI,
    client: httpx.AsyncClient,
    factory: Factory,
    as_user: AsUser,
    db: Database,
    session: AsyncSession,
) -> None:
    resources = Resources(llm_settings(llm))  # the worker's app analyses with the LLM
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    call = await factory.call(tenant, await factory.contact(tenant))
    llm.reply(text(valid_answer(), prompt_tokens=700, completion_tokens=90))
    segments = {"segments": CALL_BACK.segment_dicts()}
    await client.put(f"/api/calls/{call.id}/transcript", json=segments, headers=as_user(csr))
    await Worker(db, concurrency=1, resources=resources).drain()
    analysis = (await client.get(f"/api/calls/{call.id}/analysis", headers=as_user(csr))).json()
    assert analysis["model"] == "fake-gpt"
    assert (analysis["prompt_tokens"], analysis["completion_tokens"]) == (700, 90)
    (task,) = (await session.execute(select(Task))).scalars().all()
    assert task.title == "Call back about the gutter quote" and task.source == "otto"


async def test_a_recording_without_a_transcript_is_transcribed_then_analysed(
    llm: FakeOpenAI,
    factory: Factory,
    as_user: AsUser,
    db: Database,
    session: AsyncSession,
    database_url: str,
) -> None:
    settings = llm_settings(llm, database_url=database_url, run_worker=False)
    resources = Resources(settings)
    transport = httpx.ASGITransport(app=create_app(settings, db=db))
    client = httpx.AsyncClient(transport=transport, base_url="http://test")
    llm.audio["visit-1.wav"] = b"RIFF....WAVEfmt fake audio"
    llm.transcription = {
        "text": "Okay, let's do it. I'll send the contract over tonight.",
        "language": "english",
        "segments": [
            {"id": 0, "seek": 0, "start": 0.0, "end": 2.1, "text": " Okay, let's do it.",
             "tokens": [], "temperature": 0.0, "avg_logprob": -0.1, "compression_ratio": 1.0,
             "no_speech_prob": 0.0},
            {"id": 1, "seek": 0, "start": 2.1, "end": 5.0,
             "text": " I'll send the contract over tonight.", "tokens": [], "temperature": 0.0,
             "avg_logprob": -0.1, "compression_ratio": 1.0, "no_speech_prob": 0.0},
        ],
    }  # fmt: skip
    llm.default = text(
        valid_answer(
            summary="The customer agreed; the rep sends the contract tonight.",
            summary_lines=[0, 1], intent="in_home_consultation", intent_lines=[0],
            booking_outcome="sold", booking_lines=[0],
            next_steps=[{"kind": "send_contract", "title": "Send the contract", "owner": "rep",
                         "due": "tonight", "priority": "high", "lines": [1]}],
        )
    )  # fmt: skip
    tenant = await factory.tenant()
    rep = await factory.user(tenant, Role.rep)
    recording = await factory.recording(tenant, rep, audio_url=f"{llm.url}/audio/visit-1.wav")
    queued = await client.post(
        f"/api/recording-sessions/{recording.id}/analyze", headers=as_user(rep)
    )
    assert queued.status_code == 202 and queued.json()["step"] == "transcribe"
    await Worker(db, concurrency=1, resources=resources).drain()
    transcribed = [r for r in llm.requests if "audio" in r]
    assert transcribed[0]["audio"] == b"RIFF....WAVEfmt fake audio"
    assert transcribed[0]["body"]["response_format"] == "verbose_json"
    got = (await client.get(f"/api/recording-sessions/{recording.id}", headers=as_user(rep))).json()
    assert got["transcript"].startswith("Okay, let's do it.")
    analysis = (
        await client.get(f"/api/recording-sessions/{recording.id}/analysis", headers=as_user(rep))
    ).json()
    assert analysis["booking_outcome"] == "sold"
    (task,) = (await session.execute(select(Task))).scalars().all()
    assert (task.source, task.assignee_id) == ("shunya", rep.id)
    await client.aclose()


async def test_the_transcriber_reports_a_missing_recording(llm: FakeOpenAI) -> None:
    transcriber = OpenAITranscriber(llm_settings(llm))
    with pytest.raises(ModelError, match="could not fetch the recording"):
        await transcriber.transcribe(f"{llm.url}/audio/missing.wav")
