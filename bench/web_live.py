"""Webhook to screen: from a signed Twilio SMS webhook's POST to its text shown in a browser
that has the conversation open.

Serves the demo (`switchboard demo` on a free loopback port, a scratch SQLite file, the
auto-reply held back an hour so no AI reply lands in between), opens /inbox/{session_id}
in Debian's Chromium as csr@demo.test, and posts signed inbound-SMS webhooks from that
conversation's customer at a steady rate. A MutationObserver in the page stamps
`Date.now()` when each text's `li.msg` enters the Messages region, and again at the next
animation frame; the script stamps the same clock just before each POST.

    .venv/bin/python bench/web_live.py [--messages 100] [--rate 2] [--user csr@demo.test]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from dataclasses import dataclass, field

import httpx
from _browser import DEMO_PASSWORD, Demo, chromium, demo_server, signed_in
from _support import Series
from playwright.async_api import Page

from switchboard.channels.twilio.cli import DEMO_NUMBER, WEBHOOK_PATH, inbound_params, signature_for

AIM_P95_MS = 300

# Stamps each of this run's texts once: `socket` when its message.created event reaches the
# page, `dom` in the observer's callback when its message item is first in the region (the
# insertion), `frame` at the next animation frame (the first one that can paint it).
OBSERVE = """
(nonce) => {
  window.__seen = {};
  window.__socket = {};
  const pattern = new RegExp("\\\\[live (\\\\d+) " + nonce + "\\\\]");
  document.getElementById("live").addEventListener("htmx:wsBeforeMessage", (e) => {
    const now = Date.now();
    let event;
    try { event = JSON.parse(e.detail.message); } catch (err) { return; }
    const message = (event.data || {}).message || {};
    const found = event.type === "message.created" && (message.body || "").match(pattern);
    if (found && !(found[1] in window.__socket)) window.__socket[found[1]] = now;
  });
  const region = document.getElementById("messages");
  const pending = [];
  function stamp(node, now) {
    if (!(node instanceof Element)) return;
    const items = node.matches("li.msg") ? [node] : node.querySelectorAll("li.msg");
    for (const item of items) {
      const bubble = item.querySelector(".bubble");
      const found = bubble && bubble.textContent.match(pattern);
      if (found && !(found[1] in window.__seen)) {
        window.__seen[found[1]] = { dom: now, frame: null };
        pending.push(found[1]);
      }
    }
  }
  new MutationObserver((records) => {
    const now = Date.now();
    for (const record of records) record.addedNodes.forEach((node) => stamp(node, now));
    if (pending.length) {
      const these = pending.splice(0);
      requestAnimationFrame(() => {
        const painted = Date.now();
        for (const n of these) window.__seen[n].frame = painted;
      });
    }
  }).observe(region, { childList: true, subtree: true });
}
"""


@dataclass
class Sent:
    n: int
    started: float  # ms since the epoch, the clock the page's Date.now() reads
    answered: float = 0.0
    status: int = 0


@dataclass
class Result:
    sent: list[Sent]
    seen: dict[int, dict[str, float]]
    socket: dict[int, float]  # when each text's message.created event reached the page
    offset_ms: float
    offset_spread_ms: float
    session_id: str
    customer: str
    failures: list[str] = field(default_factory=list)


def _now_ms() -> float:
    return time.time() * 1000


async def _customer(http: httpx.AsyncClient, token: str) -> str:
    """The number of the demo's most recent SMS conversation."""
    headers = {"Authorization": f"Bearer {token}"}
    answer = await http.get(
        "/api/inbox/sessions", params={"channel": "sms", "limit": 1}, headers=headers
    )
    items = answer.json()["items"]
    if not items:
        raise RuntimeError("the demo has no SMS conversation")
    return str(items[0]["counterpart_address"])


async def _session_of(http: httpx.AsyncClient, token: str, number: str) -> str:
    """The conversation a text from `number` just landed in (the newest with that number)."""
    answer = await http.get(
        "/api/inbox/sessions",
        params={"channel": "sms", "q": number, "limit": 5},
        headers={"Authorization": f"Bearer {token}"},
    )
    for item in answer.json()["items"]:
        if item["counterpart_address"] == number:
            return str(item["id"])
    raise RuntimeError(f"no conversation with {number}")


def _webhook(demo: Demo, number: str, body: str) -> tuple[dict[str, str], dict[str, str]]:
    params = inbound_params(sender=number, to=DEMO_NUMBER, body=body)
    signature = signature_for(demo.twilio_token, demo.base + WEBHOOK_PATH, params)
    return params, {"X-Twilio-Signature": signature}


async def _clock_offset(page: Page) -> tuple[float, float]:
    """The page's Date.now() minus ours, read in the middle of each round trip: median and
    spread over 20 probes (both read the same system clock, so it should be ~0)."""
    offsets, trips = [], []
    for _ in range(20):
        before = _now_ms()
        theirs = await page.evaluate("Date.now()")
        after = _now_ms()
        offsets.append(theirs - (before + after) / 2)
        trips.append(after - before)
    return statistics.median(offsets), max(trips) / 2


