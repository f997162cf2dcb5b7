"""Everything the first load of /inbox transfers (HTML, CSS, JS), as Chromium fetches it.

Serves the demo (`switchboard demo` on a free loopback port, a scratch SQLite file), signs
in as csr@demo.test in a fresh browser context (empty cache), opens /inbox in Debian's
Chromium driven by Playwright, waits until the live connection is up and the network is
quiet, and sums the encoded bytes of every response: bodies as they came over the wire,
and their headers. Then opens /inbox again in the same context (the second visit: the
static files come from the cache).

    .venv/bin/python bench/web_first_load.py [--path /inbox] [--user csr@demo.test]
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

from _browser import Demo, chromium, demo_server, signed_in
from playwright.async_api import BrowserContext, Page, Request, WebSocket

AIM_BYTES = 150_000  # 150 KB


@dataclass
class Fetched:
    url: str
    kind: str  # Playwright's resource type: document, stylesheet, script, fetch, ...
    status: int
    body: int  # encoded: as transferred
    wire: int  # the body and the response's headers; 0 from the cache
    decoded: int

    @property
    def headers(self) -> int:
        return self.wire - self.body


@dataclass
class Load:
    fetched: list[Fetched]
    failed: list[str]
    socket_frames: int
    socket_bytes: int

    @property
    def body(self) -> int:
        return sum(f.body for f in self.fetched)

    @property
    def total(self) -> int:
        return sum(f.wire for f in self.fetched)


async def load(context: BrowserContext, page: Page, path: str) -> Load:
    fetched: list[Fetched] = []
    failed: list[str] = []
    pending: list[asyncio.Task[None]] = []
    frames = [0, 0]

    async def record(request: Request) -> None:
        response = await request.response()
        sizes = await request.sizes()
        decoded = len(await response.body()) if response and response.status < 300 else 0
        fetched.append(
            Fetched(
                request.url,
                request.resource_type,
                response.status if response else 0,
                # A response from the cache reports 0 on the wire, as minus its headers' size.
                max(0, sizes["responseBodySize"]),
                max(0, sizes["responseBodySize"] + sizes["responseHeadersSize"]),
                decoded,
            )
        )

    def on_socket(socket: WebSocket) -> None:
        def counted(payload: str | bytes) -> None:
            frames[0] += 1
            frames[1] += len(payload.encode() if isinstance(payload, str) else payload)

        socket.on("framereceived", counted)

    def finished(request: Request) -> None:
        pending.append(asyncio.ensure_future(record(request)))

    page.on("requestfinished", finished)
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("websocket", on_socket)
    try:
        await page.goto(path, wait_until="load")
        # The live connection is part of the page: wait until it is up, then for quiet.
        await page.wait_for_selector('#live-status[data-state="live"]', timeout=10_000)
        await page.wait_for_load_state("networkidle")
        await page.wait_for_timeout(500)
        await asyncio.gather(*pending)
    finally:
        page.remove_listener("requestfinished", finished)
    return Load(fetched, failed, frames[0], frames[1])


def _name(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path if len(path) <= 60 else path[:57] + "..."


def report(first: Load, second: Load, path: str) -> None:
    print(f"First load of {path} (fresh context, empty cache), Chromium headless")
    print(f"{'status':>6} {'type':<11} {'encoded':>9} {'headers':>8} {'decoded':>9}  url")
    for f in first.fetched:
        print(
            f"{f.status:>6} {f.kind:<11} {f.body:>9,} {f.headers:>8,} {f.decoded:>9,}  {_name(f.url)}"
        )
    by_kind: dict[str, int] = {}
    for f in first.fetched:
        by_kind[f.kind] = by_kind.get(f.kind, 0) + f.wire
    kinds = ", ".join(f"{kind} {size:,}" for kind, size in sorted(by_kind.items()))
    verdict = "met" if first.total < AIM_BYTES else "MISSED"
    print(
        f"first load: {len(first.fetched)} requests, {first.body:,} bytes of bodies"
        f" + {first.total - first.body:,} of headers = {first.total:,} bytes"
        f" (aim < {AIM_BYTES:,}: {verdict}); by type: {kinds}"
    )
    print(
        f"  plus the live socket: {first.socket_frames} frames, {first.socket_bytes:,} bytes"
        + (f"; failed requests: {', '.join(first.failed)}" if first.failed else "")
    )
    print(
        f"second visit: {len(second.fetched)} requests, {second.total:,} bytes"
        f" ({sum(1 for f in second.fetched if f.wire == 0)} answered from the cache)"
    )


async def run(demo: Demo, path: str, user: str) -> tuple[Load, Load]:
    async with chromium() as browser:
        context = await signed_in(browser, demo.base, user)
        try:
            page = await context.new_page()
            first = await load(context, page, path)
            second = await load(context, page, path)
        finally:
            await context.close()
    return first, second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default="/inbox", help="the page to load")
    parser.add_argument("--user", default="csr@demo.test", help="who signs in")
    args = parser.parse_args()
    with demo_server() as demo:
        first, second = asyncio.run(run(demo, args.path, args.user))
    report(first, second, args.path)
    if first.failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
