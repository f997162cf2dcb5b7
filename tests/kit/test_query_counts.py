"""Hot lists issue a fixed number of SQL statements, whatever the page size (no N+1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.crm.models import CallAnalysis, CallTranscript
from switchboard.tenancy.models import Role, Tenant
from tests.factories import Factory
from tests.kit.helpers import AsUser


@contextmanager
def count_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def statements_for(
    client: httpx.AsyncClient, engine: AsyncEngine, url: str, headers: dict[str, str], limit: int
) -> int:
    with count_statements(engine) as statements:
        response = await client.get(url, params={"limit": limit}, headers=headers)
    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) == limit
    return len(statements)


async def add_rows(factory: Factory, tenant: Tenant, n: int) -> None:
    rep = await factory.user(tenant, Role.rep)
    for i in range(n):
        contact = await factory.contact(tenant)
        await factory.task(tenant, contact_id=contact.id, assignee_id=rep.id)
        call = await factory.call(tenant, contact, handled_by_user_id=rep.id)
        factory.session.add_all(
            [
                CallTranscript(tenant_id=tenant.id, call_id=call.id, text=f"t{i}"),
                CallAnalysis(tenant_id=tenant.id, call_id=call.id, summary=f"s{i}"),
            ]
        )
        await factory.lead(tenant, contact, assigned_rep_id=rep.id)
        await factory.appointment(tenant, contact, rep)
    await factory.session.flush()


async def test_list_statement_count_does_not_grow_with_the_page(
    client: httpx.AsyncClient, engine: AsyncEngine, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    await add_rows(factory, tenant, 50)
    manager = await factory.user(tenant, Role.manager)
    for url in (
        "/api/tasks",
        "/api/contacts",
        "/api/calls",
        "/api/leads",
        "/api/appointments",
    ):
        small = await statements_for(client, engine, url, as_user(manager), 5)
        large = await statements_for(client, engine, url, as_user(manager), 50)
        assert small == large, f"{url}: {small} statements for 5 rows, {large} for 50"
        # The user lookup, the page, and at most two eager loads.
        assert large <= 4, f"{url} took {large} statements"
