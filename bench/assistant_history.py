"""Assistant history at scale: the latest page of a 100-message conversation against a
10,000-message one, appending message 10 against message 10,000, and a whole built-in
assistant turn, on SQLite and PostgreSQL.

A conversation's messages are read and numbered through the (conversation_id, seq) index,
so neither a page nor an append should cost more as the conversation grows. The app runs
in-process (httpx over ASGI, no sockets) on scratch databases that are thrown away.

    .venv/bin/python bench/assistant_history.py [--backend sqlite|postgres|both]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
import types
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from _support import (
    Series,
    analyze,
    app_client,
    bench_user,
    capture_query,
    explain,
    scratch_database,
    time_sql,
)
from sqlalchemy import delete, insert, update

from switchboard.ai.builtin import BuiltinModel
from switchboard.ai.builtin.customer import MODEL_NAME
from switchboard.ai.builtin.intents import classify as classify_cache
from switchboard.ai.builtin.slots import _search as search_dates_cache
from switchboard.ai.model import (
    Audience,
    ChatModel,
    Completion,
    ModelMessage,
    StreamItem,
    TextDelta,
    ToolSpec,
)
from switchboard.ai.providers import get_model
from switchboard.assistant.models import ChatMessage, ChatRole, Conversation
from switchboard.assistant.service import ConversationService
from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.tasks.models import Task, TaskPriority
from switchboard.tenancy.models import Role, User

# The last revision whose built-in staff model was a cascade of regular expressions.
REGEX_CASCADE_REVISION = "eae04a1"
BATCH = 2_000
SMALL, LARGE = 100, 10_000
APPEND_SMALL, APPEND_LARGE = 10, 10_000
TURN_REQUESTS = [
    "What's most urgent today?",
    "Which of my overdue tasks should I tackle first?",
    "Create a task to call the Hendersons tomorrow at 5pm",
    "Who do I need to follow up with?",
]
SENTENCES = [
    "Can you check whether the Hendersons approved the roof estimate?",
    "They approved it on Tuesday; the crew is booked for Friday morning.",
    "Create a follow-up to confirm the gutter colour with Mrs. Lopez.",
    "Done: I created the task, due tomorrow at 10 AM, assigned to you.",
]


@dataclass
class Result:
    backend: str
    pages: dict[int, tuple[Series, Series, Series]]  # messages -> (HTTP, service, SQL)
    appends: dict[int, Series]  # message number -> append
    turn: Turn
    turn_before: Turn | None
    plans: str


async def load(db: Database) -> tuple[User, dict[int, uuid.UUID]]:
    """One company, one CSR with a few tasks, and conversations of 100, 10,000, 9 and 9,999
    messages (the last two are where messages 10 and 10,000 get appended)."""
    user = await bench_user(db, Role.csr, "Bench CSR")
    async with db.transaction() as session:
        now = datetime.now(UTC)
        for n in range(12):
            session.add(
                Task(
                    tenant_id=user.tenant_id,
                    title=f"Call back customer {n}",
                    priority=list(TaskPriority)[n % 3],
                    due_at=now + timedelta(hours=n - 6),
                    assignee_id=user.id,
                )
            )
    conversations: dict[int, uuid.UUID] = {}
    base = datetime.now(UTC) - timedelta(days=30)
    for size in (SMALL, LARGE, APPEND_SMALL - 1, APPEND_LARGE - 1):
        conversation_id = uuid.uuid4()
        async with db.transaction() as session:
            await session.execute(
                insert(Conversation.__table__).values(
                    id=conversation_id,
                    tenant_id=user.tenant_id,
                    owner_id=user.id,
                    title=f"{size} messages",
                    title_is_auto=False,
                    message_count=size,
                    last_message_at=base + timedelta(seconds=size),
                    last_message_preview=SENTENCES[size % 4][:140],
                    pinned=False,
                    created_at=base,
                    updated_at=base,
                )
            )
        for start in range(1, size + 1, BATCH):
            rows = []
            for seq in range(start, min(size, start + BATCH - 1) + 1):
                at = base + timedelta(seconds=seq)
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "tenant_id": user.tenant_id,
                        "conversation_id": conversation_id,
                        "seq": seq,
                        "role": ChatRole.user if seq % 2 else ChatRole.assistant,
                        "content": f"{SENTENCES[seq % 4]} (#{seq})",
                        "status": "ok",
                        "tool_calls": [],
                        "created_at": at,
                        "updated_at": at,
                    }
                )
            async with db.transaction() as session:
                await session.execute(insert(ChatMessage.__table__), rows)
        conversations[size] = conversation_id
    await analyze(db, "chat_messages")
    return user, conversations


async def time_pages(
    client: httpx.AsyncClient,
    db: Database,
    user: User,
    conversations: dict[int, uuid.UUID],
    args: argparse.Namespace,
) -> dict[int, tuple[Series, Series, Series]]:
    """The latest page of each conversation, in turn: over HTTP (in-process), through the
    service alone (one transaction, ORM rows), and the query alone."""
    sizes = [SMALL, LARGE]
    http: dict[int, list[float]] = {size: [] for size in sizes}
    service: dict[int, list[float]] = {size: [] for size in sizes}
    for i in range(args.warmup + args.requests):
        for size in sizes:
            url = f"/api/chat/conversations/{conversations[size]}/messages?limit={args.limit}"
            started = time.perf_counter()
            response = await client.get(url)
            elapsed = time.perf_counter() - started
            items = response.json()["items"] if response.status_code == 200 else []
            if len(items) != args.limit or items[-1]["seq"] != size:
                raise SystemExit(f"unexpected answer: {response.status_code} {response.text[:300]}")
            started = time.perf_counter()
            async with db.transaction() as session:
                rows, _ = await ConversationService(session, user).history(
                    conversations[size], args.limit
                )
            service_elapsed = time.perf_counter() - started
            assert rows[-1].seq == size
            if i >= args.warmup:
                http[size].append(elapsed)
                service[size].append(service_elapsed)
    result = {}
    for size in sizes:
        url = f"/api/chat/conversations/{conversations[size]}/messages?limit={args.limit}"
        query = await capture_query(db, client.get(url), "chat_messages")
        sql = await time_sql(db, query, args.requests)
        result[size] = (
            Series(f"{size} http", http[size]),
            Series(f"{size} service", service[size]),
            Series(f"{size} sql", sql),
        )
    return result


async def time_appends(
    db: Database, user: User, conversations: dict[int, uuid.UUID], args: argparse.Namespace
) -> dict[int, Series]:
    """Appending message 10 and message 10,000, in turn: the service's append in its own
    committed transaction (lock the conversation, next seq, insert, counters). Each timed
    append is then removed, untimed, so every sample appends the same message number."""
    numbers = [APPEND_SMALL, APPEND_LARGE]
    samples: dict[int, list[float]] = {n: [] for n in numbers}
    for i in range(args.warmup + args.appends):
        for number in numbers:
            conversation_id = conversations[number - 1]
            started = time.perf_counter()
            async with db.transaction() as session:
                service = ConversationService(session, user)
                conversation = await service.get(conversation_id, for_update=True)
                message = await service.append(conversation, ChatRole.user, SENTENCES[0])
            elapsed = time.perf_counter() - started
            assert message.seq == number, (message.seq, number)
            async with db.transaction() as session:
                await session.execute(delete(ChatMessage).where(ChatMessage.id == message.id))
                await session.execute(
                    update(Conversation)
                    .where(Conversation.id == conversation_id)
                    .values(message_count=number - 1)
                )
            if i >= args.warmup:
                samples[number].append(elapsed)
    return {n: Series(f"append {n}", samples[n]) for n in numbers}


class RegexCascadeModel:
    """The built-in model as it was before the learned classifier (its staff rules, a
    first-match cascade of regular expressions, read from git at `revision`): the "before"
    of a turn, timed in turn with the "after" in the same run."""

    name = MODEL_NAME

    def __init__(self, revision: str) -> None:
        source = subprocess.run(
            ["git", "show", f"{revision}:src/switchboard/ai/builtin/staff.py"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent,
        ).stdout
        if "INTENTS:" not in source:
            raise SystemExit(f"{revision} has no regex cascade to compare with")
        module = types.ModuleType("regex_cascade_staff")
        sys.modules[module.__name__] = module  # dataclasses look their module up there
        exec(compile(source, f"{revision}:staff.py", "exec"), module.__dict__)
        self.rules = module

    async def complete(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> Completion:
        completion: Completion = self.rules.respond(messages, tools)
        return completion

    async def stream(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> AsyncIterator[StreamItem]:
        completion = await self.complete(messages, tools, audience=audience)
        if completion.text and not completion.tool_calls:
            for index, word in enumerate(completion.text.split(" ")):
                yield TextDelta(word if index == 0 else " " + word)
        yield completion


class TimedModel:
    """A model whose every answer is timed: the time a turn spends in the model itself
    (reading the history, classifying, filling slots, phrasing), apart from the database."""

    def __init__(self, inner: ChatModel) -> None:
        self.inner = inner
        self.name = inner.name
        self.spent = 0.0

    async def complete(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> Completion:
        started = time.perf_counter()
        completion = await self.inner.complete(messages, tools, audience=audience)
        self.spent += time.perf_counter() - started
        return completion

    async def stream(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> AsyncIterator[StreamItem]:
        completion = await self.complete(messages, tools, audience=audience)
        if completion.text and not completion.tool_calls:
            for index, word in enumerate(completion.text.split(" ")):
                yield TextDelta(word if index == 0 else " " + word)
        yield completion


Turn = tuple[Series, Series]  # the whole turn, and the part of it spent in the model


async def time_turns(
    client: httpx.AsyncClient, args: argparse.Namespace
) -> tuple[Turn, Turn | None]:
    """Whole built-in turns over the API (JSON): store the question, read history and the
    digest, run the tools, store the reply. With `--before REV`, the same turns with the
    model of that revision in another conversation, taken in turn with these."""
    app = client._transport.app  # type: ignore[attr-defined]
    models = {"after": TimedModel(BuiltinModel())}
    if args.before:
        models["before"] = TimedModel(RegexCascadeModel(args.before))
    urls = {}
    for which in models:
        created = await client.post("/api/chat/conversations", json={})
        urls[which] = f"/api/chat/conversations/{created.json()['id']}/messages"
    samples: dict[str, list[float]] = {which: [] for which in models}
    in_model: dict[str, list[float]] = {which: [] for which in models}
    for i in range(args.warmup + args.turns):
        content = TURN_REQUESTS[i % len(TURN_REQUESTS)]
        for which, model in models.items():
            app.state.resources.provide(get_model, model)
            # The request text repeats every four turns: search its dates afresh each time,
            # as a new request would be (the cache only spares a turn's later rounds).
            search_dates_cache.cache_clear()
            classify_cache.cache_clear()
            model.spent = 0.0
            started = time.perf_counter()
            response = await client.post(urls[which], json={"content": content})
            elapsed = time.perf_counter() - started
            reply = response.json()["assistant_message"] if response.status_code == 201 else {}
            if reply.get("status") != "ok":
                raise SystemExit(f"turn failed: {response.status_code} {response.text[:300]}")
            if i >= args.warmup:
                samples[which].append(elapsed)
                in_model[which].append(model.spent)
    turns = {
        which: (Series(which, samples[which]), Series(which, in_model[which])) for which in models
    }
    return turns["after"], turns.get("before")


async def run_backend(url: str, backend: str, args: argparse.Namespace) -> tuple[Result, float]:
    settings = Settings(demo=True, database_url=url, run_worker=False, chat_rate_limit_per_minute=0)
    db = Database.from_url(url)
    try:
        started = time.perf_counter()
        user, conversations = await load(db)
        load_seconds = time.perf_counter() - started
        async with app_client(settings, db, user) as client:
            pages = await time_pages(client, db, user, conversations, args)
            plans = ""
            if args.explain:
                for size in (SMALL, LARGE):
                    page = f"/api/chat/conversations/{conversations[size]}/messages"
                    query = await capture_query(
                        db, client.get(f"{page}?limit={args.limit}"), "chat_messages"
                    )
                    plans += f"{backend}, {size} messages:\n{await explain(db, query)}\n"
            appends = await time_appends(db, user, conversations, args)
            turn, before = await time_turns(client, args)
        return Result(backend, pages, appends, turn, before, plans), load_seconds
    finally:
        await db.dispose()


def verdict(ratio: float, aim: float) -> str:
    return f"{ratio:.2f}x (aim <= {aim}x: {'met' if ratio <= aim else 'MISSED'})"


def report(results: list[Result], args: argparse.Namespace) -> None:
    print(f"Latest history page (limit={args.limit}), {args.requests} requests each, in-process")
    print(
        f"{'backend':<9} {'messages':>9} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}"
        f" {'service p50':>12} {'SQL p50':>8}"
    )
    for r in results:
        for size, (http, service, sql) in r.pages.items():
            print(
                f"{r.backend:<9} {size:>9,} {http.p50:>8.2f} {http.p95:>8.2f} {http.mean:>8.2f}"
                f" {service.p50:>12.2f} {sql.p50:>8.2f}"
            )
    print(f"\nAppend one message (own committed transaction), {args.appends} appends each")
    print(f"{'backend':<9} {'message':>9} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for r in results:
        for number, series in r.appends.items():
            print(
                f"{r.backend:<9} {number:>9,} {series.p50:>8.2f} {series.p95:>8.2f}"
                f" {series.mean:>8.2f}"
            )
    print(f"\nBuilt-in assistant turn (POST, JSON), {args.turns} turns")
    print(
        f"{'backend':<9} {'model':<24} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}"
        f" {'in model p50':>13} {'in model mean':>14}"
    )
    for r in results:
        rows = [("classifier (after)", r.turn)]
        if r.turn_before is not None:
            rows.append((f"regex {args.before} (before)", r.turn_before))
        for label, (whole, model) in rows:
            print(
                f"{r.backend:<9} {label:<24} {whole.p50:>8.2f} {whole.p95:>8.2f}"
                f" {whole.mean:>8.2f} {model.p50:>13.2f} {model.mean:>14.2f}"
            )
        if r.turn_before is not None:
            (after, after_model), (before, before_model) = r.turn, r.turn_before
            print(
                f"{r.backend:<9} {'added by the classifier':<24} {after.p50 - before.p50:>+8.2f}"
                f" {'':>8} {after.mean - before.mean:>+8.2f}"
                f" {after_model.p50 - before_model.p50:>+13.2f}"
                f" {after_model.mean - before_model.mean:>+14.2f}"
            )
    print()
    for r in results:
        small, large = r.pages[SMALL][0], r.pages[LARGE][0]
        first, last = r.appends[APPEND_SMALL], r.appends[APPEND_LARGE]
        under = "met" if r.pages[SMALL][0].p50 < 20 else "MISSED"
        print(
            f"{r.backend}: page at 10,000 / at 100 = {verdict(large.p50 / small.p50, 2)} at p50;"
            f" append at 10,000 / at 10 = {verdict(last.p50 / first.p50, 1.3)} at p50;"
            f" 100-message page {small.p50:.1f} ms (aim < 20 ms: {under})"
        )
    for r in results:
        if r.plans:
            print(f"\n{r.plans}", end="")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--limit", type=int, default=50, help="history page size")
    parser.add_argument("--requests", type=int, default=200, help="timed page requests each")
    parser.add_argument("--appends", type=int, default=200, help="timed appends each")
    parser.add_argument("--turns", type=int, default=100, help="timed assistant turns")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--explain", action="store_true", help="print the page queries' plans")
    parser.add_argument(
        "--before",
        default=REGEX_CASCADE_REVISION,
        help="git revision whose regex-cascade model the turns are compared with ('' for none)",
    )
    args = parser.parse_args()

    results: list[Result] = []
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        with scratch_database(backend) as url:
            result, load_seconds = asyncio.run(run_backend(url, backend, args))
        print(
            f"{backend}: loaded {SMALL + LARGE + APPEND_SMALL + APPEND_LARGE - 2:,} messages"
            f" in {load_seconds:.1f}s",
            file=sys.stderr,
        )
        results.append(result)
    report(results, args)


if __name__ == "__main__":
    main()
