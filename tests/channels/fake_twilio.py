"""A local fake of Twilio's Messages API: real HTTP on loopback, answering
POST /2010-04-01/Accounts/{AccountSid}/Messages.json the way Twilio does (201 with the
message resource, or Twilio's error document), so the real `twilio` client can be driven
against it. Each request takes the next scripted behaviour: ok, an error, or a hang."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC[0-9a-f]{32})/Messages\.json$")


@dataclass(frozen=True)
class Ok:
    status: str = "queued"


@dataclass(frozen=True)
class Fail:
    http_status: int
    code: int
    message: str


@dataclass(frozen=True)
class Hang:
    """Never answer in time; the request is lost before Twilio creates anything."""

    seconds: float


Behaviour = Ok | Fail | Hang


@dataclass
class Received:
    account_sid: str
    form: dict[str, list[str]]
    authorization: str | None

    def one(self, name: str) -> str | None:
        values = self.form.get(name)
        return values[0] if values else None


@dataclass
class FakeTwilio:
    account_sid: str
    auth_token: str
    script: deque[Behaviour] = field(default_factory=deque)
    received: list[Received] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def then(self, *behaviours: Behaviour) -> FakeTwilio:
        self.script.extend(behaviours)
        return self

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def do_POST(self) -> None:
                fake._handle(self)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # --- the API ---

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        match = MESSAGES_PATH.match(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        form = parse_qs(request.rfile.read(length).decode(), keep_blank_values=True)
        if match is None:
            return self._error(request, 404, 20404, "The requested resource was not found")
        received = Received(match["account"], form, request.headers.get("Authorization"))
        self.received.append(received)
        if not self._authorized(received):
            return self._error(request, 401, 20003, "Authenticate")
        behaviour = self.script.popleft() if self.script else Ok()
        if isinstance(behaviour, Hang):
            time.sleep(behaviour.seconds)
            return None
        if isinstance(behaviour, Fail):
            return self._error(request, behaviour.http_status, behaviour.code, behaviour.message)
        return self._create(request, received, behaviour)

    def _authorized(self, received: Received) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return received.account_sid == self.account_sid and received.authorization == (
            f"Basic {expected}"
        )

    def _create(self, request: BaseHTTPRequestHandler, received: Received, ok: Ok) -> None:
        sid = f"SM{uuid.uuid4().hex}"
        now = formatdate(usegmt=True)
        service = received.one("MessagingServiceSid")
        resource = {
            "account_sid": received.account_sid,
            "api_version": "2010-04-01",
            "body": received.one("Body"),
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": received.one("From"),
            "messaging_service_sid": service,
            "num_media": str(len(received.form.get("MediaUrl", []))),
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if service and not received.one("From") else ok.status,
            "subresource_uris": {
                "media": f"/2010-04-01/Accounts/{received.account_sid}/Messages/{sid}/Media.json"
            },
            "to": received.one("To"),
            "uri": f"/2010-04-01/Accounts/{received.account_sid}/Messages/{sid}.json",
        }
        self.created.append(resource)
        self._send(request, 201, resource)

    def _error(self, request: BaseHTTPRequestHandler, status: int, code: int, message: str) -> None:
        self._send(
            request,
            status,
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
        )

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, document: dict[str, Any]) -> None:
        body = json.dumps(document).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json; charset=utf-8")
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
