from __future__ import annotations

import typer

mcp_app = typer.Typer(help="Serve the assistant's tools over MCP (stdio).")
