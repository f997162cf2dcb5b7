"""Structured logs: in json mode each line is one JSON object carrying the request id (the one
the response answers), the tenant and user of an authenticated request, and the job of a job
run; text mode stays a line a person reads; a log format the service does not know is refused."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.app import create_app
from switchboard.cli import _uvicorn_logging
from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.kit.jobs import Job, Worker, enqueue, job_handler
from switchboard.kit.logs import (
    REQUEST_ID_HEADER,
    JsonFormatter,
    TextFormatter,
    bind_log_context,
    configure_logging,
    log_context,
)
from switchboard.kit.resources import Resources
from tests.factories import Factory

KIND = "tests.logs"
job_log = logging.getLogger("switchboard.tests.job")


@job_handler(KIND)
async def _log_a_line(session: AsyncSession, job: Job, resources: Resources) -> None:
    job_log.info("working on %s", job.payload["what"])


class Lines:
    """What Switchboard's loggers wrote (not httpx's, say), through one formatter, from the
    test's start."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def all(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def json(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.all()]


def _capture(formatter: logging.Formatter) -> Iterator[Lines]:
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(logging.Filter("switchboard"))
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield Lines(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
def json_lines() -> Iterator[Lines]:
    yield from _capture(JsonFormatter())


@pytest.fixture
def text_lines() -> Iterator[Lines]:
    yield from _capture(TextFormatter())


def _client(settings: Settings, db: Database, log_format: str) -> httpx.AsyncClient:
    app = create_app(settings.model_copy(update={"log_format": log_format}), db=db)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_json_lines_carry_the_request_id_the_response_answers_and_who_asked(
    settings: Settings, db: Database, factory: Factory, as_user: Any, json_lines: Lines
) -> None:
    tenant = await factory.tenant()
    user = await factory.user(tenant)
    async with _client(settings, db, "json") as client:
        answer = await client.get("/api/tasks", headers=as_user(user))
    assert answer.status_code == 200
    request_id = answer.headers[REQUEST_ID_HEADER]
    [access] = [line for line in json_lines.json() if line["logger"] == "switchboard.access"]
    assert access["request_id"] == request_id
    assert access["tenant_id"] == str(tenant.id) and access["user_id"] == str(user.id)
    assert (access["method"], access["path"], access["status"]) == ("GET", "/api/tasks", 200)
    assert access["duration_ms"] >= 0 and access["level"] == "info"
    assert access["time"].endswith("Z") and "T" in access["time"]
    assert log_context() == {}  # nothing bound outlives the request


async def test_a_sane_incoming_request_id_is_kept_and_anything_else_replaced(
    settings: Settings, db: Database, json_lines: Lines
) -> None:
    async with _client(settings, db, "json") as client:
        kept = await client.get("/healthz", headers={REQUEST_ID_HEADER: "lb-7f3a.01"})
        forged = await client.get("/healthz", headers={REQUEST_ID_HEADER: 'x" "level":"error'})
        fresh = await client.get("/healthz")
    assert kept.headers[REQUEST_ID_HEADER] == "lb-7f3a.01"
    replaced = forged.headers[REQUEST_ID_HEADER]
    assert '"' not in replaced and len(replaced) == 32
    assert fresh.headers[REQUEST_ID_HEADER] not in ("", replaced)
    assert [line["request_id"] for line in json_lines.json()] == [
        "lb-7f3a.01",
        replaced,
        fresh.headers[REQUEST_ID_HEADER],
    ]
    # The request's lines carry no tenant or user when nobody signed in.
    assert not {"tenant_id", "user_id"} & set(json_lines.json()[0])


async def test_the_server_s_traceback_of_a_request_carries_its_id(
    settings: Settings, db: Database, json_lines: Lines
) -> None:
    app = create_app(settings.model_copy(update={"log_format": "json"}), db=db)

    async def fail() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/fails", fail)
    transport = httpx.ASGITransport(app=app)  # raises what escapes the app, as uvicorn sees it
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        with pytest.raises(RuntimeError) as escaped:
            await client.get("/fails", headers={REQUEST_ID_HEADER: "req-500"})
    # As uvicorn logs it (under a name of ours: an in-process uvicorn of another test may
    # have given uvicorn's loggers handlers of their own).
    logging.getLogger("switchboard.tests").error(
        "Exception in ASGI application", exc_info=escaped.value
    )
    [access, traceback] = json_lines.json()
    assert access["status"] == 500 and access["request_id"] == "req-500"
    assert traceback["request_id"] == "req-500" and "a bug" in traceback["exception"]


async def test_a_bug_s_500_answers_the_request_id_too(settings: Settings, db: Database) -> None:
    app = create_app(settings, db=db)

    async def fail() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/fails", fail)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.get("/fails", headers={REQUEST_ID_HEADER: "req-bug"})
        fresh = await client.get("/fails")
    assert answer.status_code == 500
    assert answer.headers[REQUEST_ID_HEADER] == "req-bug"
    assert answer.text == "Internal Server Error (request req-bug)"
    assert len(fresh.headers[REQUEST_ID_HEADER]) == 32  # one made for it, as for any request
    assert "a bug" not in answer.text + fresh.text  # the traceback is for the log only


async def test_job_lines_carry_the_job_id_kind_and_tenant(
    db: Database, factory: Factory, json_lines: Lines
) -> None:
    tenant = await factory.tenant()
    async with db.transaction() as session:
        job = enqueue(session, KIND, {"what": "the roof"}, tenant_id=tenant.id)
    assert await Worker(db, concurrency=1).drain() == 1
    [line] = [line for line in json_lines.json() if line["logger"] == job_log.name]
    assert line["message"] == "working on the roof"
    assert line["job_id"] == str(job.id) and line["job_kind"] == KIND
    assert line["tenant_id"] == str(tenant.id)
    assert log_context() == {}  # the run's context ended with it


async def test_text_mode_reads_as_text_and_writes_no_access_line_of_its_own(
    settings: Settings, db: Database, text_lines: Lines
) -> None:
    async with _client(settings, db, "text") as client:
        answer = await client.get("/healthz")
    assert REQUEST_ID_HEADER in answer.headers  # the id is answered in both modes
    assert text_lines.all() == []  # uvicorn's access log covers text mode
    bind_log_context(tenant_id="t-1")  # this test's task only: pytest runs each in its own
    logging.getLogger("switchboard.tests").warning("sent %d texts", 3)
    [line] = text_lines.all()
    assert line.endswith(" WARNING switchboard.tests: sent 3 texts  [tenant_id=t-1]")
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_an_exception_is_a_field_of_its_line(json_lines: Lines) -> None:
    try:
        raise RuntimeError("the provider hung up")
    except RuntimeError:
        logging.getLogger("switchboard.tests").exception("send failed")
    [line] = json_lines.json()
    assert (line["message"], line["level"]) == ("send failed", "error")
    assert line["exception_type"] == "RuntimeError"
    assert line["exception"].startswith("Traceback") and "the provider hung up" in line["exception"]


def test_extra_fields_are_fields_of_their_own_but_never_replace_the_line_s_own(
    json_lines: Lines,
) -> None:
    logging.getLogger("switchboard.tests").info(
        "sent", extra={"message_sid": "SM1", "level": "critical", "time": "yesterday"}
    )
    [line] = json_lines.json()
    assert line["message_sid"] == "SM1"
    assert line["level"] == "info" and line["time"] != "yesterday"


def test_a_log_format_it_does_not_know_is_refused() -> None:
    assert Settings(demo=True).log_format == "text"
    assert Settings(demo=True, log_format="json").log_format == "json"
    with pytest.raises(ValidationError, match="'text' or 'json'"):
        Settings(demo=True, log_format="xml")


def test_the_cli_names_a_bad_log_format_in_one_line(tmp_path: Any) -> None:
    env = {"SWITCHBOARD_DEMO": "true", "SWITCHBOARD_LOG_FORMAT": "logfmt", "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-m", "switchboard.cli", "worker"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "error: SWITCHBOARD_LOG_FORMAT: Input should be 'text' or 'json'"


def test_configured_json_logging_sends_every_logger_through_one_handler() -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    try:
        configure_logging("info", "json", stream)
        logging.getLogger("some.library").info("Started server process")
        logging.getLogger("switchboard.kit.jobs").debug("below the level")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    [line] = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert (line["logger"], line["message"]) == ("some.library", "Started server process")
    # JSON mode: uvicorn writes through that handler and leaves the access line to the app.
    assert _uvicorn_logging(Settings(demo=True, log_format="json")) == {
        "log_config": None,
        "access_log": False,
    }
    assert _uvicorn_logging(Settings(demo=True)) == {}
