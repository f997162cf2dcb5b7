"""ChatKit tests: requests built from the `openai-chatkit` package's own request types, and
streamed answers parsed with its own event types."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from chatkit.types import (
    InferenceOptions,
    ItemsListParams,
    ItemsListReq,
    Page,
    Thread,
    ThreadAddUserMessageParams,
    ThreadCreateParams,
    ThreadItem,
    ThreadsAddUserMessageReq,
    ThreadsCreateReq,
    ThreadStreamEvent,
    UserMessageInput,
    UserMessageTextContent,
)
from pydantic import BaseModel, TypeAdapter

from switchboard.app import create_app
from switchboard.config import Settings
from switchboard.kit.db import Database

EVENTS = TypeAdapter[ThreadStreamEvent](ThreadStreamEvent)
ITEMS = TypeAdapter(Page[ThreadItem])
THREAD = TypeAdapter(Thread)
ORIGIN = "https://switchboard.test"  # the tests' public URL, as the web tests use it


@pytest.fixture
async def client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """On the site's own https origin, so the session cookie (Secure) works as in a browser."""
    app = create_app(settings, db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
        yield client


def said(text: str) -> UserMessageInput:
    return UserMessageInput(
        content=[UserMessageTextContent(text=text)],
        attachments=[],
        inference_options=InferenceOptions(),
    )


def create_thread(text: str) -> ThreadsCreateReq:
    return ThreadsCreateReq(params=ThreadCreateParams(input=said(text)))


def add_message(thread_id: str, text: str) -> ThreadsAddUserMessageReq:
    return ThreadsAddUserMessageReq(
        params=ThreadAddUserMessageParams(thread_id=thread_id, input=said(text))
    )


def list_items(thread_id: str, **params: Any) -> ItemsListReq:
    return ItemsListReq(params=ItemsListParams(thread_id=thread_id, **params))


async def post(
    client: httpx.AsyncClient, headers: dict[str, str], request: BaseModel
) -> httpx.Response:
    """A ChatKit request as ChatKit.js sends it: its JSON body, POSTed to the endpoint."""
    return await client.post(
        "/chatkit",
        content=request.model_dump_json(),
        headers={"Content-Type": "application/json", **headers},
    )


def parse_events(response: httpx.Response) -> list[ThreadStreamEvent]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events: list[ThreadStreamEvent] = []
    for block in response.text.split("\n\n"):
        data = "\n".join(
            line[len("data:") :].lstrip() for line in block.split("\n") if line.startswith("data:")
        )
        if data:
            events.append(EVENTS.validate_json(data))
    return events


@dataclass
class Chat:
    """One ChatKit client: a user's headers on the app."""

    client: httpx.AsyncClient
    headers: dict[str, str]

    async def stream(self, request: BaseModel) -> list[ThreadStreamEvent]:
        return parse_events(await post(self.client, self.headers, request))

    async def json(self, request: BaseModel) -> Any:
        response = await post(self.client, self.headers, request)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        return response.json()

    async def items(self, thread_id: str, **params: Any) -> Page[ThreadItem]:
        response = await post(self.client, self.headers, list_items(thread_id, **params))
        assert response.status_code == 200, response.text
        return ITEMS.validate_json(response.content)