async def run(demo: Demo, args: argparse.Namespace) -> Result:
    nonce = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=demo.base, timeout=15) as http:
        token = (
            await http.post(
                "/api/auth/token", data={"username": args.user, "password": DEMO_PASSWORD}
            )
        ).json()["access_token"]
        number = await _customer(http, token)
        # The first text may open a new conversation (the last one went quiet longer than
        # the session gap ago); the rest arrive in the conversation it landed in.
        params, headers = _webhook(demo, number, f"Starting the live test [prime {nonce}]")
        (await http.post(WEBHOOK_PATH, data=params, headers=headers)).raise_for_status()
        session_id = await _session_of(http, token, number)

        async with chromium() as browser:
            context = await signed_in(browser, demo.base, args.user)
            try:
                page = await context.new_page()
                await page.goto(f"/inbox/{session_id}", wait_until="load")
                await page.wait_for_selector('#live-status[data-state="live"]', timeout=10_000)
                await page.wait_for_load_state("networkidle")
                await page.evaluate(OBSERVE, nonce)
                offset, spread = await _clock_offset(page)

                sent = [Sent(n, 0.0) for n in range(args.messages)]
                prepared = [
                    _webhook(demo, number, f"Is the crew still coming? [live {n} {nonce}]")
                    for n in range(args.messages)
                ]

                async def post(item: Sent) -> None:
                    data, signed = prepared[item.n]
                    item.started = _now_ms()
                    answer = await http.post(WEBHOOK_PATH, data=data, headers=signed)
                    item.answered, item.status = _now_ms(), answer.status_code

                # A steady rate: each POST starts on its own schedule, whatever the last
                # one's answer took.
                loop = asyncio.get_running_loop()
                start = loop.time() + 0.2
                posts = []
                for item in sent:
                    await asyncio.sleep(max(0.0, start + item.n / args.rate - loop.time()))
                    posts.append(asyncio.ensure_future(post(item)))
                await asyncio.gather(*posts)

                deadline = loop.time() + args.settle
                seen: dict[str, dict[str, float]] = {}
                while loop.time() < deadline:
                    seen = await page.evaluate("window.__seen")
                    if len(seen) == args.messages and all(s["frame"] for s in seen.values()):
                        break
                    await asyncio.sleep(0.1)
                socket = await page.evaluate("window.__socket")
            finally:
                await context.close()
    failures = [f"{item.n}: HTTP {item.status}" for item in sent if item.status != 200]
    return Result(
        sent,
        {int(n): stamps for n, stamps in seen.items()},
        {int(n): at for n, at in socket.items()},
        offset,
        spread,
        session_id,
        number,
        failures,
    )


def report(result: Result, args: argparse.Namespace) -> None:
    by_n = {item.n: item for item in result.sent}
    event = [(at - by_n[n].started) / 1000 for n, at in result.socket.items()]
    dom = [(s["dom"] - by_n[n].started) / 1000 for n, s in result.seen.items()]
    frame = [(s["frame"] - by_n[n].started) / 1000 for n, s in result.seen.items() if s["frame"]]
    answered = [(item.answered - item.started) / 1000 for item in result.sent if item.status]
    print(
        f"Webhook to screen: {args.messages} signed SMS webhooks at {args.rate:g}/s from"
        f" {result.customer} into an open /inbox/{{session_id}} (Chromium headless)"
    )
    print(
        f"clock: page Date.now() - script time.time() = {result.offset_ms:+.1f} ms"
        f" (read within +-{result.offset_spread_ms:.1f} ms; not corrected)"
    )
    print(f"{'from the POST start to':<34} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'count':>6}")
    for label, samples in (
        ("the webhook's answer (TwiML)", answered),
        ("its live event in the page", event),
        ("the text in the DOM", dom),
        ("the next animation frame", frame),
    ):
        if samples:
            series = Series(label, samples)
            print(
                f"{label:<34} {series.p50:>8.1f} {series.p95:>8.1f}"
                f" {max(samples) * 1000:>8.1f} {len(samples):>6}"
            )
    arrived = len(result.seen)
    p95 = Series("frame", frame).p95 if frame else float("inf")
    verdict = "met" if p95 < AIM_P95_MS and arrived == args.messages else "MISSED"
    print(
        f"arrived: {arrived} of {args.messages}; p95 to screen {p95:.1f} ms"
        f" (aim < {AIM_P95_MS} ms with every text shown: {verdict})"
        + (f"; failed webhooks: {', '.join(result.failures)}" if result.failures else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100, help="webhooks to post")
    parser.add_argument("--rate", type=float, default=2.0, help="webhooks per second")
    parser.add_argument("--user", default="csr@demo.test", help="who has the page open")
    parser.add_argument(
        "--settle", type=float, default=10.0, help="seconds to wait for the last texts"
    )
    args = parser.parse_args()
    # The AI's reply waits for this long after a text: longer than the run, so only the
    # customer's texts reach the thread.
    with demo_server(SWITCHBOARD_AUTO_REPLY_DEBOUNCE_SECONDS="3600") as demo:
        result = asyncio.run(run(demo, args))
    report(result, args)
    if result.failures or len(result.seen) != args.messages:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
