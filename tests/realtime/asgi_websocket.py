"""A WebSocket client that drives an ASGI app in the test's own event loop, so the socket
shares the test's database transaction (Starlette's TestClient runs the app on another
loop in a thread, where the test's connection cannot follow)."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

from starlette.types import ASGIApp, Message


class Refused(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"closed with {code}: {reason}")
        self.code = code
        self.reason = reason


class ASGIWebSocket:
    def __init__(
        self,
        app: ASGIApp,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        **query: str,
    ) -> None:
        self.app = app
        self.path = path
        self.headers = [
            (name.lower().encode(), value.encode()) for name, value in (headers or {}).items()
        ]
        self.query = urlencode(query).encode()
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.close_code: int | None = None

    async def __aenter__(self) -> ASGIWebSocket:
        scope: dict[str, Any] = {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "scheme": "ws",
            "http_version": "1.1",
            "path": self.path,
            "raw_path": self.path.encode(),
            "query_string": self.query,
            "root_path": "",
            "headers": [(b"host", b"test"), *self.headers],
            "client": ("127.0.0.1", 50000),
            "server": ("test", 80),
            "subprotocols": [],
            "state": {},
        }
        self._task = asyncio.create_task(self._serve(scope))
        await self._to_app.put({"type": "websocket.connect"})
        first = await self._next_message()
        if first["type"] == "websocket.close":
            raise Refused(first.get("code", 1000), first.get("reason", ""))
        assert first["type"] == "websocket.accept", first
        return self

    async def _serve(self, scope: dict[str, Any]) -> None:
        await self.app(scope, self._to_app.get, self._from_app.put)

    async def __aexit__(self, *exc: object) -> None:
        await self.disconnect()

    async def _next_message(self, within: float = 5) -> Message:
        assert self._task is not None
        getter = asyncio.ensure_future(self._from_app.get())
        done, _ = await asyncio.wait(
            {getter, self._task}, timeout=within, return_when="FIRST_COMPLETED"
        )
        if getter in done:
            return getter.result()
        getter.cancel()
        if self._task in done:
            self._task.result()  # raises what the app raised
            raise AssertionError("the app ended without closing the socket")
        raise TimeoutError("no message from the app")

    async def send_text(self, text: str) -> None:
        await self._to_app.put({"type": "websocket.receive", "text": text})

    async def send_json(self, data: Any) -> None:
        await self.send_text(json.dumps(data))

    async def receive_json(self, within: float = 5) -> Any:
        message = await self._next_message(within)
        if message["type"] == "websocket.close":
            self.close_code = message.get("code", 1000)
            raise Refused(self.close_code, message.get("reason", ""))
        return json.loads(message["text"])

    async def receive_until(self, event_type: str, within: float = 5) -> Any:
        """The next event of `event_type`, skipping others."""
        async with asyncio.timeout(within):
            while True:
                event = await self.receive_json(within)
                if event["type"] == event_type:
                    return event

    async def assert_silent(self, seconds: float = 0.2) -> None:
        try:
            event = await self.receive_json(within=seconds)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected event {event}")

    async def disconnect(self, code: int = 1000) -> None:
        if self._task is None:
            return
        await self._to_app.put({"type": "websocket.disconnect", "code": code})
        await asyncio.wait_for(self._task, timeout=5)
        self._task = None
