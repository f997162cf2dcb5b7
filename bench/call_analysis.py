"""Call analysis: the built-in analyser on a 60-minute (~10,000-word) transcript, and 1,000
queued analyses drained by two `switchboard worker` processes while inbound-SMS webhook
ingest is measured beside them, against one served API process, in one run.

    .venv/bin/python bench/call_analysis.py [--backends postgres,sqlite] [--jobs 1000]
        [--runs 50] [--concurrency 8]

For each database: a scratch database, one company with 1,000 calls that each have a
realistic transcript (a CallRail import), `switchboard serve` on a loopback port with no
worker in it, then
  1. ingest alone: signed inbound-SMS webhooks for a few seconds, the baseline;
  2. 1,000 `callintel.analyze` jobs queued at once, two worker processes started, and the
     same webhook load kept up until every job is done: the drain rate, and ingest beside it.
At the end it checks every job is done and every call has its analysis and its tasks.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from _support import ROOT, Series, analyze, free_port, scratch_database, wait_ready
from inbox_webhooks import OUR_NUMBER, TOKEN, _start_server, _webhooks
from sqlalchemy import func, insert, select

from switchboard.ai.analysis import AnalysisRequest
from switchboard.ai.analysis.builtin import analyse_lines
from switchboard.callintel.lines import transcript_lines
from switchboard.callintel.schemas import SourceKind
from switchboard.callintel.service import ANALYZE_JOB
from switchboard.crm.models import Call, CallAnalysis, CallDirection, CallTranscript, ContactCard
from switchboard.kit.db import Database
from switchboard.kit.jobs import Job, JobStatus, NewJob, enqueue_many
from switchboard.tasks.models import Task
from switchboard.tenancy.models import ChannelAccount, ChannelKind, Tenant

# What a long in-home visit or sales call sounds like, turn by turn.
_TURNS = [
    ("Rep", "So the main thing I noticed up there is the granule loss on the south slope."),
    ("Customer", "Is that from the hail last spring or is it just age?"),
    ("Rep", "Some of each. The bruising pattern says hail, the curling says the roof is tired."),
    ("Customer", "Okay. What does the insurance usually cover in a case like this?"),
    ("Rep", "If the adjuster agrees it's storm damage, the full replacement minus deductible."),
    ("Customer", "And if they don't agree?"),
    ("Rep", "Then we talk about a repair on the worst slope and a plan for the rest."),
    ("Customer", "How long does a replacement take, start to finish?"),
    ("Rep", "Usually one day for the tear-off and install, a second for cleanup and gutters."),
    ("Customer", "We have a dog, will the crew be okay with that?"),
    ("Rep", "Sure, we just ask that the side gate stays closed while they work."),
    ("Customer", "What about the skylight in the hallway, does that get replaced too?"),
    ("Rep", "We reflash it and replace the seal; a new unit is an option if you want it."),
    ("Customer", "Honestly the price is more than I expected, it's too expensive for us."),
    ("Rep", "I understand. We do have financing with monthly payments if that helps."),
    ("Customer", "I need to talk it over with my wife before we decide anything."),
    ("Rep", "Of course. Would you like me to send the quote so you can both look at it?"),
    ("Customer", "Yes, send the quote over, and call me back Thursday after 5."),
]


def long_transcript(words: int = 10_000, minutes: int = 60) -> list[dict[str, Any]]:
    """~`words` words of speaker turns spread over `minutes`; the last lines are the
    objections and the asks, so the analyser has something to find all the way through."""
    segments: list[dict[str, Any]] = []
    count = 0
    rng = random.Random(7)
    body = _TURNS[:13]
    while count < words - 80:
        speaker, text = rng.choice(body)
        segments.append({"speaker": speaker, "text": text})
        count += len(text.split())
    segments += [{"speaker": s, "text": t} for s, t in _TURNS[13:]]
    step = minutes * 60 / len(segments)
    for n, segment in enumerate(segments):
        segment["start_s"], segment["end_s"] = round(n * step, 1), round((n + 1) * step, 1)
    return segments


def bench_analyser(runs: int) -> dict[str, Any]:
    segments = long_transcript()
    lines = transcript_lines(None, segments)
    words = sum(len(line.text.split()) for line in lines)
    request = AnalysisRequest(SourceKind.recording, lines, contact_name="Jordan Reyes")
    analyse_lines(request)  # warm the regex caches
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        findings = analyse_lines(request)
        samples.append(time.perf_counter() - started)
    series = Series("analyser", samples)
    return {
        "words": words,
        "lines": len(lines),
        "minutes": segments[-1]["end_s"] / 60,
        "p50": series.p50,
        "p95": series.p95,
        "max": max(samples) * 1000,
        "objections": [o.kind.value for o in findings.objections],
        "steps": [s.title for s in findings.next_steps],
    }


# --- the drain beside ingest ---------------------------------------------------------------

_CALL_TURNS = [
    [("Agent", "Thanks for calling Bench Roofing, how can I help?"),
     ("Customer", "I got your quote but honestly it's too expensive."),
     ("Customer", "I need to talk it over with my husband first."),
     ("Agent", "Of course. When should we check back?"),
     ("Customer", "Call me back Thursday after 5."),
     ("Agent", "Will do.")],
    [("Agent", "Bench Roofing, this is Dana."),
     ("Customer", "Hi, some shingles came off in the storm. Can someone come take a look?"),
     ("Agent", "I can have an inspector out Wednesday at 10am."),
     ("Customer", "That works."),
     ("Agent", "Great, you're all set for Wednesday at 10am.")],
]  # fmt: skip


async def _seed(url: str, calls: int) -> tuple[uuid.UUID, list[uuid.UUID]]:
    db = Database.from_url(url)
    now = datetime.now(UTC)
    async with db.transaction() as session:
        tenant = Tenant(name="Bench Roofing", slug=f"bench-{uuid.uuid4().hex[:8]}")
        session.add(tenant)
        await session.flush()
        session.add(ChannelAccount(tenant_id=tenant.id, kind=ChannelKind.sms, address=OUR_NUMBER))
        contacts, call_rows, transcripts = [], [], []
        for n in range(calls):
            contact_id, call_id = uuid.uuid4(), uuid.uuid4()
            stamp = now - timedelta(minutes=n)
            contacts.append({"id": contact_id, "tenant_id": tenant.id, "first_name": "Pat",
                             "last_name": f"Caller{n}", "tags": [], "consent": {},
                             "created_at": stamp, "updated_at": stamp})  # fmt: skip
            call_rows.append({"id": call_id, "tenant_id": tenant.id, "contact_id": contact_id,
                              "direction": CallDirection.inbound, "started_at": stamp,
                              "duration_seconds": 240, "provider": "callrail",
                              "provider_call_id": f"CR{n}", "created_at": stamp,
                              "updated_at": stamp})  # fmt: skip
            segments = [{"speaker": s, "start_s": i * 4.0, "end_s": i * 4.0 + 3.5, "text": t}
                        for i, (s, t) in enumerate(_CALL_TURNS[n % 2])]  # fmt: skip
            transcripts.append({"id": uuid.uuid4(), "tenant_id": tenant.id, "call_id": call_id,
                                "text": "\n".join(f"{s['speaker']}: {s['text']}" for s in segments),
                                "segments": segments, "language": "en", "created_at": stamp,
                                "updated_at": stamp})  # fmt: skip
        await session.execute(insert(ContactCard), contacts)
        await session.execute(insert(Call), call_rows)
        await session.execute(insert(CallTranscript), transcripts)
    await analyze(db)
    await db.dispose()
    return tenant.id, [row["id"] for row in call_rows]


async def _queue(url: str, tenant_id: uuid.UUID, call_ids: list[uuid.UUID]) -> None:
    db = Database.from_url(url)
    async with db.transaction() as session:
        await enqueue_many(
            session,
            [
                NewJob(
                    ANALYZE_JOB,
                    {"kind": "call", "record_id": str(c), "tenant_id": str(tenant_id)},
                    tenant_id=tenant_id,
                    max_attempts=3,
                )
                for c in call_ids
            ],
        )
    await db.dispose()


async def _job_counts(db: Database) -> dict[str, int]:
    async with db.transaction() as session:
        rows = await session.execute(
            select(Job.status, func.count()).where(Job.kind == ANALYZE_JOB).group_by(Job.status)
        )
        return {str(status): int(n) for status, n in rows}


def _start_worker(database_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SWITCHBOARD_DEMO": "true",
        "SWITCHBOARD_DATABASE_URL": database_url,
        "SWITCHBOARD_TWILIO_AUTH_TOKEN": TOKEN,
        "SWITCHBOARD_LOG_LEVEL": "WARNING",
        "SWITCHBOARD_WORKER_CONCURRENCY": "4",
        "SWITCHBOARD_WORKER_POLL_SECONDS": "0.2",
    }
    env.pop("SWITCHBOARD_REDIS_URL", None)
    command = [sys.executable, "-m", "switchboard.cli", "worker"]
    return subprocess.Popen(command, env=env, cwd=ROOT)


class Ingest:
    """Signed inbound-SMS webhooks at a fixed concurrency until stopped."""

    def __init__(self, base: str, concurrency: int, count: int) -> None:
        self.url = f"{base}/webhooks/twilio/sms"
        self.concurrency = concurrency
        # Signed before the clock starts: signing is the client's cost, not the server's.
        self.prepared, _ = _webhooks(base, count, 1000)
        self.latencies: list[float] = []
        self.errors = 0
        self.stopped = asyncio.Event()

    async def run(self) -> float:
        queue = iter(self.prepared)
        connector = aiohttp.TCPConnector(limit=self.concurrency)
        async with aiohttp.ClientSession(connector=connector) as http:

            async def client() -> None:
                for body, headers in queue:
                    if self.stopped.is_set():
                        return
                    started = time.perf_counter()
                    async with http.post(self.url, data=body, headers=headers) as response:
                        await response.read()
                        self.errors += response.status != 200
                    self.latencies.append(time.perf_counter() - started)

            started = time.perf_counter()
            await asyncio.gather(*(client() for _ in range(self.concurrency)))
            return time.perf_counter() - started

    def report(self, seconds: float) -> str:
        series = Series("ingest", self.latencies)
        return (
            f"{len(self.latencies) / seconds:8.1f} webhooks/s  p50 {series.p50:6.1f} ms  "
            f"p99 {series.pct(0.99):7.1f} ms  errors {self.errors}"
        )


async def bench_drain(url: str, backend: str, jobs: int, concurrency: int) -> None:
    tenant_id, call_ids = await _seed(url, jobs)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start_server(url, port)
    workers: list[subprocess.Popen[bytes]] = []
    db = Database.from_url(url)
    try:
        await asyncio.to_thread(wait_ready, base, server)
        baseline = Ingest(base, concurrency, 5_000)
        beside = Ingest(base, concurrency, 30_000)
        task = asyncio.create_task(baseline.run())
        await asyncio.sleep(10)
        baseline.stopped.set()
        alone = await task

        await _queue(url, tenant_id, call_ids)
        ingest = asyncio.create_task(beside.run())
        started = time.perf_counter()
        workers = [_start_worker(url), _start_worker(url)]
        while True:
            counts = await _job_counts(db)
            if counts.get(JobStatus.done, 0) + counts.get(JobStatus.failed, 0) >= jobs:
                break
            if any(w.poll() is not None for w in workers):
                raise RuntimeError("a worker exited")
            await asyncio.sleep(0.25)
        drained = time.perf_counter() - started
        beside.stopped.set()
        together = await ingest

        async with db.transaction() as session:
            analyses = (
                await session.execute(
                    select(func.count())
                    .select_from(CallAnalysis)
                    .where(CallAnalysis.tenant_id == tenant_id)
                )
            ).scalar_one()
            tasks = (
                await session.execute(
                    select(func.count()).select_from(Task).where(Task.tenant_id == tenant_id)
                )
            ).scalar_one()
        print(f"\n{backend}: {jobs} queued analyses, 2 worker processes x 4 jobs each")
        print(f"  drained in {drained:6.1f} s = {jobs / drained:6.1f} analyses/s "
              f"(done {counts.get('done', 0)}, failed {counts.get('failed', 0)}; "
              f"{analyses} analyses, {tasks} tasks stored)")  # fmt: skip
        print(f"  webhook ingest alone        ({alone:4.1f} s): {baseline.report(alone)}")
        print(f"  webhook ingest beside drain ({together:4.1f} s): {beside.report(together)}")
    finally:
        for process in [*workers, server]:
            process.terminate()
        for process in [*workers, server]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="postgres,sqlite")
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    result = bench_analyser(args.runs)
    print(
        f"built-in analyser, {result['minutes']:.0f}-minute transcript, {result['words']:,} "
        f"words in {result['lines']:,} lines, {args.runs} runs: p50 {result['p50']:.1f} ms, "
        f"p95 {result['p95']:.1f} ms, max {result['max']:.1f} ms"
    )
    print(f"  found objections {result['objections']}; next steps {result['steps']}")
    for backend in args.backends.split(","):
        with scratch_database(backend.strip()) as url:
            asyncio.run(bench_drain(url, backend.strip(), args.jobs, args.concurrency))


if __name__ == "__main__":
    main()
