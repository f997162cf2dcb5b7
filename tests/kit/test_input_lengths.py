"""Every text field the API takes fits the column it is stored in: each create endpoint
stores every field at its longest (read from the schema itself, so a field added later is
covered), on PostgreSQL as on SQLite, and one character more is a 422 naming the field.
Schemas and columns both take their lengths from kit/limits.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from annotated_types import MaxLen
from pydantic import BaseModel

from switchboard.assistant.schemas import ConversationCreate
from switchboard.crm.schemas import (
    AppointmentCreate,
    CallCreate,
    ContactCreate,
    LeadCreate,
    RecordingSessionCreate,
    RepShiftCreate,
)
from switchboard.kit.schemas import Str
from switchboard.messaging.schemas import StaffMessageCreate
from switchboard.tasks.schemas import TaskCreate
from switchboard.tenancy.models import Role
from tests.factories import Factory
from tests.kit.helpers import AsUser, assert_invalid

START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
SPAN = {"starts_at": START.isoformat(), "ends_at": (START + timedelta(hours=1)).isoformat()}


@dataclass(frozen=True)
class Create:
    path: str  # {contact} and {rep} filled in
    schema: type[BaseModel]
    base: dict[str, Any] = field(default_factory=dict)
    skip: frozenset[str] = frozenset()  # fields that would do more than store text


CREATES = [
    Create("/api/contacts", ContactCreate),
    Create("/api/leads", LeadCreate, {"contact_id": "{contact}"}),
    Create("/api/calls", CallCreate, {"direction": "inbound", "started_at": START.isoformat()}),
    Create("/api/appointments", AppointmentCreate, {"contact_id": "{contact}", **SPAN}),
    Create("/api/rep-shifts", RepShiftCreate, {"rep_id": "{rep}", **SPAN}),
    Create(
        "/api/recording-sessions",
        RecordingSessionCreate,
        {"rep_id": "{rep}", "started_at": START.isoformat()},
    ),
    Create("/api/tasks", TaskCreate),
    Create("/api/chat/conversations", ConversationCreate, skip=frozenset({"message"})),
    Create("/api/contacts/{contact}/messages", StaffMessageCreate),
]


def longest(schema: type[BaseModel], skip: frozenset[str]) -> dict[str, str]:
    """Each plain text field of `schema` at its maximum length."""
    values = {}
    for name, info in schema.model_fields.items():
        limit = next((m.max_length for m in info.metadata if isinstance(m, MaxLen)), None)
        if name not in skip and limit is not None and info.annotation in (str, Str, Str | None):
            values[name] = "a" * limit
    return values


@pytest.mark.parametrize("create", CREATES, ids=lambda create: create.path)
async def test_every_text_field_is_stored_at_its_longest_and_refused_beyond(
    create: Create, client: httpx.AsyncClient, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    await factory.channel(tenant, "+15555550100")
    headers = as_user(await factory.user(tenant, Role.manager))
    ids = {
        "{contact}": str((await factory.contact(tenant)).id),
        "{rep}": str((await factory.user(tenant, Role.rep)).id),
    }
    path = create.path.replace("{contact}", ids["{contact}"])
    base = {key: ids.get(value, value) for key, value in create.base.items()}
    values = longest(create.schema, create.skip)
    assert values, "the schema has text fields"
    stored = await client.post(path, json={**base, **values}, headers=headers)
    assert stored.status_code == 201, stored.text
    for name, value in values.items():
        if name in stored.json():
            assert stored.json()[name] == value, name  # whole, never cut
        longer = await client.post(path, json={**base, name: value + "a"}, headers=headers)
        assert_invalid(longer, name)
