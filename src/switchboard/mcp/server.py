"""MCP server over the assistant's tools (streamable HTTP at /mcp, and stdio)."""

from __future__ import annotations

from fastapi import FastAPI


def mount_mcp(app: FastAPI) -> None:
    """Mount the MCP endpoint on the app (filled in by the MCP work)."""
    return None
