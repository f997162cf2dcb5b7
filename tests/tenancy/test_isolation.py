"""No route leaks one company's records to another.

The walker enumerates every /api operation from the app's OpenAPI document, so routes
added later are covered without touching this file. As a manager of company B it calls
each one with company A's ids: an operation on a record (an id in the path) must answer
404; any other operation must not fail, and a successful answer must not mention a single
id of company A."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from switchboard.app import create_app
from switchboard.assistant.models import ChatMessage, Conversation
from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.messaging.models import (
    Direction,
    MessagingSession,
)
from switchboard.tenancy.models import Role
from tests.factories import Factory, text_message
from tests.kit.helpers import AsUser

SKIP = {"/api/auth/token"}
METHODS = ("get", "post", "put", "patch", "delete")
REQUEST_TIMEOUT = 15.0

# Which of company A's records a path parameter points at: by the collection segment in
# front of it (`/api/tasks/{id}`), else by its name (`{contact_id}`).
BY_SEGMENT = {
    "contacts": "contact",
    "leads": "lead",
    "calls": "call",
    "appointments": "appointment",
    "rep-shifts": "shift",
    "shifts": "shift",
    "recording-sessions": "recording",
    "recordings": "recording",
    "tasks": "task",
    "sessions": "session",
    "conversations": "conversation",
    "messages": "message",
    "users": "user",
}
BY_NAME = {
    "contact_id": "contact",
    "lead_id": "lead",
    "call_id": "call",
    "appointment_id": "appointment",
    "shift_id": "shift",
    "rep_shift_id": "shift",
    "recording_id": "recording",
    "recording_session_id": "recording",
    "task_id": "task",
    "session_id": "session",
    "conversation_id": "conversation",
    "message_id": "message",
    "user_id": "user",
    "rep_id": "user",
    "assigned_rep_id": "user",
    "assignee_id": "user",
    "handled_by_user_id": "user",
    "owner_id": "user",
}


@dataclass
class Walk:
    a_ids: dict[str, str]  # kind -> id of company A's record
    secrets: set[str] = field(default_factory=set)  # every A id, in every spelling
    checked: set[tuple[str, str]] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    def leaked(self, text: str) -> set[str]:
        lowered = text.lower()
        return {secret for secret in self.secrets if secret in lowered}


async def make_company_a(factory: Factory) -> tuple[dict[str, str], set[str]]:
    """One of every record, so each route has something of A's to be asked about."""
    tenant = await factory.tenant()
    manager = await factory.user(tenant, Role.manager)
    rep = await factory.user(tenant, Role.rep)
    contact = await factory.contact(tenant, email="a-contact@example.test")
    lead = await factory.lead(tenant, contact, assigned_rep_id=rep.id)
    call = await factory.call(tenant, contact, lead_id=lead.id, handled_by_user_id=rep.id)
    appointment = await factory.appointment(tenant, contact, rep, lead_id=lead.id)
    shift = await factory.shift(tenant, rep)
    recording = await factory.recording(tenant, rep, appointment_id=appointment.id)
    task = await factory.task(
        tenant, contact_id=contact.id, lead_id=lead.id, assignee_id=rep.id, created_by_id=manager.id
    )
    now = datetime.now(UTC)
    message = await text_message(
        factory.session, tenant, contact, Direction.inbound, "Hello from company A", now
    )
    session = await factory.session.get(MessagingSession, message.session_id)
    conversation = Conversation(
        tenant_id=tenant.id, owner_id=manager.id, title="A's chat", last_message_at=now
    )
    factory.session.add(conversation)
    await factory.session.flush()
    chat_message = ChatMessage(
        tenant_id=tenant.id,
        conversation_id=conversation.id,
        seq=1,
        role="user",
        content="What is due today?",
    )
    factory.session.add(chat_message)
    await factory.session.flush()
    rows: dict[str, Any] = {
        "tenant": tenant,
        "user": manager,
        "rep": rep,
        "contact": contact,
        "lead": lead,
        "call": call,
        "appointment": appointment,
        "shift": shift,
        "recording": recording,
        "task": task,
        "session": session,
        "message": message,
        "conversation": conversation,
        "chat_message": chat_message,
    }
    ids = {kind: str(row.id) for kind, row in rows.items()}
    secrets = {spelling for row in rows.values() for spelling in (str(row.id), row.id.hex)}
    return ids, secrets


