"""Log lines as text for a person or as one JSON object each for a log pipeline, carrying the
request, tenant, user and job they were written for.

The standard library does the logging: every `logging.getLogger(__name__)` in the code base,
and uvicorn's own loggers, write through the one handler `configure_logging` installs. What
a line was written for lives in a context variable: the request middleware binds a request
id, the current-user dependency the tenant and user, the job worker the job."""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Literal, TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

LogFormat = Literal["text", "json"]
REQUEST_ID_HEADER = "X-Request-ID"

_NOTHING_BOUND: Mapping[str, str] = MappingProxyType({})
# Replaced, never changed in place: a task or thread started from a request copies the
# mapping it had, and what it binds later stays its own.
_context: ContextVar[Mapping[str, str]] = ContextVar(
    "switchboard_log_context", default=_NOTHING_BOUND
)

# Another service's request id is kept if it reads as an id: nothing that could forge a line.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")
_REQUEST_ID_KEY = REQUEST_ID_HEADER.lower().encode()

_access = logging.getLogger("switchboard.access")


def bind_log_context(**fields: object) -> None:
    """Add `fields` (request_id, tenant_id, user_id, job_id, job_kind...) to every line the
    current task logs from now on; a None value is left out."""
    _context.set({**_context.get(), **{k: str(v) for k, v in fields.items() if v is not None}})


def log_context() -> Mapping[str, str]:
    """What the current task's lines carry."""
    return _context.get()


# The attributes every LogRecord has: anything else on a record came in `extra=`. (uvicorn
# adds its message again with terminal colours, which a pipeline has no use for.)
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "color_message",
}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _RECORD_ATTRIBUTES}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (ISO 8601, UTC), level, logger, message, the bound
    context, the record's `extra=` fields, and the exception with its traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in {**log_context(), **_extras(record)}.items():
            line.setdefault(key, value)  # an `extra=` named `level`, say, cannot forge one
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
            line["exception_type"] = getattr(record.exc_info[0], "__name__", None)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: message`, then the bound context and `extra=` fields as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = {**log_context(), **_extras(record)}
        if not fields:
            return text
        tail = " ".join(f"{key}={value}" for key, value in fields.items())
        head, newline, traceback = text.partition("\n")
        return f"{head}  [{tail}]{newline}{traceback}"


def configure_logging(level: str, log_format: LogFormat, stream: TextIO | None = None) -> None:
    """Send every logger's lines through one handler on the root logger, in `log_format`.
    Replaces whatever handlers the root logger had (`logging.basicConfig` would keep them)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)


def _request_id(scope: Scope) -> str:
    for key, value in scope["headers"]:
        if key == _REQUEST_ID_KEY:
            incoming = value.decode("latin-1")
            if _SANE_REQUEST_ID.fullmatch(incoming):
                return incoming
            break
    return secrets.token_hex(16)  # as random as a uuid4, at a fifth of its cost per request


class RequestContextMiddleware:
    """Binds a request id to every line logged for an HTTP request or a socket (the caller's
    `X-Request-ID` if it is sane, else a new one) and answers it in the same header. With
    `access_log`, writes one line per request when it ends: method, path, status and
    duration, with whatever the request bound (tenant, user).

    A plain ASGI middleware, like the metrics one: Starlette's BaseHTTPMiddleware costs
    about as much as a no-op request, and webhook ingest runs through here."""

    def __init__(self, app: ASGIApp, *, access_log: bool = False) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        header = (_REQUEST_ID_KEY, request_id.encode("latin-1"))
        bound = _context.set({**_context.get(), "request_id": request_id})
        started = time.perf_counter()
        status = 500  # what the server answers if the app raises before responding

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            if self.access_log and scope["type"] == "http":
                _log_access(scope, status, time.perf_counter() - started)
        # Not in `finally`: an exception that escapes the app leaves the request bound, so the
        # server's traceback of it, logged next in this request's own task, carries its id.
        _context.reset(bound)


def _log_access(scope: Scope, status: int, seconds: float) -> None:
    """The request's one access line (its path without the query, which may carry a ticket)."""
    method, path, client = scope["method"], scope["path"], scope.get("client")
    duration_ms = round(seconds * 1000, 2)
    fields = {"method": method, "path": path, "status": status, "duration_ms": duration_ms}
    if client:
        fields["client"] = client[0]
    _access.info("%s %s %d %.2f ms", method, path, status, duration_ms, extra=fields)
