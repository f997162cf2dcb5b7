"""A served demo and Debian's Chromium for the browser tests: the server runs in its own
process on a scratch SQLite file with the demo data, exactly as `make demo` serves it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from switchboard.channels.twilio.cli import DEMO_NUMBER, WEBHOOK_PATH, inbound_params, signature_for
from switchboard.config import DEMO_TWILIO_AUTH_TOKEN

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class DemoServer:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def text_in(self, sender: str, body: str, to: str = DEMO_NUMBER) -> httpx.Response:
        """A customer's text to our number `to`, posted and signed as Twilio would."""
        params = inbound_params(sender=sender, to=to, body=body)
        url = self.base_url + WEBHOOK_PATH
        headers = {"X-Twilio-Signature": signature_for(DEMO_TWILIO_AUTH_TOKEN, url, params)}
        response = httpx.post(url, data=params, headers=headers, timeout=10)
        response.raise_for_status()
        return response


@contextlib.contextmanager
def demo_server(workdir: Path, **env: str) -> Iterator[DemoServer]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = workdir / "server.log"
    environment = {
        **os.environ,
        "SWITCHBOARD_DEMO": "true",
        "SWITCHBOARD_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'demo.db'}",
        "SWITCHBOARD_PUBLIC_URL": base_url,
        "SWITCHBOARD_SIMULATED_DELIVERY_SECONDS": "0.2",
        "SWITCHBOARD_WORKER_POLL_SECONDS": "0.2",
        "SWITCHBOARD_LOG_LEVEL": "WARNING",
        **env,
    }
    command = [
        sys.executable,
        "-c",
        "from switchboard.cli import main; main()",
        "demo",
        "--port",
        str(port),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=environment, cwd=workdir, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base_url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the demo server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield DemoServer(base_url, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
