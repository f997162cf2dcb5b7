"""MCP over streamable HTTP at /mcp, driven by the SDK's own client against the app served
by uvicorn on a loopback port, with the API's bearer tokens."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client

from switchboard.ai.staff_tools import staff_toolbox
from switchboard.app import create_app
from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.tasks.models import Task, TaskSource
from switchboard.tenancy.models import Role, User
from switchboard.tenancy.service import issue_token
from tests.factories import Factory
from tests.mcp.conftest import McpWorld
from tests.served import served


@pytest.fixture(scope="module")
async def mcp_url(mcp_world: McpWorld) -> AsyncIterator[str]:
    """The whole app (its own Database on the scratch file, its lifespan and so the MCP
    session manager) served by uvicorn on a free loopback port."""
    async with served(create_app(mcp_world.settings), lifespan="on") as port:
        yield f"http://127.0.0.1:{port}/mcp"


def connect(url: str, world: McpWorld, user: User, mode: str = "auto") -> Client:
    token = issue_token(world.settings, user)
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    return Client(streamable_http_client(url, http_client=http), mode=mode)


def payload(result: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(result.content[0].text)
    assert result.structured_content == document
    return document


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_lists_the_staff_tools_with_their_schemas(
    mcp_url: str, mcp_world: McpWorld, mode: str
) -> None:
    async with connect(mcp_url, mcp_world, mcp_world.manager, mode) as client:
        assert client.server_info is None or client.server_info.name == "switchboard"
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
    specs = {spec.name: spec for spec in staff_toolbox().specs()}
    assert set(listed) == set(specs)
    for name, spec in specs.items():
        assert listed[name].input_schema == spec.parameters
        assert listed[name].description == spec.description


async def test_calls_run_as_the_token_user_in_their_scope(
    mcp_url: str, mcp_world: McpWorld
) -> None:
    async with connect(mcp_url, mcp_world, mcp_world.ann) as client:
        result = await client.call_tool("list_tasks", {"status": "all"})
        assert result.is_error is False
        tasks = payload(result)["tasks"]
        ids = {task["id"] for task in tasks}
        assert mcp_world.ann_task_id in ids and mcp_world.bob_task_id not in ids
        assert {task["assignee"] for task in tasks} == {"Ann Rep"}

        # Bob's task is out of Ann's reach even by id: a failed call, not a protocol error.
        refused = await client.call_tool("complete_task", {"task_id": mcp_world.bob_task_id})
        assert refused.is_error is True and "not found" in payload(refused)["error"]

        invalid = await client.call_tool("list_tasks", {"status": "someday"})
        assert invalid.is_error is True and "invalid arguments" in payload(invalid)["error"]


async def test_create_task_commits_in_its_own_transaction(
    mcp_url: str, mcp_world: McpWorld
) -> None:
    async with connect(mcp_url, mcp_world, mcp_world.manager) as client:
        result = await client.call_tool(
            "create_task",
            {"title": "Call Maria about financing", "due": "tomorrow at 5pm", "contact": "Garcia"},
        )
    created = payload(result)["created"]
    assert result.is_error is False and created["contact"]["name"] == "Maria Garcia"
    assert created["due"].endswith("T17:00-06:00")
    async with mcp_world.db.transaction() as session:
        task = await session.get(Task, uuid.UUID(created["id"]))
        assert task is not None
        assert task.source == TaskSource.assistant and task.created_by_id == mcp_world.manager.id
        assert str(task.contact_id) == mcp_world.garcia_id


async def test_a_missing_or_bad_token_gets_401(mcp_url: str, mcp_world: McpWorld) -> None:
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream"}
    async with httpx2.AsyncClient(timeout=10) as http:
        missing = await http.post(mcp_url, json=initialize, headers=headers)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        assert missing.json()["error"] == "unauthorized"
        bad = await http.post(
            mcp_url, json=initialize, headers={**headers, "Authorization": "Bearer nonsense"}
        )
        assert bad.status_code == 401

    # The SDK's own client is refused too, before any tool runs.
    with pytest.raises(BaseException) as refused:
        async with Client(mcp_url) as client:
            await client.list_tools()
    assert any(isinstance(error, MCPError) for error in leaves(refused.value)), refused.value


def leaves(error: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups, which anyio task groups raise."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaves(inner)]
    return [error]


async def test_the_api_app_answers_401_on_mcp_without_a_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized", "message": "missing bearer token"}


async def test_mcp_inside_the_test_transaction_on_each_database(
    settings: Settings, db: Database, factory: Factory
) -> None:
    """The app's lifespan started in one task and stopped in another (as fixtures do), and
    in between the SDK's client over ASGI, on SQLite and PostgreSQL alike."""
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    await factory.task(tenant, title="Call the Garcias back")
    app = create_app(settings, db=db)
    lifespan = app.router.lifespan_context(app)
    await asyncio.create_task(lifespan.__aenter__())
    try:
        http = httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app),
            headers={"Authorization": f"Bearer {issue_token(settings, csr)}"},
        )
        transport = streamable_http_client("http://testserver/mcp", http_client=http)
        async with http, Client(transport) as client:
            result = await client.call_tool("complete_task", {"task": "Garcias"})
        assert result.is_error is False
        assert payload(result)["completed"]["title"] == "Call the Garcias back"
    finally:
        await asyncio.create_task(lifespan.__aexit__(None, None, None))
