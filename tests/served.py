"""An app served by uvicorn in the test's own event loop, on a free loopback port, for tests
that need a real server (a real client library, real sockets) yet share the test's data."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp


@asynccontextmanager
async def served(app: ASGIApp, **config: Any) -> AsyncIterator[int]:
    """Serve `app` (uvicorn.Config's `config` besides) until the block ends; yields the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", **config))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(200):
            if server.started or serving.done():
                break
            await asyncio.sleep(0.05)
        assert server.started, "uvicorn did not start"
        yield port
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, timeout=10)
        sock.close()
