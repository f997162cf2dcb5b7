"""A streamed reply keeps its connection alive: comment pings while the model thinks, in the
framing every client of the stream parses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx

from switchboard.ai.model import Audience, Completion, ModelMessage, StreamItem, TextDelta, ToolSpec
from switchboard.ai.providers import get_model
from switchboard.app import create_app
from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.tenancy.models import Role
from tests.assistant.conftest import new_conversation, parse_sse
from tests.factories import Factory
from tests.kit.helpers import AsUser

THINKING_SECONDS = 0.4


class SlowModel:
    """Thinks a while before it says anything, like a large model on a busy server."""

    name = "slow"

    async def complete(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> Completion:
        raise NotImplementedError

    async def stream(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> AsyncIterator[StreamItem]:
        await asyncio.sleep(THINKING_SECONDS)
        yield TextDelta("All done.")
        yield Completion(text="All done.")


async def test_a_slow_model_call_is_kept_alive_by_pings_before_the_answer(
    settings: Settings, db: Database, factory: Factory, as_user: AsUser
) -> None:
    app = create_app(settings.model_copy(update={"chat_stream_ping_seconds": 0.05}), db=db)
    app.state.resources.provide(get_model, SlowModel())
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.csr))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        conversation = await new_conversation(client, headers)
        response = await client.post(
            f"/api/chat/conversations/{conversation['id']}/messages",
            json={"content": "what is going on?"},
            headers={**headers, "Accept": "text/event-stream"},
        )
    assert response.status_code == 200, response.text
    body = response.text
    assert "\r" not in body  # events end in "\n\n", as the web app splits them
    blocks = [block for block in body.split("\n\n") if block]
    first_answer = next(n for n, block in enumerate(blocks) if "event: text_delta" in block)
    assert blocks[0].startswith("event: user_message\n")
    pings = [block for block in blocks[1:first_answer] if block.startswith(":")]
    assert pings and all(block == ": ping" for block in pings)
    kinds = [event.event for event in parse_sse(body)]
    assert kinds == ["user_message", "text_delta", "done"]
