"""A fake OpenAI-compatible server on loopback: real HTTP and the real chat completions wire
format (JSON, or server-sent chunks with tool-call deltas split across chunks and a final
usage chunk), replaying scripted replies, so tests drive the real `openai` SDK."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

API_KEY = "sk-test-switchboard"


@dataclass
class Reply:
    """One scripted answer. `tool_calls` are (name, arguments): a dict, or a raw string to
    send as-is (e.g. broken JSON)."""

    text: str = ""
    tool_calls: list[tuple[str, dict[str, Any] | str]] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    usage: bool = True
    prompt_tokens: int = 42
    completion_tokens: int = 17
    # Answer 400 to a streamed request that offers tools, as some local servers do.
    no_streaming_with_tools: bool = False


def text(content: str, **options: Any) -> Reply:
    return Reply(text=content, **options)


def tools(*calls: tuple[str, dict[str, Any] | str], **options: Any) -> Reply:
    return Reply(tool_calls=list(calls), **options)


class FakeOpenAI:
    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.requests: list[dict[str, Any]] = []
        self.default = Reply(text="(no reply scripted)")
        self.model = "fake-gpt"
        self.url = ""
        self._lock = threading.Lock()
        self._calls = 0
        # audio/transcriptions: the verbose_json answer, and the audio files it can fetch.
        self.transcription: dict[str, Any] = {"text": "", "language": "english", "segments": []}
        self.audio: dict[str, bytes] = {}
        self.app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._complete, methods=["POST"]),
                Route("/v1/audio/transcriptions", self._transcribe, methods=["POST"]),
                Route("/audio/{name}", self._audio, methods=["GET"]),
            ]
        )

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def reset(self) -> None:
        with self._lock:
            self.script.clear()
            self.requests.clear()
            self.default = Reply(text="(no reply scripted)")
            self.transcription = {"text": "", "language": "english", "segments": []}
            self.audio.clear()

    def reply(self, *replies: Reply) -> None:
        with self._lock:
            self.script.extend(replies)

    def _next(self, streamed_with_tools: bool) -> Reply:
        with self._lock:
            if not self.script:
                return self.default
            reply = self.script[0]
            if reply.no_streaming_with_tools and streamed_with_tools:
                return reply  # refused; kept for the non-streaming retry
            return self.script.pop(0)

    async def _transcribe(self, request: Request) -> Response:
        form = await request.form()
        upload = form.get("file")
        audio = await upload.read() if hasattr(upload, "read") else b""
        self.requests.append(
            {
                "body": {k: v for k, v in form.items() if k != "file"},
                "audio": audio,
                "headers": dict(request.headers),
            }
        )
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return _error(401, "Incorrect API key provided.", "invalid_api_key")
        return JSONResponse({"task": "transcribe", "duration": 12.0, **self.transcription})

    async def _audio(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in self.audio:
            return Response(status_code=404)
        return Response(self.audio[name], media_type="audio/x-wav")

    async def _complete(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append({"body": body, "headers": dict(request.headers)})
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return _error(401, "Incorrect API key provided.", "invalid_api_key")
        streamed = bool(body.get("stream"))
        reply = self._next(streamed and bool(body.get("tools")))
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.no_streaming_with_tools and streamed and body.get("tools"):
            return _error(400, "tools are not supported with stream=true", "unsupported")
        if reply.status != 200:
            return _error(reply.status, "The server had an error processing your request.", None)
        with self._lock:
            self._calls += 1
            ident = f"chatcmpl-{self._calls}"
        calls = [
            (f"call_{self._calls}_{index}", name, arguments)
            for index, (name, arguments) in enumerate(reply.tool_calls)
        ]
        if streamed:
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            chunks = self._chunks(ident, reply, calls, include_usage and reply.usage)
            return StreamingResponse(chunks, media_type="text/event-stream")
        message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
        if calls:
            message["tool_calls"] = [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": _raw(arguments)},
                }
                for call_id, name, arguments in calls
            ]
        document: dict[str, Any] = {
            "id": ident,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if calls else "stop",
                }
            ],
        }
        if reply.usage:
            document["usage"] = _usage(reply)
        return JSONResponse(document)

    async def _chunks(
        self,
        ident: str,
        reply: Reply,
        calls: list[tuple[str, str, dict[str, Any] | str]],
        usage: bool,
    ) -> AsyncIterator[bytes]:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            doc = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": self.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return f"data: {json.dumps(doc)}\n\n".encode()

        yield chunk({"role": "assistant", "content": ""})
        words = reply.text.split(" ")
        for index, word in enumerate(words if reply.text else []):
            yield chunk({"content": word if index == 0 else " " + word})
        for index, (call_id, name, arguments) in enumerate(calls):
            yield chunk(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": call_id,
                            "type": "function",
                            "function": {"name": name, "arguments": ""},
                        }
                    ]
                }
            )
            raw = _raw(arguments)
            third = max(1, len(raw) // 3)
            for start in range(0, len(raw), third):
                piece = raw[start : start + third]
                yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
        yield chunk({}, "tool_calls" if calls else "stop")
        if usage:
            doc = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": self.model,
                "choices": [],
                "usage": _usage(reply),
            }
            yield f"data: {json.dumps(doc)}\n\n".encode()
        yield b"data: [DONE]\n\n"

    @contextmanager
    def running(self) -> Iterator[FakeOpenAI]:
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="fake-openai", daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the fake OpenAI server did not start")
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        try:
            yield self
        finally:
            server.should_exit = True
            thread.join(timeout=10)


def _raw(arguments: dict[str, Any] | str) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments)


def _usage(reply: Reply) -> dict[str, int]:
    return {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.prompt_tokens + reply.completion_tokens,
    }


def _error(status: int, message: str, code: str | None) -> JSONResponse:
    # retry-after-ms keeps the SDK's one retry quick in tests.
    return JSONResponse(
        {"error": {"message": message, "type": "invalid_request_error", "code": code}},
        status_code=status,
        headers={"retry-after-ms": "10"},
    )
