"""Tools the models act through: each a JSON schema plus a handler that calls the domain
services in the caller's own scope. The staff assistant, the customer auto-responder and
the MCP server all run tools through a Toolbox."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.ai.model import ToolCall, ToolSpec
from switchboard.config import Settings
from switchboard.kit.errors import SwitchboardError
from switchboard.tenancy.models import Tenant, User

log = logging.getLogger(__name__)


@dataclass
class ToolContext:
    """Who a tool acts for. `user` is None for the customer auto-responder, which is then
    pinned to one contact (`contact_id`) and may only read and act on that contact.

    `digest` is the user's daily digest when the caller already built it (an assistant turn
    builds it for its system prompt); a tool that writes drops it, so later reads rebuild."""

    session: AsyncSession
    tenant: Tenant
    settings: Settings
    user: User | None = None
    contact_id: uuid.UUID | None = None
    digest: dict[str, Any] | None = None
    extras: dict[str, Any] = field(default_factory=dict)


ToolHandler = Callable[[ToolContext, dict[str, Any]], Awaitable[Any]]


class ToolError(Exception):
    """A tool failure whose message goes back to the model (and shows as a failed call)."""


def tool_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema the model sees, from the same Pydantic model that validates the call:
    references inlined, titles dropped, optional fields shown as their plain type."""
    raw = model.model_json_schema()
    definitions = raw.pop("$defs", {})

    def clean(node: Any) -> Any:
        if isinstance(node, list):
            return [clean(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            target = definitions[node["$ref"].rsplit("/", 1)[-1]]
            rest = {key: value for key, value in node.items() if key != "$ref"}
            return clean({**target, **rest})
        options = node.get("anyOf")
        if options and {"type": "null"} in options and len(options) == 2:
            (kept,) = (option for option in options if option != {"type": "null"})
            rest = {key: value for key, value in node.items() if key != "anyOf"}
            if rest.get("default", ...) is None:
                del rest["default"]
            return clean({**kept, **rest})
        cleaned: dict[str, Any] = {}
        for key, value in node.items():
            if key == "title":
                continue
            if key == "properties":
                cleaned[key] = {name: clean(prop) for name, prop in value.items()}
            else:
                cleaned[key] = clean(value)
        return cleaned

    schema = clean(raw)
    schema.pop("description", None)
    schema.setdefault("properties", {})
    schema["additionalProperties"] = False
    return schema


@dataclass(frozen=True)
class Tool:
    spec: ToolSpec
    handler: ToolHandler
    writes: bool = False  # changes records: a digest built before it is stale


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

    async def run(self, ctx: ToolContext, call: ToolCall) -> ToolOutcome:
        """Run one call; any failure becomes an error outcome the model can read, so one
        broken tool costs the model a failed call, not the user the whole answer."""
        started = time.perf_counter()
        tool = self._tools.get(call.name)
        status: Literal["ok", "error"] = "ok"
        try:
            if tool is None:
                raise ToolError(f"unknown tool {call.name!r}; available: {', '.join(self._tools)}")
            if call.raw_arguments is not None:
                raise ToolError(f"arguments were not valid JSON: {call.raw_arguments[:200]}")
            if tool.writes:
                ctx.digest = None
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
        except Exception:
            log.exception("tool %s failed unexpectedly", call.name)
            status, result = "error", {"error": f"the {call.name} tool failed unexpectedly"}
        return ToolOutcome(
            id=call.id,
            name=call.name,
            arguments=call.arguments,
            result=result,
            status=status,
            duration_ms=int((time.perf_counter() - started) * 1000),
        )
