"""ChatKit's event stream is kept alive like the assistant's own: comment pings while the
model thinks, which ChatKit's parser skips."""

from __future__ import annotations

import httpx
from chatkit.types import AssistantMessageItem, ThreadItemDoneEvent

from switchboard.ai.providers import get_model
from switchboard.app import create_app
from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.tenancy.models import Role
from tests.assistant.test_keepalive import SlowModel
from tests.chatkit.conftest import ORIGIN, create_thread, parse_events, post
from tests.factories import Factory
from tests.kit.helpers import AsUser


async def test_a_slow_answer_streams_pings_before_it(
    settings: Settings, db: Database, factory: Factory, as_user: AsUser
) -> None:
    app = create_app(settings.model_copy(update={"chat_stream_ping_seconds": 0.05}), db=db)
    app.state.resources.provide(get_model, SlowModel())
    headers = as_user(await factory.user(await factory.tenant(), Role.csr))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
        response = await post(client, headers, create_thread("what is going on?"))
    blocks = [block for block in response.text.split("\n\n") if block]
    answered = next(n for n, block in enumerate(blocks) if "assistant_message" in block)
    assert ": ping" in blocks[:answered]
    replies = [
        e.item
        for e in parse_events(response)
        if isinstance(e, ThreadItemDoneEvent) and isinstance(e.item, AssistantMessageItem)
    ]
    assert [part.text for part in replies[0].content] == ["All done."]
