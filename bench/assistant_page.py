"""The assistant page of a 10,000-message conversation against a 100-message one, on SQLite
and PostgreSQL: `GET /assistant/{id}` as a signed-in browser asks for it (the shell, the
sidebar, the latest page of history), and the history fragment one scroll up.

The page renders only the latest page of messages, read through the (conversation_id, seq)
index, so a conversation 100 times longer should open as fast (the aim: within 1.5x). The
data is assistant_history.py's; the app runs in-process (httpx over ASGI, no sockets) on
scratch databases that are thrown away.

    .venv/bin/python bench/assistant_page.py [--backend sqlite|postgres|both]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
import uuid
from dataclasses import dataclass

import httpx
from _support import Series, app_client, scratch_database
from assistant_history import LARGE, SMALL, load

from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.tenancy.security import SESSION_COOKIE
from switchboard.tenancy.service import issue_token
from switchboard.web.pages.assistant import HISTORY_PAGE

SEQ = re.compile(r'data-seq="(\d+)"')
AIM = 1.5


@dataclass
class Result:
    backend: str
    pages: dict[int, Series]  # messages -> the whole page
    older: dict[int, Series]  # messages -> the page of history before the latest


def _check(response: httpx.Response, first: int, last: int) -> None:
    """The answer holds exactly messages first..last: a page, never the whole history."""
    seqs = [int(s) for s in SEQ.findall(response.text)]
    if response.status_code != 200 or seqs != list(range(first, last + 1)):
        shown = f"{seqs[:3]}...{seqs[-3:]}" if seqs else "none"
        raise SystemExit(f"unexpected page: {response.status_code}, messages {shown}")


async def time_pages(
    client: httpx.AsyncClient, conversations: dict[int, uuid.UUID], args: argparse.Namespace
) -> tuple[dict[int, Series], dict[int, Series]]:
    """Each conversation's page and its older-history fragment, in turn, so load on the
    machine falls on both sizes alike."""
    sizes = [SMALL, LARGE]
    pages: dict[int, list[float]] = {size: [] for size in sizes}
    older: dict[int, list[float]] = {size: [] for size in sizes}
    for i in range(args.warmup + args.requests):
        for size in sizes:
            url = f"/assistant/{conversations[size]}"
            started = time.perf_counter()
            response = await client.get(url)
            elapsed = time.perf_counter() - started
            _check(response, size - HISTORY_PAGE + 1, size)
            before = size - HISTORY_PAGE + 1
            started = time.perf_counter()
            fragment = await client.get(
                f"{url}/messages?before={before}", headers={"HX-Request": "true"}
            )
            older_elapsed = time.perf_counter() - started
            _check(fragment, before - HISTORY_PAGE, before - 1)
            if i >= args.warmup:
                pages[size].append(elapsed)
                older[size].append(older_elapsed)
    return (
        {size: Series(f"{size} page", pages[size]) for size in sizes},
        {size: Series(f"{size} older", older[size]) for size in sizes},
    )


async def run_backend(url: str, backend: str, args: argparse.Namespace) -> tuple[Result, float]:
    settings = Settings(demo=True, database_url=url, run_worker=False)
    db = Database.from_url(url)
    try:
        started = time.perf_counter()
        user, conversations = await load(db)
        load_seconds = time.perf_counter() - started
        async with app_client(settings, db, user) as client:
            # A browser: the session cookie, not the bearer token.
            del client.headers["Authorization"]
            client.cookies.set(SESSION_COOKIE, issue_token(settings, user))
            pages, older = await time_pages(client, conversations, args)
        return Result(backend, pages, older), load_seconds
    finally:
        await db.dispose()


def report(results: list[Result], args: argparse.Namespace) -> None:
    print(
        f"GET /assistant/{{id}} ({HISTORY_PAGE} latest messages) and the older-history "
        f"fragment, {args.requests} requests each, in-process"
    )
    print(f"{'backend':<9} {'messages':>9} {'what':<9} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for r in results:
        for size in (SMALL, LARGE):
            for what, series in (("page", r.pages[size]), ("older", r.older[size])):
                print(
                    f"{r.backend:<9} {size:>9,} {what:<9} {series.p50:>8.2f} {series.p95:>8.2f}"
                    f" {series.mean:>8.2f}"
                )
    print()
    for r in results:
        page = r.pages[LARGE].p50 / r.pages[SMALL].p50
        older = r.older[LARGE].p50 / r.older[SMALL].p50
        verdict = "met" if page <= AIM else "MISSED"
        print(
            f"{r.backend}: page at 10,000 / at 100 = {page:.2f}x at p50"
            f" (aim <= {AIM}x: {verdict}), {r.pages[LARGE].p95 / r.pages[SMALL].p95:.2f}x"
            f" at p95; older history {older:.2f}x at p50"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--requests", type=int, default=200, help="timed requests each")
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()

    results: list[Result] = []
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        with scratch_database(backend) as url:
            result, load_seconds = asyncio.run(run_backend(url, backend, args))
        print(f"{backend}: loaded the conversations in {load_seconds:.1f}s", file=sys.stderr)
        results.append(result)
    report(results, args)


if __name__ == "__main__":
    main()
