"""A NUL character anywhere in the input (text, JSON, a query) is a 422 naming the field,
on SQLite as on PostgreSQL (which cannot store one and answered 500). Each row is sent
twice: with the NUL it is refused, without it the same request succeeds, so the 422 is the
NUL's and nothing else's."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from switchboard.tenancy.models import Role
from tests.factories import Factory
from tests.kit.helpers import AsUser

NUL = "\x00"
START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # {contact}, {task}, {call}, {conversation}, {rep} filled in from the records
    loc: tuple[Any, ...]  # where the 422 points (its first elements)
    body: Any = None
    query: dict[str, str] | None = None


CALL = {"direction": "inbound", "started_at": START.isoformat()}
RECORDING = {"rep_id": "{rep}", "started_at": START.isoformat()}
ROWS = [
    Row("POST", "/api/tasks", ("body", "title"), {"title": f"Call{NUL} back"}),
    Row("PATCH", "/api/tasks/{task}", ("body", "description"), {"description": f"a{NUL}"}),
    Row("POST", "/api/contacts", ("body", "first_name"), {"first_name": f"Ann{NUL}"}),
    Row("POST", "/api/contacts", ("body", "tags", 1), {"first_name": "Ann", "tags": ["a", NUL]}),
    Row("PATCH", "/api/contacts/{contact}", ("body", "consent"), {"consent": {f"sms{NUL}": True}}),
    Row("PATCH", "/api/contacts/{contact}", ("body", "notes"), {"notes": f"gate code {NUL}"}),
    Row("POST", "/api/leads", ("body", "notes"), {"contact_id": "{contact}", "notes": NUL}),
    Row(
        "POST",
        "/api/calls",
        ("body", "transcript", "text"),
        {**CALL, "transcript": {"text": f"hi{NUL}"}},
    ),
    Row(
        "PATCH",
        "/api/calls/{call}",
        ("body", "transcript", "segments", 0, "text"),
        {"transcript": {"text": "hi", "segments": [{"speaker": "csr", "text": f"hi{NUL}"}]}},
    ),
    Row(
        "PATCH",
        "/api/calls/{call}",
        ("body", "analysis", "objections", 0),
        {"analysis": {"summary": "Wants a quote", "objections": [f"price{NUL}"]}},
    ),
    Row(
        "POST",
        "/api/recording-sessions",
        ("body", "analysis"),
        {**RECORDING, "analysis": {"notes": [{"deep": f"x{NUL}"}]}},
    ),
    Row(
        "POST",
        "/api/appointments",
        ("body", "notes"),
        {
            "contact_id": "{contact}",
            "starts_at": START.isoformat(),
            "ends_at": (START + timedelta(hours=1)).isoformat(),
            "notes": f"dog{NUL}",
        },
    ),
    Row("POST", "/api/chat/conversations", ("body", "title"), {"title": f"Plan{NUL}"}),
    Row("PATCH", "/api/chat/conversations/{conversation}", ("body", "title"), {"title": f"x{NUL}"}),
    Row("POST", "/api/contacts/{contact}/messages", ("body", "body"), {"body": f"On our way{NUL}"}),
    Row("GET", "/api/contacts", ("query", "q"), query={"q": f"Ann{NUL}"}),
    Row("GET", "/api/contacts", ("query", "tag"), query={"tag": f"vip{NUL}"}),
    Row("GET", "/api/chat/search", ("query", "q"), query={"q": f"roof{NUL}"}),
    Row("GET", "/api/tasks", ("query", "cursor"), query={"cursor": NUL}),
]


def _fill(value: Any, ids: dict[str, str], nul: bool) -> Any:
    text = json.dumps(value)
    for name, ident in ids.items():
        text = text.replace("{" + name + "}", ident)
    return json.loads(text if nul else text.replace("\\u0000", ""))


@pytest.mark.parametrize("row", ROWS, ids=lambda row: f"{row.method} {row.path} {row.loc[1]}")
async def test_a_nul_character_is_a_422_naming_the_field(
    row: Row, client: httpx.AsyncClient, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    await factory.channel(tenant, "+15555550100")
    manager = await factory.user(tenant, Role.manager)
    headers = as_user(manager)
    contact = await factory.contact(tenant)
    created = await client.post("/api/chat/conversations", json={}, headers=headers)
    ids = {
        "contact": str(contact.id),
        "task": str((await factory.task(tenant)).id),
        "call": str((await factory.call(tenant, contact)).id),
        "rep": str((await factory.user(tenant, Role.rep)).id),
        "conversation": created.json()["id"],
    }
    for nul in (True, False):
        response = await client.request(
            row.method,
            _fill(row.path, ids, nul),
            json=_fill(row.body, ids, nul) if row.body is not None else None,
            params=_fill(row.query, ids, nul) if row.query else None,
            headers=headers,
        )
        if not nul:
            assert response.status_code < 300, response.text
            continue
        assert response.status_code == 422, response.text
        [error] = response.json()["detail"]
        assert tuple(error["loc"][: len(row.loc)]) == row.loc, error
        assert "NUL" in error["msg"], error
