"""Assistant fixtures: a fake OpenAI-compatible server on loopback for the whole session, an
API client whose app talks to it through the real SDK, and small helpers for chat calls."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.app import create_app
from switchboard.assistant.models import ChatRole, Conversation
from switchboard.assistant.service import ConversationService
from switchboard.config import Settings
from switchboard.kit.clock import utcnow
from switchboard.kit.db import Database
from switchboard.tenancy.models import User
from tests.ai.openai_fake import API_KEY, FakeOpenAI


@pytest.fixture(scope="session")
def openai_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI().running() as fake:
        yield fake


@pytest.fixture
def llm(openai_server: FakeOpenAI) -> FakeOpenAI:
    openai_server.reset()
    return openai_server


@pytest.fixture
def openai_settings(settings: Settings, llm: FakeOpenAI) -> Settings:
    return settings.model_copy(
        update={
            "llm_provider": "openai",
            "llm_base_url": llm.base_url,
            "llm_model": "fake-gpt",
            "openai_api_key": API_KEY,
            "llm_timeout_seconds": 5.0,
        }
    )


@pytest.fixture
async def openai_client(
    openai_settings: Settings, db: Database
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(openai_settings, db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@dataclass
class SSE:
    event: str
    data: dict[str, Any]


def parse_sse(body: str) -> list[SSE]:
    """A text/event-stream body as (event, JSON data) pairs, per the SSE framing rules."""
    events: list[SSE] = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[len("event:") :].strip()
            elif line.startswith("data:"):
                data.append(line[len("data:") :].lstrip())
        if data:
            events.append(SSE(name, json.loads("\n".join(data))))
    return events


async def new_conversation(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    response = await client.post("/api/chat/conversations", json=body, headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def send(
    client: httpx.AsyncClient, headers: dict[str, str], conversation_id: str, content: str
) -> dict[str, Any]:
    response = await client.post(
        f"/api/chat/conversations/{conversation_id}/messages",
        json={"content": content},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def seed_messages(
    session: AsyncSession, user: User, count: int, *, words: str = "message"
) -> Conversation:
    """A conversation of `count` alternating user/assistant messages, stored directly."""
    from switchboard.assistant.schemas import ConversationCreate

    service = ConversationService(session, user)
    conversation = await service.create(ConversationCreate(title="Seeded"))
    for number in range(1, count + 1):
        role = ChatRole.user if number % 2 else ChatRole.assistant
        await service.append(conversation, role, f"{words} {number}")
    conversation.last_message_at = utcnow()
    await session.flush()
    return conversation
