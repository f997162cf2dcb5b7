"""What the browser benchmarks share: the demo served on a free loopback port from a scratch
SQLite file, Debian's Chromium driven by Playwright (never `playwright install`), and a
staff sign-in that leaves the browser's cache empty."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from _support import ROOT, free_port, wait_ready
from playwright.async_api import Browser, BrowserContext, async_playwright

from switchboard.config import DEMO_TWILIO_AUTH_TOKEN
from switchboard.demo.seed import DEMO_PASSWORD
from switchboard.tenancy.security import SESSION_COOKIE

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Demo:
    base: str
    twilio_token: str
    database_url: str


@contextmanager
def demo_server(**env: str) -> Iterator[Demo]:
    """`switchboard demo` (migrate, seed the demo companies, serve) on a free port of
    127.0.0.1 with a scratch SQLite file; `env` adds SWITCHBOARD_* settings. Stopped, and
    the file removed, at the end."""
    with tempfile.TemporaryDirectory(prefix="switchboard-bench-") as scratch:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        database_url = f"sqlite+aiosqlite:///{Path(scratch) / 'demo.db'}"
        settings = {
            "SWITCHBOARD_DEMO": "true",
            "SWITCHBOARD_DATABASE_URL": database_url,
            "SWITCHBOARD_PUBLIC_URL": base,
            "SWITCHBOARD_TWILIO_AUTH_TOKEN": DEMO_TWILIO_AUTH_TOKEN,
            "SWITCHBOARD_LOG_LEVEL": "WARNING",
            **env,
        }
        environment = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
        command = [sys.executable, "-m", "switchboard.cli", "demo", "--port", str(port)]
        server = subprocess.Popen(
            command,
            env={**environment, **settings},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        try:
            wait_ready(base, server, timeout=120)  # the first run migrates and seeds
            yield Demo(base, DEMO_TWILIO_AUTH_TOKEN, database_url)
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


async def signed_in(browser: Browser, base: str, email: str) -> BrowserContext:
    """A fresh browser context (empty cache) holding `email`'s session cookie. The sign-in
    goes through the context's request client, which shares the cookies but not the cache,
    so the first page the context opens fetches everything as a new visitor's would."""
    context = await browser.new_context(base_url=base)
    login = await context.request.get("/login")
    found = CSRF_FIELD.search(await login.text())
    if found is None:
        raise RuntimeError("no CSRF token on /login")
    answer = await context.request.post(
        "/login",
        form={"email": email, "password": DEMO_PASSWORD, "csrf_token": found.group(1)},
        headers={"Origin": base},
        max_redirects=0,
    )
    cookies = {cookie["name"] for cookie in await context.cookies()}
    if answer.status not in (302, 303) or SESSION_COOKIE not in cookies:
        raise RuntimeError(f"sign-in as {email} failed: {answer.status}")
    return context
