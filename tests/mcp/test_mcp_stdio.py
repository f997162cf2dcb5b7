"""MCP over stdio: `python -m switchboard.cli mcp --user EMAIL` launched by the SDK's own
client, on the scratch database, acting as that user."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from switchboard.ai.staff_tools import staff_toolbox
from tests.mcp.conftest import McpWorld


def server_params(world: McpWorld, email: str, cwd: Path) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "switchboard.cli", "mcp", "--user", email],
        env={"SWITCHBOARD_DATABASE_URL": world.database_url, "SWITCHBOARD_DEMO": "true"},
        cwd=cwd,  # no stray .env from the checkout
    )


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_stdio_serves_the_tools_as_the_named_user(
    mcp_world: McpWorld, tmp_path: Path, mode: str
) -> None:
    async with Client(server_params(mcp_world, mcp_world.bob.email, tmp_path), mode=mode) as client:
        tools = await client.list_tools()
        assert {tool.name for tool in tools.tools} == set(staff_toolbox().names())

        result = await client.call_tool("list_tasks", {"status": "all"})
        assert result.is_error is False
        listed = json.loads(result.content[0].text)
        ids = {task["id"] for task in listed["tasks"]}
        assert mcp_world.bob_task_id in ids and mcp_world.ann_task_id not in ids

        refused = await client.call_tool("get_contact_summary", {"contact_id": mcp_world.garcia_id})
        assert refused.is_error is True  # Garcia is Ann's customer, not Bob's


async def test_stdio_as_ann_reads_her_customer(mcp_world: McpWorld, tmp_path: Path) -> None:
    async with Client(server_params(mcp_world, mcp_world.ann.email, tmp_path)) as client:
        result = await client.call_tool("get_contact_summary", {"contact": "Garcia"})
    summary = result.structured_content
    assert result.is_error is False and summary is not None
    assert summary["contact"]["name"] == "Maria Garcia"
    assert [task["id"] for task in summary["open_tasks"]["items"]] == [mcp_world.ann_task_id]


async def test_stdio_refuses_an_unknown_user(mcp_world: McpWorld, tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "switchboard.cli",
        "mcp",
        "--user",
        "nobody@example.test",
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "SWITCHBOARD_DATABASE_URL": mcp_world.database_url,
            "SWITCHBOARD_DEMO": "true",
        },
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 1
    assert b"no active user with email nobody@example.test" in stderr
    assert stdout == b""