def resolve(spec: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in spec:
        node: Any = doc
        for part in spec["$ref"].lstrip("#/").split("/"):
            node = node[part]
        spec = node
    return spec


def sample(
    spec: dict[str, Any], doc: dict[str, Any], name: str, links: dict[str, str] | None
) -> Any:
    """A small valid value for a JSON schema; `links` fills id fields with A's ids."""
    spec = resolve(spec, doc)
    if links is not None and name in BY_NAME and BY_NAME[name] in links:
        return links[BY_NAME[name]]
    for key in ("anyOf", "oneOf"):
        if key in spec:
            options = [o for o in spec[key] if resolve(o, doc).get("type") != "null"]
            return sample(options[0], doc, name, links) if options else None
    if "allOf" in spec:
        merged: dict[str, Any] = {}
        for part in spec["allOf"]:
            merged.update(resolve(part, doc))
        return sample(merged, doc, name, links)
    if "const" in spec:
        return spec["const"]
    if "enum" in spec:
        return spec["enum"][0]
    if "default" in spec and spec["default"] is not None:
        return spec["default"]
    kind = spec.get("type")
    if kind == "object" or "properties" in spec:
        props = spec.get("properties", {})
        wanted = set(spec.get("required", []))
        if links is not None:
            wanted |= {p for p in props if p in BY_NAME and BY_NAME[p] in links}
        return {p: sample(props[p], doc, p, links) for p in sorted(wanted)}
    if kind == "array":
        return [sample(spec.get("items", {}), doc, name, links)] * spec.get("minItems", 0)
    if kind == "integer":
        return int(spec.get("minimum", spec.get("exclusiveMinimum", 0) + 1))
    if kind == "number":
        return float(spec.get("minimum", 1))
    if kind == "boolean":
        return False
    fmt = spec.get("format")
    if fmt == "uuid":
        return str(uuid.uuid4())
    if fmt == "date-time":
        return (datetime.now(UTC) + timedelta(days=1)).isoformat()
    if fmt == "date":
        return datetime.now(UTC).date().isoformat()
    if fmt == "email":
        return "walker@example.test"
    if fmt in ("uri", "url"):
        return "https://example.test/x"
    if "phone" in name or name.endswith(("number", "_to", "_from")):
        return "+13125550199"
    return "x" * max(1, int(spec.get("minLength", 1)))


def path_id(path: str, name: str, walk: Walk) -> str:
    segments = path.split("/")
    before = segments[segments.index("{" + name + "}") - 1]
    kind = BY_SEGMENT.get(before) or BY_NAME.get(name)
    if kind == "message" and "conversations" in segments:
        kind = "chat_message"
    return walk.a_ids.get(kind or "", str(uuid.uuid4()))


def is_stream(operation: dict[str, Any]) -> bool:
    responses = operation.get("responses", {})
    return any(
        "text/event-stream" in response.get("content", {}) for response in responses.values()
    )


def body_only_422(response: httpx.Response) -> bool:
    """A 422 that rejected the request body before any record was looked up."""
    if response.status_code != 422:
        return False
    detail = response.json().get("detail")
    return isinstance(detail, list) and all(e.get("loc", [None])[0] == "body" for e in detail)


@pytest.fixture
async def walker_client(
    settings: Settings, db: Database
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings, db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield app, client


async def test_every_api_route_hides_another_companys_records(
    walker_client: tuple[FastAPI, httpx.AsyncClient], factory: Factory, as_user: AsUser
) -> None:
    app, client = walker_client
    a_ids, secrets = await make_company_a(factory)
    walk = Walk(a_ids, secrets)
    company_b = await factory.tenant()
    headers = as_user(await factory.user(company_b, Role.manager))
    await factory.contact(company_b)  # B's lists are not empty, so they are really read
    await factory.task(company_b)
    doc = app.openapi()
    failures: list[str] = []

    for path, item in doc["paths"].items():
        if not path.startswith("/api/") or path in SKIP:
            continue
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            params = [resolve(p, doc) for p in item.get("parameters", [])]
            params += [resolve(p, doc) for p in operation.get("parameters", [])]
            path_params = [p for p in params if p["in"] == "path"]
            record_route = bool(path_params) and all(
                resolve(p.get("schema", {}), doc).get("format") == "uuid" for p in path_params
            )
            url = path
            for p in path_params:
                value = (
                    path_id(path, p["name"], walk)
                    if resolve(p.get("schema", {}), doc).get("format") == "uuid"
                    else sample(p.get("schema", {}), doc, p["name"], None)
                )
                url = url.replace("{" + p["name"] + "}", str(value))
            if is_stream(operation) and not record_route:
                walk.notes.append(f"{method.upper()} {path}: a stream, not walked")
                continue
            links = None if record_route else walk.a_ids
            query = {
                p["name"]: sample(p.get("schema", {}), doc, p["name"], None)
                for p in params
                if p["in"] == "query" and p.get("required")
            }
            # Lists are also asked about A's records by their filters.
            filtered = {
                p["name"]: walk.a_ids[BY_NAME[p["name"]]]
                for p in params
                if p["in"] == "query" and p["name"] in BY_NAME
            }
            kwargs: dict[str, Any] = {}
            body_spec = operation.get("requestBody", {}).get("content", {})
            if "application/json" in body_spec:
                kwargs["json"] = sample(body_spec["application/json"]["schema"], doc, "", links)
            elif body_spec:
                form = next(iter(body_spec.values()))["schema"]
                kwargs["data"] = sample(form, doc, "", links)
            variants = [query] if record_route or not filtered else [query, {**query, **filtered}]
            for params_sent in variants:
                try:
                    response = await asyncio.wait_for(
                        client.request(
                            method.upper(), url, params=params_sent, headers=headers, **kwargs
                        ),
                        timeout=REQUEST_TIMEOUT,
                    )
                except TimeoutError:
                    failures.append(f"{method.upper()} {url}: no answer in {REQUEST_TIMEOUT}s")
                    continue
                walk.checked.add((method.upper(), path))
                where = f"{method.upper()} {url} {params_sent or ''} -> {response.status_code}"
                if record_route:
                    if response.status_code == 404 or body_only_422(response):
                        if response.status_code == 422:
                            walk.notes.append(f"{where}: body refused before the lookup")
                        continue
                    failures.append(f"{where}, expected 404: {response.text[:300]}")
                    continue
                if response.status_code >= 500:
                    failures.append(f"{where}: {response.text[:300]}")
                elif response.is_success and (leaks := walk.leaked(response.text)):
                    failures.append(f"{where} shows company A's ids {sorted(leaks)}")

    assert not failures, "\n".join(failures)
    # The walk is not vacuous: the foundation's routes were all visited.
    for expected in [
        ("GET", "/api/contacts"),
        ("GET", "/api/contacts/{contact_id}"),
        ("PATCH", "/api/contacts/{contact_id}"),
        ("GET", "/api/contacts/{contact_id}/timeline"),
        ("GET", "/api/leads/{lead_id}"),
        ("PATCH", "/api/calls/{call_id}"),
        ("GET", "/api/appointments/{appointment_id}"),
        ("PATCH", "/api/rep-shifts/{shift_id}"),
        ("GET", "/api/recording-sessions/{recording_id}"),
        ("POST", "/api/tasks/{task_id}/complete"),
        ("POST", "/api/tasks/{task_id}/cancel"),
        ("GET", "/api/tasks"),
        ("POST", "/api/tasks"),
    ]:
        assert expected in walk.checked, expected


async def test_create_routes_refuse_links_into_another_company(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser
) -> None:
    """The walker above sends A's ids in create bodies; here the foundation's creates are
    pinned one by one to the field they must name."""
    a_ids, _ = await make_company_a(factory)
    headers = as_user(await factory.user(await factory.tenant(), Role.manager))
    start = datetime(2026, 12, 1, 15, tzinfo=UTC)
    span = {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat()}
    cases = [
        ("/api/leads", {"contact_id": a_ids["contact"]}, "contact_id"),
        ("/api/appointments", {"contact_id": a_ids["contact"], **span}, "contact_id"),
        ("/api/rep-shifts", {"rep_id": a_ids["rep"], **span}, "rep_id"),
        (
            "/api/recording-sessions",
            {"rep_id": a_ids["rep"], "started_at": start.isoformat()},
            "rep_id",
        ),
        (
            "/api/calls",
            {"direction": "inbound", "started_at": start.isoformat(), "call_id": None}
            | {"contact_id": a_ids["contact"]},
            "contact_id",
        ),
        ("/api/tasks", {"title": "x", "call_id": a_ids["call"]}, "call_id"),
    ]
    for url, payload, field_name in cases:
        payload = {k: v for k, v in payload.items() if v is not None}
        response = await client.post(url, json=payload, headers=headers)
        assert response.status_code == 422, (url, response.text)
        assert [e["loc"][-1] for e in response.json()["detail"]] == [field_name], response.text
        assert re.search("not found|no ", response.json()["message"]), response.text
