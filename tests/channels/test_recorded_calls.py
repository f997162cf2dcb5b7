"""Recorded calls: with the tenant's switch on, the caller hears the consent announcement
before the office line rings with recording on; the recording's status callback puts its
URL on the call (not a voicemail), and its transcript is stored and analysed by Otto."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.kit.jobs import Job, Worker
from switchboard.kit.resources import Resources
from switchboard.tasks.models import Task
from switchboard.tenancy.models import Role
from tests.channels.test_voice import BASE, MONDAY_10AM, VOICE, _call, call_params, twiml
from tests.factories import Factory
from tests.kit.helpers import AsUser
from tests.messaging.support import Inbox, post_webhook


async def _answered_recorded_call(
    client: httpx.AsyncClient, settings: Settings, office: Inbox, session: AsyncSession
) -> str:
    office.tenant.record_calls = True
    await session.flush()
    sid = f"CA{uuid.uuid4().hex}"
    answer = twiml(await post_webhook(client, settings, VOICE, call_params(sid)))
    say, dial = list(answer)
    assert say.tag == "Say" and "may be recorded" in (say.text or "")
    assert dial.tag == "Dial"
    assert dial.get("record") == "record-from-answer-dual"
    assert dial.get("recordingStatusCallback") == f"{BASE}/voice/recording?source=call"
    dialled = call_params(sid, DialCallStatus="completed")
    assert (await post_webhook(client, settings, f"{VOICE}/dial", dialled)).status_code == 200
    return sid


async def test_without_the_switch_calls_are_not_recorded(
    client: httpx.AsyncClient, settings: Settings, office: Inbox, at: Any
) -> None:
    at(MONDAY_10AM)
    answer = twiml(
        await post_webhook(client, settings, VOICE, call_params(f"CA{uuid.uuid4().hex}"))
    )
    (dial,) = answer.findall("Dial")
    assert dial.get("record") is None and answer.find("Say") is None


async def test_a_recorded_calls_recording_and_transcript_are_kept_and_analysed(
    client: httpx.AsyncClient,
    settings: Settings,
    office: Inbox,
    session: AsyncSession,
    db: Database,
    at: Any,
    resources: Resources,
) -> None:
    at(MONDAY_10AM)
    sid = await _answered_recorded_call(client, settings, office, session)
    url = f"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE{'2' * 32}"
    status = call_params(
        sid, RecordingUrl=url, RecordingStatus="completed", RecordingDuration="95",
        RecordingSource="DialVerb", RecordingSid=f"RE{'2' * 32}",
    )  # fmt: skip
    response = await post_webhook(
        client, settings, f"{VOICE}/recording", status, query="source=call"
    )
    assert response.status_code == 200
    assert twiml(response).find("Say") is None  # a status callback, not the voicemail flow
    call = await _call(session, sid)
    assert call.recording_url == url and call.outcome is None

    said = call_params(
        sid,
        TranscriptionStatus="completed",
        RecordingUrl=url,
        TranscriptionText="Agent: Summit Roofing. Customer: Call me back tomorrow at 4pm please.",
    )
    assert (await post_webhook(client, settings, f"{VOICE}/transcription", said)).status_code == 200
    jobs = await session.execute(select(Job.kind).where(Job.tenant_id == office.tenant.id))
    assert "callintel.analyze" in list(jobs.scalars())
    await Worker(db, concurrency=1, resources=resources).drain()
    call = await _call(session, sid)
    assert call.outcome is None  # not a voicemail
    tasks = (await session.execute(select(Task).where(Task.call_id == call.id))).scalars().all()
    assert [(t.source, t.title.split(" ")[0]) for t in tasks] == [("otto", "Call")]
    messages = await session.execute(
        select(Job).where(Job.kind == "callintel.analyze", Job.status == "done")
    )
    assert len(messages.scalars().all()) == 1


async def test_a_voicemail_transcript_is_analysed_without_a_second_call_back(
    client: httpx.AsyncClient,
    settings: Settings,
    office: Inbox,
    session: AsyncSession,
    db: Database,
    factory: Factory,
    as_user: AsUser,
    at: Any,
    resources: Resources,
) -> None:
    at(MONDAY_10AM)
    sid = f"CA{uuid.uuid4().hex}"
    await post_webhook(client, settings, VOICE, call_params(sid))
    await post_webhook(
        client, settings, f"{VOICE}/dial", call_params(sid, DialCallStatus="no-answer")
    )
    said = call_params(
        sid, TranscriptionStatus="completed",
        TranscriptionText="Hi it's Pat, please call me back tomorrow morning about my roof.",
    )  # fmt: skip
    await post_webhook(client, settings, f"{VOICE}/transcription", said)
    await Worker(db, concurrency=1, resources=resources).drain()
    call = await _call(session, sid)
    tasks = (await session.execute(select(Task).where(Task.call_id == call.id))).scalars().all()
    assert [t.source for t in tasks] == ["system"]  # the voicemail's own call-back, only
    manager = await factory.user(office.tenant, Role.manager)
    analysis = await client.get(f"/api/calls/{call.id}/analysis", headers=as_user(manager))
    assert analysis.status_code == 200
    assert analysis.json()["next_steps"] == ["Call back the customer tomorrow morning"]
