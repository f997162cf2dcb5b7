"""The staff tools served over MCP with the official SDK: streamable HTTP at /mcp behind the
API's bearer tokens, and stdio for `switchboard mcp --user EMAIL`. Every call runs as its
user, in its own transaction, through the same Toolbox the assistant uses."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import mcp_types as types
from fastapi import FastAPI
from mcp.server import Server, ServerRequestContext
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.stdio import stdio_server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.authentication import AuthCredentials
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from switchboard.ai.model import ToolCall
from switchboard.ai.staff_tools import staff_toolbox
from switchboard.ai.toolbox import Toolbox, ToolContext, ToolOutcome
from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.kit.errors import Unauthorized
from switchboard.tenancy.deps import authenticate
from switchboard.tenancy.models import User
from switchboard.tenancy.service import get_tenant, user_by_email

log = logging.getLogger(__name__)

SERVER_NAME = "switchboard"
SERVER_VERSION = "0.1.0"
INSTRUCTIONS = (
    "Switchboard's operations tools for a home-services sales team: tasks, contacts, "
    "appointments, the daily digest, customers waiting on a reply and who to follow up with. "
    "Every call acts as the signed-in staff user and sees only what they may see. Times are "
    "read and written in the company's time zone. Text a customer (send_sms) only when the "
    "user explicitly asks to."
)

# Runs one tool call for the request in `ctx` (its user, its database) and returns the outcome.
ToolRunner = Callable[[ServerRequestContext[Any, Any], Toolbox, ToolCall], Awaitable[ToolOutcome]]


def tool_result(payload: Any, *, error: bool) -> types.CallToolResult:
    """JSON text for every client, the same document as structured content for those that
    read it, and isError for a failed call."""
    text = json.dumps(payload, default=str, separators=(",", ":"))
    document = json.loads(text)
    return types.CallToolResult(
        content=[types.TextContent(text=text)],
        structured_content=document if isinstance(document, dict) else {"result": document},
        is_error=error,
    )


def build_server(run: ToolRunner, toolbox: Toolbox | None = None) -> Server[Any]:
    """A low-level SDK server listing the staff tools with their JSON schemas and running
    each call through `run`."""
    tools = toolbox or staff_toolbox()
    listed = [
        types.Tool(name=spec.name, description=spec.description, input_schema=spec.parameters)
        for spec in tools.specs()
    ]

    async def list_tools(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=listed)

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        call = ToolCall(
            id=f"mcp_{uuid.uuid4().hex[:16]}", name=params.name, arguments=params.arguments or {}
        )
        try:
            outcome = await run(ctx, tools, call)
        except Exception:
            # The Toolbox turns a failing tool into an error outcome; this is a failure around
            # it (loading the user, committing), and the client still gets a tool result.
            log.exception("MCP tool %s failed unexpectedly", params.name)
            return tool_result({"error": f"{params.name} failed unexpectedly"}, error=True)
        return tool_result(outcome.result, error=outcome.status == "error")

    return Server(
        SERVER_NAME,
        version=SERVER_VERSION,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


async def run_as(
    db: Database, settings: Settings, user_id: uuid.UUID, toolbox: Toolbox, call: ToolCall
) -> ToolOutcome:
    """One tool call as `user_id`, in its own transaction: committed when the call succeeds;
    a failed call leaves nothing behind (the Toolbox rolls back its savepoint)."""
    async with db.transaction() as session:
        user = await session.get(User, user_id)
        if user is None or not user.active:
            return ToolOutcome(
                id=call.id,
                name=call.name,
                arguments=call.arguments,
                result={"error": "this user is no longer active"},
                status="error",
                duration_ms=0,
            )
        tenant = await get_tenant(session, user.tenant_id)
        return await toolbox.run(ToolContext(session, tenant, settings, user=user), call)


# --- streamable HTTP ------------------------------------------------------------------------


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


def _refusal(error: Unauthorized) -> JSONResponse:
    """The API's own 401: same body, same challenge."""
    headers = {"WWW-Authenticate": "Bearer"}
    return JSONResponse(error.to_dict(), status_code=error.status_code, headers=headers)


