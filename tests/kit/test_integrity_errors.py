"""A constraint the database enforces answers as the service's own check would: a unique
violation 409 naming the field, a link to nothing 422 naming the field. The writes below
skip the services' checks on purpose (as a race between the check and the write does) so
the database itself refuses them, through each driver."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from switchboard.app import create_app
from switchboard.config import Settings
from switchboard.crm.models import ContactPhone
from switchboard.kit.db import Database
from switchboard.kit.deps import Session
from switchboard.tasks.models import Task
from switchboard.tenancy.models import Role
from tests.factories import Factory


@pytest.fixture
async def unchecked(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The app with routes that write without the services' checks."""
    app: FastAPI = create_app(settings, db=db)

    @app.post("/unchecked/tasks")
    async def insert_task(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
        session.add(
            Task(
                tenant_id=tenant_id,
                title="Call back",
                created_by_id=user_id,
                contact_id=uuid.uuid4(),
            )
        )
        await session.flush()

    @app.post("/unchecked/tasks/{task_id}")
    async def relink_task(session: Session, task_id: uuid.UUID) -> None:
        await session.execute(update(Task).where(Task.id == task_id).values(lead_id=uuid.uuid4()))

    @app.post("/unchecked/phones")
    async def insert_phone(session: Session, tenant_id: uuid.UUID, contact_id: uuid.UUID) -> None:
        session.add(ContactPhone(tenant_id=tenant_id, contact_id=contact_id, number="+13125550199"))
        await session.flush()

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_a_unique_violation_is_a_409_naming_the_field(
    unchecked: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    contact = await factory.contact(tenant, phone="+13125550199")
    params = {"tenant_id": str(tenant.id), "contact_id": str(contact.id)}
    response = await unchecked.post("/unchecked/phones", params=params)
    assert response.status_code == 409, response.text
    assert response.json()["error"] == "conflict"
    assert response.json()["field"] == "number"


async def test_a_link_to_nothing_is_a_422_naming_the_field(
    unchecked: httpx.AsyncClient, factory: Factory
) -> None:
    """The task's other link (its creator) is valid: the answer names the broken one."""
    tenant = await factory.tenant()
    user = await factory.user(tenant, Role.csr)
    params = {"tenant_id": str(tenant.id), "user_id": str(user.id)}
    response = await unchecked.post("/unchecked/tasks", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "contact_id"]


async def test_an_update_that_links_to_nothing_is_a_422_naming_the_field(
    unchecked: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    task = await factory.task(tenant, contact_id=(await factory.contact(tenant)).id)
    response = await unchecked.post(f"/unchecked/tasks/{task.id}")
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "lead_id"]
