"""Tools the models act through: each a JSON schema plus a handler that calls the domain
services in the caller's own scope. The staff assistant, the customer auto-responder and
the MCP server all run tools through a Toolbox."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.ai.model import ToolCall, ToolSpec
from switchboard.config import Settings
from switchboard.kit.errors import SwitchboardError
from switchboard.tenancy.models import Tenant, User


@dataclass
class ToolContext:
    """Who a tool acts for. `user` is None for the customer auto-responder, which is then
    pinned to one contact (`contact_id`) and may only read and act on that contact."""

    session: AsyncSession
    tenant: Tenant
    settings: Settings
    user: User | None = None
    contact_id: uuid.UUID | None = None
    extras: dict[str, Any] = field(default_factory=dict)


ToolHandler = Callable[[ToolContext, dict[str, Any]], Awaitable[Any]]


class ToolError(Exception):
    """A tool failure whose message goes back to the model (and shows as a failed call)."""


@dataclass(frozen=True)
class Tool:
    spec: ToolSpec
    handler: ToolHandler


@dataclass
class ToolOutcome:
    id: str
    name: str
    arguments: dict[str, Any]
    result: Any
    status: Literal["ok", "error"]
    duration_ms: int

    def as_record(self) -> dict[str, Any]:
        """The shape stored on a chat message and shown to staff."""
        return {
            "id": self.id,
            "name": self.name,
            "arguments": self.arguments,
            "result": self.result,
            "status": self.status,
            "duration_ms": self.duration_ms,
        }

    def for_model(self) -> str:
        return json.dumps(self.result, default=str)


class Toolbox:
    def __init__(self, tools: list[Tool]) -> None:
        self._tools = {tool.spec.name: tool for tool in tools}

    def specs(self) -> list[ToolSpec]:
        return [tool.spec for tool in self._tools.values()]

    def names(self) -> list[str]:
        return list(self._tools)

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    async def run(self, ctx: ToolContext, call: ToolCall) -> ToolOutcome:
        """Run one call; any failure becomes an error outcome the model can read."""
        started = time.perf_counter()
        tool = self._tools.get(call.name)
        status: Literal["ok", "error"] = "ok"
        try:
            if tool is None:
                raise ToolError(f"unknown tool {call.name!r}; available: {', '.join(self._tools)}")
            if call.raw_arguments is not None:
                raise ToolError(f"arguments were not valid JSON: {call.raw_arguments[:200]}")
            async with ctx.session.begin_nested():
                # A savepoint per call: a failed tool leaves nothing half-written behind.
                result = await tool.handler(ctx, call.arguments)
        except ToolError as exc:
            status, result = "error", {"error": str(exc)}
        except SwitchboardError as exc:
            status, result = "error", {"error": exc.message}
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
            )
            status, result = "error", {"error": f"invalid arguments: {problems}"}
        return ToolOutcome(
            id=call.id,
            name=call.name,
            arguments=call.arguments,
            result=result,
            status=status,
            duration_ms=int((time.perf_counter() - started) * 1000),
        )
