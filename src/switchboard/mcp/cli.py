"""`switchboard mcp --user EMAIL`: the staff tools over MCP on stdin/stdout, acting as one user."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer

from switchboard.config import get_settings
from switchboard.kit.errors import Unauthorized
from switchboard.kit.logs import configure_logging

mcp_app = typer.Typer(
    help="Serve the staff tools over MCP on stdin/stdout: switchboard mcp --user EMAIL."
)


@mcp_app.callback(invoke_without_command=True)
def serve_stdio(
    user: Annotated[str, typer.Option("--user", help="Email of the staff user the tools act as.")],
) -> None:
    """Serve the staff tools over MCP on stdin/stdout, acting as USER, on the configured
    database. Logs go to stderr: stdout carries the protocol."""
    # Imported here so other commands do not pay for loading the MCP SDK and the tools.
    from switchboard.mcp.server import serve_stdio as serve

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format, stream=sys.stderr)
    try:
        asyncio.run(serve(settings, user))
    except Unauthorized as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