class McpEndpoint:
    """/mcp: the API's bearer-token check in front of the SDK's streamable HTTP transport.

    Stateless and answering in plain JSON, so any API process can serve any request and
    nothing is kept between requests; the session manager's task group runs for the app's
    lifetime (`running`, entered by the app's lifespan)."""

    def __init__(self) -> None:
        self.server = build_server(self._run_for_request)
        self._manager: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the session manager until the context ends. Its anyio task group lives in a
        task of its own, so whoever drives the lifespan may start and stop it from different
        tasks (as test fixtures do). A manager runs once: each lifespan gets a fresh one."""
        manager = StreamableHTTPSessionManager(app=self.server, stateless=True, json_response=True)
        started, stopping = asyncio.Event(), asyncio.Event()

        async def serve() -> None:
            async with manager.run():
                self._manager = manager
                started.set()
                try:
                    await stopping.wait()
                finally:
                    self._manager = None

        serving = asyncio.create_task(serve(), name="switchboard-mcp")
        ready = asyncio.create_task(started.wait())
        await asyncio.wait({serving, ready}, return_when=asyncio.FIRST_COMPLETED)
        if not started.is_set():
            ready.cancel()
            await serving  # it ended before it started: raise what stopped it
        try:
            yield
        finally:
            stopping.set()
            await serving

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope["app"]
        token = _bearer_token(scope) or ""
        try:
            user = await authenticate(app.state.db, app.state.settings, token)
        except Unauthorized as exc:
            await _refusal(exc)(scope, receive, send)
            return
        if self._manager is None:
            body = {"error": "unavailable", "message": "the MCP endpoint is not running"}
            await JSONResponse(body, status_code=503)(scope, receive, send)
            return
        # The SDK's own notion of the caller: it ties any session to this principal.
        principal = AccessToken(
            token=token, client_id=str(user.id), subject=str(user.id), scopes=[]
        )
        scope["user"] = AuthenticatedUser(principal)
        scope["auth"] = AuthCredentials([])
        await self._manager.handle_request(scope, receive, send)

    @staticmethod
    async def _run_for_request(
        ctx: ServerRequestContext[Any, Any], toolbox: Toolbox, call: ToolCall
    ) -> ToolOutcome:
        request = ctx.request
        if not isinstance(request, Request) or not isinstance(request.user, AuthenticatedUser):
            raise RuntimeError("an MCP HTTP call arrived without its authenticated request")
        subject = request.user.access_token.subject
        assert subject is not None, "McpEndpoint always names the user"
        state = request.app.state
        return await run_as(state.db, state.settings, uuid.UUID(subject), toolbox, call)


def mount_mcp(app: FastAPI) -> None:
    """Serve the staff tools at /mcp; the app's lifespan must enter `mcp_lifespan(app)`."""
    endpoint = McpEndpoint()
    app.state.mcp = endpoint
    app.router.routes.append(
        Route("/mcp", endpoint=endpoint, methods=["GET", "POST", "DELETE"], include_in_schema=False)
    )


def mcp_lifespan(app: FastAPI) -> AbstractAsyncContextManager[None]:
    """The MCP transport's background tasks, for the app's lifespan to run around `yield`."""
    endpoint: McpEndpoint = app.state.mcp
    return endpoint.running()


# --- stdio ----------------------------------------------------------------------------------


async def serve_stdio(settings: Settings, email: str) -> None:
    """Serve the staff tools on stdin/stdout as the user with `email` until the client
    closes the pipe. Raises Unauthorized when there is no such active user."""
    db = Database.from_settings(settings)
    try:
        async with db.transaction() as session:
            user = await user_by_email(session, email)
            if user is None or not user.active:
                raise Unauthorized(f"no active user with email {email}")
            user_id = user.id

        async def run(
            ctx: ServerRequestContext[Any, Any], toolbox: Toolbox, call: ToolCall
        ) -> ToolOutcome:
            return await run_as(db, settings, user_id, toolbox, call)

        server = build_server(run)
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
    finally:
        await db.dispose()
