"""The per-user limit on assistant messages: a moving one-minute window, in memory for one
process and shared through Redis between processes, and the 429 it turns into."""

from __future__ import annotations

import uuid

import httpx
import pytest

from switchboard.app import create_app
from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.kit.errors import RateLimited
from switchboard.kit.ratelimit import RateLimiter, app_rate_limiter, redis_storage_uri
from switchboard.tenancy.models import Role
from tests.assistant.conftest import new_conversation
from tests.factories import Factory
from tests.kit.helpers import AsUser


async def test_memory_window_counts_per_key() -> None:
    limiter = RateLimiter("chat", 3)
    for _ in range(3):
        await limiter.hit("ann")
    with pytest.raises(RateLimited) as refused:
        await limiter.hit("ann")
    assert 1 <= refused.value.retry_after <= 60
    assert refused.value.to_dict()["retry_after"] == refused.value.retry_after
    await limiter.hit("bob")  # another key has its own window
    await limiter.clear("ann")
    await limiter.hit("ann")


async def test_zero_means_no_limit() -> None:
    limiter = RateLimiter("chat", 0)
    for _ in range(100):
        await limiter.hit("ann")


@pytest.mark.redis
async def test_redis_window_is_shared_between_processes(redis_url: str) -> None:
    name = f"test-{uuid.uuid4().hex}"
    # Two limiters on one Redis stand for two API processes.
    first, second = RateLimiter(name, 2, redis_url), RateLimiter(name, 2, redis_url)
    await first.hit("ann")
    await second.hit("ann")
    with pytest.raises(RateLimited) as refused:
        await first.hit("ann")
    assert 1 <= refused.value.retry_after <= 60
    with pytest.raises(RateLimited):
        await second.hit("ann")
    await second.hit("bob")
    await first.clear("ann")
    await first.clear("bob")


async def test_unreachable_redis_lets_messages_through() -> None:
    limiter = RateLimiter(f"test-{uuid.uuid4().hex}", 1, "redis://127.0.0.1:9/0")
    await limiter.hit("ann")
    await limiter.hit("ann")


def test_redis_urls_become_limits_storage_uris() -> None:
    assert redis_storage_uri("redis://h:6379/2") == "async+redis://h:6379/2"
    assert redis_storage_uri("rediss://:pw@h:6380/0") == "async+rediss://:pw@h:6380/0"
    assert redis_storage_uri("unix:///tmp/r.sock") == "async+redis+unix:///tmp/r.sock"


def test_one_limiter_per_app() -> None:
    class State:
        pass

    state = State()
    made = app_rate_limiter(state, "chat", 30, None)
    assert app_rate_limiter(state, "chat", 30, None) is made
    assert app_rate_limiter(state, "chat", 10, None) is not made


@pytest.mark.redis
async def test_api_limit_through_redis(
    redis_url: str, settings: Settings, db: Database, factory: Factory, as_user: AsUser
) -> None:
    limited = settings.model_copy(update={"chat_rate_limit_per_minute": 1, "redis_url": redis_url})
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.csr))
    apps = [create_app(limited, db=db), create_app(limited, db=db)]
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        for app in apps
    ]
    try:
        conversation = await new_conversation(clients[0], headers, message="hello")
        assert conversation["reply"]["assistant_message"]["status"] == "ok"
        # The second app (another process) sees the same window.
        refused = await clients[1].post(
            f"/api/chat/conversations/{conversation['id']}/messages",
            json={"content": "again"},
            headers=headers,
        )
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        again = await clients[1].post(
            "/api/chat/conversations", json={"message": "new chat"}, headers=headers
        )
        assert again.status_code == 429
        listed = await clients[1].get("/api/chat/conversations", headers=headers)
        assert len(listed.json()["items"]) == 1  # the refused create made nothing
    finally:
        for client in clients:
            await client.aclose()
