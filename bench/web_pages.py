"""Server render of the staff web app's lists: /inbox with 10,000 sessions, /tasks with
100,000 tasks, page 200 against page 1, and each HTML page against the JSON list of the
same rows.

One company, one CSR. The app runs in-process (httpx over ASGI, no sockets): the pages
with the CSR's session cookie, the JSON lists with the same user's bearer token, on a
scratch SQLite file and a scratch PostgreSQL database thrown away afterwards. Page 200's
cursor is the one the pages hand out: the script follows the "Older conversations" and
"More tasks" links from page 1, and checks the JSON list's `next_cursor` agrees.

    .venv/bin/python bench/web_pages.py [--backend sqlite|postgres|both] [--page 200]
        [--requests 100] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import html
import io
import pstats
import re
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from _support import Series, analyze, app_client, bench_user, scratch_database
from sqlalchemy import event, insert

from switchboard.config import Settings
from switchboard.crm.models import ContactCard, ContactPhone
from switchboard.kit.db import Database
from switchboard.messaging.models import Channel, MessagingSession, OptOut, SessionStatus
from switchboard.tasks.models import AssignedRole, Task, TaskPriority, TaskSource, TaskStatus
from switchboard.tenancy.models import Role, User
from switchboard.tenancy.security import SESSION_COOKIE
from switchboard.tenancy.service import issue_token

BATCH = 5_000
MORE_LINK = re.compile(r'<li class="more"><a href="([^"]+)"')
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@dataclass(frozen=True)
class ListPage:
    """One list as the two faces show it: the page and the JSON list of the same rows."""

    name: str
    rows: int
    html_path: str
    json_path: str
    json_params: dict[str, Any]
    limit: int
    row_ids: re.Pattern[str]  # the row ids an HTML page shows, in order


INBOX = ListPage(
    "inbox",
    10_000,
    "/inbox",
    "/api/inbox/sessions",
    {"limit": 30},
    30,
    re.compile(rf'<li class="conversation[^"]*"[^>]*data-session-id="({UUID})"'),
)
# The task page lists what is still to do by default (open, overdue or not); the JSON list
# shows every status unless asked, so it is asked for the same rows.
TASKS = ListPage(
    "tasks",
    100_000,
    "/tasks",
    "/api/tasks",
    {"limit": 50, "pending": "true"},
    50,
    re.compile(rf'<li id="task-({UUID})"'),
)


@dataclass
class Timing:
    backend: str
    list: str
    face: str  # "html" or "json"
    page: int
    http: Series
    queries: int
    size: int


# --- data ----------------------------------------------------------------------------------------


async def _insert(db: Database, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        async with db.transaction() as session:
            await session.execute(insert(table), rows[start : start + BATCH])


async def load(db: Database, sessions: int, tasks: int) -> tuple[User, float]:
    """One company and its CSR; `sessions` conversations, each with its own contact (a
    quarter on WhatsApp, half waiting on a reply, one in seven taken over by the CSR, one
    in a hundred opted out), and `tasks` tasks of mixed status, priority, source and
    links. Every row has its own time, so the sort is total. Seconds taken."""
    started = time.perf_counter()
    user = await bench_user(db, Role.csr, "Bench CSR")
    tenant = user.tenant_id
    now = datetime.now(UTC)
    contacts, phones, conversations, opt_outs = [], [], [], []
    for n in range(sessions):
        at = now - timedelta(minutes=sessions - n)
        number = f"+1312{n:07d}"
        whatsapp = n % 4 == 3
        contact_id = uuid.uuid4()
        contacts.append(
            {
                "id": contact_id,
                "tenant_id": tenant,
                "created_at": at,
                "updated_at": at,
                "first_name": f"Customer{n}",
                "last_name": "Bench",
                "tags": [],
                "consent": {},
            }
        )
        phones.append(
            {
                "id": uuid.uuid4(),
                "tenant_id": tenant,
                "created_at": at,
                "updated_at": at,
                "contact_id": contact_id,
                "number": number,
                "label": "mobile",
                "is_primary": True,
            }
        )
        paused = n % 7 == 0
        conversations.append(
            {
                "id": uuid.uuid4(),
                "tenant_id": tenant,
                "created_at": at - timedelta(seconds=30),
                "updated_at": at,
                "contact_id": contact_id,
                "channel": Channel.whatsapp if whatsapp else Channel.sms,
                "counterpart_address": f"whatsapp:{number}" if whatsapp else number,
                "our_address": "whatsapp:+15555550100" if whatsapp else "+15555550100",
                "status": SessionStatus.open,
                "ai_paused": paused,
                "taken_over_by_id": user.id if paused else None,
                "message_count": 2,
                "first_message_at": at - timedelta(seconds=30),
                "last_message_at": at,
                "title": None,
                "last_message_preview": f"Hi, can someone look at my roof this week? ({n})",
                "last_inbound_at": at if n % 2 == 0 else at - timedelta(seconds=30),
            }
        )
        if n % 100 == 50:
            opt_outs.append(
                {
                    "id": uuid.uuid4(),
                    "tenant_id": tenant,
                    "created_at": at,
                    "updated_at": at,
                    "address": number,
                    "channel_group": "sms",
                    "keyword": "STOP",
                    "opted_out_at": at,
                    "source": "keyword",
                }
            )
    await _insert(db, ContactCard.__table__, contacts)
    await _insert(db, ContactPhone.__table__, phones)
    await _insert(db, MessagingSession.__table__, conversations)
    await _insert(db, OptOut.__table__, opt_outs)

    base = now - timedelta(days=365)
    statuses = [TaskStatus.open, TaskStatus.open, TaskStatus.completed, TaskStatus.cancelled]
    priorities = list(TaskPriority)
    sources = list(TaskSource)
    rows = []
    for n in range(tasks):
        created = base + timedelta(seconds=n * 300)
        rows.append(
            {
                "id": uuid.uuid4(),
                "tenant_id": tenant,
                "created_at": created,
                "updated_at": created,
                "title": f"Call back about the estimate #{n}",
                "description": "Customer asked for a second quote." if n % 2 else None,
                "status": statuses[n % len(statuses)],
                "priority": priorities[n % len(priorities)],
                "due_at": created + timedelta(days=2),
                "assigned_role": AssignedRole.csr,
                "assignee_id": user.id if n % 3 == 0 else None,
                "source": sources[n % len(sources)],
                "created_by_id": user.id,
                "contact_id": contacts[n % len(contacts)]["id"] if n % 5 == 0 else None,
            }
        )
    await _insert(db, Task.__table__, rows)
    await analyze(db)
    return user, time.perf_counter() - started


# --- requests ------------------------------------------------------------------------------------


def _next_link(body: str) -> str | None:
    found = MORE_LINK.search(body)
    return html.unescape(found.group(1)) if found else None


async def walk(client: httpx.AsyncClient, page: ListPage, to_page: int) -> tuple[str, str]:
    """The URLs of page `to_page` of the list, found as a person would: following the
    page's own link to the next one, `to_page - 1` times; then the same walk over the JSON
    list's `next_cursor`, which must reach the same cursor. (page URL, JSON cursor)"""
    url = page.html_path
    for _ in range(to_page - 1):
        response = await client.get(url)
        link = _next_link(response.text) if response.status_code == 200 else None
        if link is None:
            raise SystemExit(f"{page.name}: no next link on {url} ({response.status_code})")
        url = link
    cursor = None
    for _ in range(to_page - 1):
        params = {**page.json_params, **({"cursor": cursor} if cursor else {})}
        cursor = (await client.get(page.json_path, params=params)).json()["next_cursor"]
    html_cursor = httpx.URL(url).params.get("cursor")
    if to_page > 1 and html_cursor != cursor:
        raise SystemExit(f"{page.name}: the page's cursor is not the JSON list's")
    return url, cursor or ""


