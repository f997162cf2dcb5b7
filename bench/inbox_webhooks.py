"""Inbound SMS webhook ingest against one server process, beside the same server's no-op route.

For each database (SQLite, PostgreSQL) this starts `switchboard serve` (one uvicorn process
on a loopback port, SWITCHBOARD_RUN_WORKER=false so only ingest is measured, and
SWITCHBOARD_BENCH_ROUTES=true for POST /bench/noop), then at each concurrency level posts
  - the no-op route: the same form body, no signature check, no database;
  - signed inbound-SMS webhooks (twilio's RequestValidator), each a new MessageSid from one of
    a pool of customer numbers (first texts create contacts and sessions, later ones reuse them),
and prints requests/s, p50 and p99 latency, and ingest as a share of the no-op rate. At the
end it checks in the database that every webhook sent was stored exactly once.

    .venv/bin/python bench/inbox_webhooks.py [--backends sqlite,postgres] [--levels 1,8,32,64]
        [--requests 2000] [--senders 1000]

PostgreSQL: a throwaway database is created on SWITCHBOARD_BENCH_PG_ADMIN_URL
(default postgresql+asyncpg://postgres@127.0.0.1:5432/postgres) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp
from _support import ROOT, Series, analyze, free_port, scratch_database, wait_ready
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from switchboard.kit.db import Database
from switchboard.messaging.models import Message
from switchboard.tenancy.models import ChannelAccount, ChannelKind, Tenant

TOKEN = "bench-twilio-auth-token"
OUR_NUMBER = "+15555550100"


@dataclass
class Run:
    route: str
    concurrency: int
    requests: int
    seconds: float
    latencies: Series
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @classmethod
    def combined(cls, runs: list[Run]) -> Run:
        """Several rounds of one route at one level as one run."""
        first = runs[0]
        latencies = Series(first.route, [s for run in runs for s in run.latencies.samples])
        return cls(
            first.route,
            first.concurrency,
            sum(run.requests for run in runs),
            sum(run.seconds for run in runs),
            latencies,
            sum(run.errors for run in runs),
        )


# --- database and server ---------------------------------------------------------------------


async def _seed(url: str) -> uuid.UUID:
    db = Database.from_url(url)
    async with db.transaction() as session:
        tenant = Tenant(name="Bench Roofing", slug=f"bench-{uuid.uuid4().hex[:8]}")
        session.add(tenant)
        await session.flush()
        session.add(ChannelAccount(tenant_id=tenant.id, kind=ChannelKind.sms, address=OUR_NUMBER))
    await db.dispose()
    return tenant.id


async def _stored_sids(url: str, tenant_id: uuid.UUID) -> tuple[int, set[str]]:
    db = Database.from_url(url)
    async with db.transaction() as session:
        rows = await session.execute(
            select(Message.provider_message_id).where(Message.tenant_id == tenant_id)
        )
        sids = [row[0] for row in rows]
        total = (
            await session.execute(
                select(func.count()).select_from(Message).where(Message.tenant_id == tenant_id)
            )
        ).scalar_one()
    await db.dispose()
    return int(total), set(sids)


async def _analyze(url: str) -> None:
    """Planner statistics once the warm-up has filled the tables, as a database in service
    has them: autovacuum analyzes a table only once enough of it changed, and up to a
    minute later, so a fresh database would otherwise be planned as empty for part of the
    run (PostgreSQL then scans a tenant's sessions for each message instead of its index
    on the counterpart)."""
    db = Database.from_url(url)
    try:
        await analyze(db)
    finally:
        await db.dispose()


def _start_server(database_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SWITCHBOARD_DEMO": "true",
        "SWITCHBOARD_DATABASE_URL": database_url,
        "SWITCHBOARD_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "SWITCHBOARD_TWILIO_AUTH_TOKEN": TOKEN,
        "SWITCHBOARD_RUN_WORKER": "false",
        "SWITCHBOARD_BENCH_ROUTES": "true",
        "SWITCHBOARD_LOG_LEVEL": "WARNING",
        "SWITCHBOARD_DATABASE_POOL_SIZE": "40",
        "SWITCHBOARD_REDIS_URL": "",
    }
    env.pop("SWITCHBOARD_REDIS_URL")
    command = [sys.executable, "-m", "switchboard.cli", "serve", "--port", str(port)]
    return subprocess.Popen(command, env=env, cwd=ROOT)


# --- load --------------------------------------------------------------------------------------


def _webhooks(
    base: str, count: int, senders: int
) -> tuple[list[tuple[bytes, dict[str, str]]], list[str]]:
    """Signed inbound-SMS webhooks, prepared before the clock starts."""
    url = f"{base}/webhooks/twilio/sms"
    validator = RequestValidator(TOKEN)
    prepared, sids = [], []
    for n in range(count):
        sid = f"SM{uuid.uuid4().hex}"
        params = {
            "MessageSid": sid,
            "SmsMessageSid": sid,
            "AccountSid": f"AC{'0' * 32}",
            "From": f"+1312{(n % senders):07d}",
            "To": OUR_NUMBER,
            "Body": f"Hi, can someone come look at my roof? ({n})",
            "NumMedia": "0",
            "NumSegments": "1",
            "SmsStatus": "received",
            "ApiVersion": "2010-04-01",
        }
        headers = {
            "X-Twilio-Signature": validator.compute_signature(url, params),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        prepared.append((urlencode(params).encode(), headers))
        sids.append(sid)
    return prepared, sids


async def _drive(
    url: str, requests: list[tuple[bytes, dict[str, str]]], concurrency: int, route: str
) -> Run:
    latencies: list[float] = []
    errors = 0
    queue = iter(requests)
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)

    async def client(http: aiohttp.ClientSession) -> None:
        nonlocal errors
        for body, headers in queue:
            started = time.perf_counter()
            async with http.post(url, data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    errors += 1
            latencies.append(time.perf_counter() - started)

    # The load generator must not pause: a full collection of this process's heap takes
    # longer than hundreds of requests, and would land on one route's clock by chance.
    gc.collect()
    gc.disable()
    try:
        async with aiohttp.ClientSession(connector=connector) as http:
            started = time.perf_counter()
            await asyncio.gather(*(client(http) for _ in range(concurrency)))
            elapsed = time.perf_counter() - started
    finally:
        gc.enable()
    return Run(route, concurrency, len(requests), elapsed, Series(route, latencies), errors)


async def bench_backend(
    url: str, backend: str, levels: list[int], count: int, senders: int, rounds: int
) -> bool:
    """Run every level on the migrated database at `url`; whether each webhook sent was
    stored exactly once."""
    tenant_id = await _seed(url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start_server(url, port)
    sent: list[str] = []
    try:
        wait_ready(base, server)
        warm, warm_sids = _webhooks(base, 200, senders)
        await _drive(f"{base}/webhooks/twilio/sms", warm, 8, "warmup")
        await _drive(f"{base}/bench/noop", warm, 8, "warmup")
        sent.extend(warm_sids)
        await _analyze(url)
        print(f"\n{backend}: one server process, worker off, {senders} customer numbers")
        print(
            f"{'conc':>5} {'route':<7} {'rps':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}"
            f"  ingest/noop (per round)"
        )
        for concurrency in levels:
            webhooks, sids = _webhooks(base, count, senders)
            noops, ingests = [], []
            # The routes take turns, so the machine's drift falls on both alike.
            for chunk in (webhooks[start::rounds] for start in range(rounds)):
                noops.append(await _drive(f"{base}/bench/noop", chunk, concurrency, "noop"))
                ingests.append(
                    await _drive(f"{base}/webhooks/twilio/sms", chunk, concurrency, "ingest")
                )
            sent.extend(sids)
            noop, ingest = Run.combined(noops), Run.combined(ingests)
            shares = [i.rps / n.rps for n, i in zip(noops, ingests, strict=True)]
            for run in (noop, ingest):
                share = (
                    f"  {ingest.rps / noop.rps:6.1%}  ({min(shares):.0%} to {max(shares):.0%})"
                    if run is ingest
                    else ""
                )
                print(
                    f"{run.concurrency:>5} {run.route:<7} {run.rps:>8.0f} "
                    f"{run.latencies.p50:>8.1f} {run.latencies.pct(0.99):>8.1f} {run.errors:>6}{share}"
                )
    finally:
        server.terminate()
        server.wait(timeout=15)
    total, stored = await _stored_sids(url, tenant_id)
    exact = total == len(sent) and stored == set(sent)
    print(
        f"stored {total} messages for {len(sent)} webhooks sent: "
        + ("every one exactly once" if exact else f"MISMATCH ({len(set(sent) - stored)} missing)")
    )
    return exact


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--levels", default="1,8,32,64")
    parser.add_argument("--requests", type=int, default=2000, help="per route and level")
    parser.add_argument("--senders", type=int, default=1000, help="distinct customer numbers")
    parser.add_argument(
        "--rounds", type=int, default=4, help="turns the two routes take at each level"
    )
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",")]
    for backend in (name.strip() for name in args.backends.split(",")):
        with scratch_database(backend) as url:
            exact = asyncio.run(
                bench_backend(url, backend, levels, args.requests, args.senders, args.rounds)
            )
        if not exact:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
