"""The sign-in throttle: failed sign-ins per client address and per account answer 429 with
Retry-After; a right password counts nothing; an account's lock lifts after its window."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from types import SimpleNamespace

import httpx
import limits.aio.storage.memory
import pytest
from fastapi import FastAPI

from switchboard.app import create_app
from switchboard.config import Settings
from switchboard.kit import ratelimit
from switchboard.kit.db import Database
from switchboard.kit.errors import RateLimited, Unauthorized
from switchboard.tenancy import service
from switchboard.tenancy.models import Role
from switchboard.tenancy.throttle import login_throttle
from tests.factories import Factory

ClientFor = Callable[[FastAPI, str], httpx.AsyncClient]


def throttled(settings: Settings, **limits: int) -> Settings:
    return settings.model_copy(
        update={"login_failures_per_address": 100, "login_failures_per_account": 100, **limits}
    )


@pytest.fixture
async def app_clients() -> AsyncIterator[ClientFor]:
    """`clients(app, address)`: a client of `app` whose requests come from `address`."""
    async with AsyncExitStack() as stack:

        def make(app: FastAPI, address: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=app, client=(address, 40000))
            client = httpx.AsyncClient(transport=transport, base_url="http://test")
            stack.push_async_callback(client.aclose)
            return client

        yield make


class LimiterClock:
    """The time the in-memory rate limiters read (the `limits` library's `time.time()`)."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def limiter_clock(monkeypatch: pytest.MonkeyPatch) -> LimiterClock:
    """Move the limiters' clock by hand instead of sleeping through a window (the sign-ins
    themselves take a variable part of a second each: argon2)."""
    clock = LimiterClock()
    for module in (limits.aio.storage.memory, ratelimit):
        monkeypatch.setattr(module, "time", SimpleNamespace(time=clock.time))
    return clock


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/token", data={"username": email, "password": password})


async def statuses(client: httpx.AsyncClient, email: str, password: str, times: int) -> list[int]:
    return [(await sign_in(client, email, password)).status_code for _ in range(times)]


def assert_throttled(response: httpx.Response, window: int) -> int:
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= window
    body = response.json()
    assert body["error"] == "rate_limited" and body["retry_after"] == retry_after
    assert "too many failed sign-ins" in body["message"]
    return retry_after


async def test_wrong_passwords_answer_401_then_429_with_retry_after(
    settings: Settings, db: Database, factory: Factory, app_clients: ClientFor
) -> None:
    user = await factory.user(await factory.tenant(), Role.csr)
    app = create_app(throttled(settings, login_failures_per_address=5), db=db)
    client = app_clients(app, "203.0.113.7")

    assert await statuses(client, user.email, "wrong", 5) == [401] * 5
    assert_throttled(await sign_in(client, user.email, "wrong"), 300)
    # Refused before the password is looked at: the right one waits out the window too.
    assert_throttled(await sign_in(client, user.email, "secret"), 300)


async def test_the_throttle_counts_only_failures(
    settings: Settings, db: Database, factory: Factory, app_clients: ClientFor
) -> None:
    user = await factory.user(await factory.tenant(), Role.csr)
    app = create_app(
        throttled(settings, login_failures_per_address=2, login_failures_per_account=2), db=db
    )
    client = app_clients(app, "203.0.113.8")

    assert await statuses(client, user.email, "secret", 6) == [200] * 6
    assert await statuses(client, user.email, "wrong", 1) == [401]
    assert await statuses(client, user.email, "secret", 4) == [200] * 4
    assert await statuses(client, user.email, "wrong", 1) == [401]
    assert_throttled(await sign_in(client, user.email, "secret"), 300)


async def test_the_address_limit_spans_accounts_and_spares_other_addresses(
    settings: Settings, db: Database, factory: Factory, app_clients: ClientFor
) -> None:
    tenant = await factory.tenant()
    ann, bob, cy = [await factory.user(tenant, Role.csr) for _ in range(3)]
    app = create_app(throttled(settings, login_failures_per_address=3), db=db)
    guesser = app_clients(app, "198.51.100.1")
    office = app_clients(app, "198.51.100.2")

    # One address spraying accounts, an unknown email among them, counts as one guesser.
    for email in (ann.email, bob.email, "nobody@example.test"):
        assert await statuses(guesser, email, "wrong", 1) == [401]
    assert_throttled(await sign_in(guesser, cy.email, "secret"), 300)
    # Those accounts took 1 failure each, far from their own limit: elsewhere they sign in.
    for user in (ann, bob, cy):
        assert await statuses(office, user.email, "secret", 1) == [200]


async def test_the_account_limit_spans_addresses_and_lifts_after_its_window(
    settings: Settings,
    db: Database,
    factory: Factory,
    app_clients: ClientFor,
    limiter_clock: LimiterClock,
) -> None:
    tenant = await factory.tenant()
    ann, bob = await factory.user(tenant, Role.csr), await factory.user(tenant, Role.rep)
    app = create_app(throttled(settings, login_failures_per_account=3), db=db)
    # Three addresses, one wrong password each a minute apart: no address is near its limit.
    for n in range(3):
        client = app_clients(app, f"192.0.2.{n + 1}")
        assert await statuses(client, ann.email.upper(), "wrong", 1) == [401]
        limiter_clock.advance(60)

    fresh = app_clients(app, "192.0.2.99")
    retry_after = assert_throttled(await sign_in(fresh, ann.email, "secret"), 300)
    assert retry_after == 300 - 3 * 60  # until the first failure leaves the window
    assert await statuses(fresh, bob.email, "secret", 1) == [200]  # other accounts are free

    limiter_clock.advance(retry_after - 1)
    assert_throttled(await sign_in(fresh, ann.email, "secret"), 1)
    limiter_clock.advance(1)
    assert await statuses(fresh, ann.email, "secret", 1) == [200]


async def test_every_caller_of_login_shares_the_apps_throttle(
    settings: Settings, db: Database, factory: Factory, app_clients: ClientFor
) -> None:
    """The web login form calls `service.login` with the app's throttle: the failures the
    token endpoint counted hold there, and the other way round."""
    user = await factory.user(await factory.tenant(), Role.manager)
    limited = throttled(settings, login_failures_per_address=2)
    app = create_app(limited, db=db)
    client = app_clients(app, "203.0.113.20")
    throttle = login_throttle(app.state, limited)

    async def direct(password: str) -> None:  # as the web login form signs in
        async with db.transaction() as session:
            await service.login(
                session, limited, user.email, password, throttle=throttle,
                client_address="203.0.113.20",
            )  # fmt: skip

    with pytest.raises(Unauthorized):
        await direct("wrong")
    assert await statuses(client, user.email, "wrong", 1) == [401]
    assert_throttled(await sign_in(client, user.email, "secret"), 300)
    with pytest.raises(RateLimited):
        await direct("secret")


@pytest.mark.redis
async def test_api_processes_share_the_throttle_through_redis(
    redis_url: str, settings: Settings, db: Database, factory: Factory, app_clients: ClientFor
) -> None:
    user = await factory.user(await factory.tenant(), Role.csr)
    shared = throttled(settings, login_failures_per_address=2).model_copy(
        update={"redis_url": redis_url}
    )
    address = f"10.0.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"  # fresh in Redis
    first = app_clients(create_app(shared, db=db), address)
    second = app_clients(create_app(shared, db=db), address)
    throttle = login_throttle(SimpleNamespace(), shared)
    try:
        assert await statuses(first, user.email, "wrong", 1) == [401]
        assert await statuses(second, user.email, "wrong", 1) == [401]
        assert_throttled(await sign_in(first, user.email, "secret"), 300)
    finally:
        await throttle.by_address.clear(address)
        await throttle.by_account.clear(user.email)