@dataclass
class Request:
    list: ListPage
    face: str
    page: int
    url: str
    params: dict[str, Any]

    async def send(self, client: httpx.AsyncClient) -> httpx.Response:
        # httpx replaces a URL's query with `params` when any are given, even none.
        return await client.get(self.url, params=self.params or None)

    def row_ids(self, response: httpx.Response) -> list[str]:
        if self.face == "html":
            return self.list.row_ids.findall(response.text)
        return [item["id"] for item in response.json()["items"]]


def requests_of(page: ListPage, deep: int, deep_url: str, deep_cursor: str) -> list[Request]:
    return [
        Request(page, "html", 1, page.html_path, {}),
        Request(page, "html", deep, deep_url, {}),
        Request(page, "json", 1, page.json_path, dict(page.json_params)),
        Request(page, "json", deep, page.json_path, {**page.json_params, "cursor": deep_cursor}),
    ]


async def check_rows(client: httpx.AsyncClient, requests: list[Request]) -> None:
    """Each HTML page shows the JSON list's rows, in its order, a full page of them."""
    by_page: dict[int, list[list[str]]] = {}
    for request in requests:
        response = await request.send(client)
        if response.status_code != 200:
            raise SystemExit(f"{request.url}: {response.status_code} {response.text[:300]}")
        by_page.setdefault(request.page, []).append(request.row_ids(response))
    for number, (html_ids, json_ids) in by_page.items():
        if html_ids != json_ids or len(html_ids) != requests[0].list.limit:
            raise SystemExit(
                f"{requests[0].list.name} page {number}: the page shows {len(html_ids)} rows,"
                f" the JSON list {len(json_ids)}, {'the same' if html_ids == json_ids else 'others'}"
            )


