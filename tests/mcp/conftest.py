"""A committed world for the MCP tests: the server under test runs in its own transactions
(over HTTP in uvicorn, over stdio in a child process), so the data lives in a scratch SQLite
file migrated for these tests alone, not in the rolled-back test transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from switchboard.config import Settings
from switchboard.kit import migrate
from switchboard.kit.clock import utcnow
from switchboard.kit.db import Database
from switchboard.tasks.models import AssignedRole, TaskPriority
from switchboard.tenancy.models import Role, User
from tests.factories import Factory


@dataclass
class McpWorld:
    database_url: str
    settings: Settings
    db: Database
    manager: User
    ann: User  # a rep with one task and one customer
    bob: User  # another rep, with his own task
    ann_task_id: str
    bob_task_id: str
    garcia_id: str


@pytest.fixture(scope="session")
async def mcp_world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[McpWorld]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('mcp') / 'mcp.db'}"
    await asyncio.to_thread(migrate.upgrade, url)
    settings = Settings(demo=True, database_url=url, run_worker=False)
    db = Database.from_url(url)
    async with db.transaction() as session:
        factory = Factory(session, settings)
        tenant = await factory.tenant(timezone="America/Chicago")
        manager = await factory.user(tenant, Role.manager, name="Mia Manager")
        ann = await factory.user(tenant, Role.rep, name="Ann Rep")
        bob = await factory.user(tenant, Role.rep, name="Bob Rep")
        garcia = await factory.contact(tenant, first_name="Maria", last_name="Garcia")
        await factory.lead(tenant, garcia, assigned_rep_id=ann.id)
        ann_task = await factory.task(
            tenant,
            title="Send Garcia the quote",
            contact_id=garcia.id,
            assignee_id=ann.id,
            assigned_role=AssignedRole.rep,
            priority=TaskPriority.high,
            due_at=utcnow() + timedelta(days=1),
        )
        bob_task = await factory.task(
            tenant, title="Bob's own task", assignee_id=bob.id, assigned_role=AssignedRole.rep
        )
    yield McpWorld(
        database_url=url,
        settings=settings,
        db=db,
        manager=manager,
        ann=ann,
        bob=bob,
        ann_task_id=str(ann_task.id),
        bob_task_id=str(bob_task.id),
        garcia_id=str(garcia.id),
    )
    await db.dispose()