async def count_queries(db: Database, client: httpx.AsyncClient, request: Request) -> int:
    statements = 0

    def counted(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(db.engine.sync_engine, "before_cursor_execute", counted)
    try:
        await request.send(client)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", counted)
    return statements


async def measure(
    client: httpx.AsyncClient, requests: list[Request], count: int, warmup: int
) -> list[list[float]]:
    """Time each request, taking them in turn so load on the machine falls on all alike."""
    samples: list[list[float]] = [[] for _ in requests]
    for i in range(warmup + count):
        for request, kept in zip(requests, samples, strict=True):
            started = time.perf_counter()
            response = await request.send(client)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"{request.url}: {response.status_code}")
            if i >= warmup:
                kept.append(elapsed)
    return samples


def _statement_name(statement: str) -> str:
    """What a statement is, in a few words: `count sessions`, `select tasks`."""
    words = " ".join(statement.split())
    if words.startswith("SELECT count(*)"):
        inner = re.search(r"FROM (\w+)", words[words.find("FROM (") + 6 :])
        return f"count {inner.group(1) if inner else '?'}"
    found = re.search(r"\bFROM (\w+)", words)
    return f"{words.split()[0].lower()} {found.group(1) if found else ''}".strip()


async def breakdown(
    db: Database, client: httpx.AsyncClient, request: Request, count: int
) -> dict[str, float]:
    """Where a request's time goes, mean ms over `count` requests: each statement (from
    the cursor's execute to its return, the driver's thread hop included), the template's
    render, and the rest (routing, auth, the ORM, the response)."""
    from switchboard.web import shell

    spent: dict[str, float] = {}

    def add(name: str, seconds: float) -> None:
        spent[name] = spent.get(name, 0.0) + seconds * 1000 / count

    def before(_c: Any, _cur: Any, _s: str, _p: Any, context: Any, _m: bool) -> None:
        context._bench_started = time.perf_counter()

    def after(_c: Any, _cur: Any, statement: str, _p: Any, context: Any, _m: bool) -> None:
        add(f"SQL {_statement_name(statement)}", time.perf_counter() - context._bench_started)

    render = shell.templates.TemplateResponse

    def timed_render(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return render(*args, **kwargs)
        finally:
            add("render", time.perf_counter() - started)

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    shell.templates.TemplateResponse = timed_render  # type: ignore[method-assign]
    try:
        for _ in range(count):
            started = time.perf_counter()
            await request.send(client)
            add("total", time.perf_counter() - started)
    finally:
        shell.templates.TemplateResponse = render  # type: ignore[method-assign]
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    spent["rest"] = spent["total"] - sum(v for k, v in spent.items() if k != "total")
    return spent


async def profile(client: httpx.AsyncClient, request: Request, count: int) -> str:
    """cProfile of `count` requests (the app runs in this thread, so all of it is seen)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        await request.send(client)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)
    return out.getvalue()


async def run_backend(
    url: str, backend: str, args: argparse.Namespace
) -> tuple[list[Timing], float, list[str]]:
    settings = Settings(demo=True, database_url=url, run_worker=False)
    db = Database.from_url(url)
    try:
        user, load_seconds = await load(db, args.sessions, args.tasks)
        timings, profiles = [], []
        async with app_client(settings, db, user) as client:
            client.cookies.set(SESSION_COOKIE, issue_token(settings, user))
            for page in (INBOX, TASKS):
                deep_url, deep_cursor = await walk(client, page, args.page)
                requests = requests_of(page, args.page, deep_url, deep_cursor)
                await check_rows(client, requests)
                queries = [await count_queries(db, client, r) for r in requests]
                sizes = [len((await r.send(client)).content) for r in requests]
                samples = await measure(client, requests, args.requests, args.warmup)
                for request, kept, n, size in zip(requests, samples, queries, sizes, strict=True):
                    timings.append(
                        Timing(
                            backend,
                            page.name,
                            request.face,
                            request.page,
                            Series(request.face, kept),
                            n,
                            size,
                        )
                    )
                if args.breakdown:
                    for request in requests:
                        spent = await breakdown(db, client, request, args.requests)
                        parts = ", ".join(
                            f"{name} {ms:.2f}" for name, ms in spent.items() if name != "total"
                        )
                        profiles.append(
                            f"{backend} {page.name} {request.face} page {request.page}:"
                            f" {spent['total']:.2f} ms mean = {parts}"
                        )
                if args.profile:
                    for request in requests[1::2]:
                        title = f"{backend} {page.name} {request.face} page {request.page}"
                        profiles.append(f"== {title}\n{await profile(client, request, 50)}")
        return timings, load_seconds, profiles
    finally:
        await db.dispose()


def _skip_waiting_count() -> None:
    """Every page's shell counts the conversations waiting on a reply (the tab title's
    number): a scan of all the company's conversations. Answering 0 without the query
    shows what the rest of a page costs."""
    from switchboard.messaging.service import InboxService

    async def none_waiting(_self: InboxService) -> int:
        return 0

    InboxService.waiting_count = none_waiting  # type: ignore[method-assign]


def _aim(ratio: float, aim: float) -> str:
    return f"{ratio:.2f}x (aim <= {aim}x: {'met' if ratio <= aim else 'MISSED'})"


def report(results: list[Timing], backends: list[str], deep: int, requests: int) -> None:
    print(f"Server render, in-process: {requests} requests per row, taken in turn")
    print(
        f"{'backend':<9} {'list':<6} {'face':<5} {'page':>5} {'p50 ms':>8} {'p95 ms':>8}"
        f" {'mean ms':>8} {'queries':>8} {'bytes':>8}"
    )
    for t in results:
        print(
            f"{t.backend:<9} {t.list:<6} {t.face:<5} {t.page:>5} {t.http.p50:>8.2f}"
            f" {t.http.p95:>8.2f} {t.http.mean:>8.2f} {t.queries:>8} {t.size:>8,}"
        )
    for backend in backends:
        for name in (INBOX.name, TASKS.name):
            got = {
                (t.face, t.page): t.http for t in results if (t.backend, t.list) == (backend, name)
            }
            print(
                f"{backend} {name}: page {deep} / page 1 = "
                f"{_aim(got['html', deep].p50 / got['html', 1].p50, 1.5)} at p50"
                f" (JSON {got['json', deep].p50 / got['json', 1].p50:.2f}x);"
                f" HTML / JSON = {_aim(got['html', 1].p50 / got['json', 1].p50, 2)} on page 1,"
                f" {_aim(got['html', deep].p50 / got['json', deep].p50, 2)} on page {deep}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--sessions", type=int, default=INBOX.rows)
    parser.add_argument("--tasks", type=int, default=TASKS.rows)
    parser.add_argument("--page", type=int, default=200, help="the deep page to time")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per row")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument(
        "--no-waiting-count",
        action="store_true",
        help="diagnosis: the pages' shell skips its count of conversations waiting on a reply",
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="print where each request's time goes: statements, render, the rest (stderr)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="print cProfile of each deep page (stderr)"
    )
    args = parser.parse_args()
    # Tasks to do are half of them (open; the rest completed or cancelled).
    if args.page * INBOX.limit > args.sessions or args.page * TASKS.limit * 2 > args.tasks:
        parser.error("too few rows for --page: sessions >= page x 30, tasks >= page x 100")

    if args.no_waiting_count:
        _skip_waiting_count()
    results: list[Timing] = []
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        with scratch_database(backend) as url:
            timings, load_seconds, profiles = asyncio.run(run_backend(url, backend, args))
        print(
            f"{backend}: loaded {args.sessions:,} sessions and {args.tasks:,} tasks"
            f" in {load_seconds:.1f}s",
            file=sys.stderr,
        )
        for text in profiles:
            print(text, file=sys.stderr)
        results += timings
    report(results, backends, args.page, args.requests)


if __name__ == "__main__":
    main()
