"""The sign-in throttle: failed sign-ins counted per client address and per account over a
moving window, so password guessing answers 429 long before it can get anywhere."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from switchboard.config import Settings
from switchboard.kit.deps import AppSettings
from switchboard.kit.errors import RateLimited
from switchboard.kit.ratelimit import RateLimiter, app_rate_limiter


class LoginThrottle:
    """Two limits on failures only (a right password counts nothing): a strict one per client
    address, whatever accounts it tries, and a looser one per account, from every address
    together. Tripping either refuses the next sign-ins, right password or not, until the
    oldest counted failure leaves the window; nothing locks an account for longer."""

    def __init__(self, by_address: RateLimiter, by_account: RateLimiter) -> None:
        self.by_address = by_address
        self.by_account = by_account

    async def check(self, account: str, address: str) -> None:
        """Raise RateLimited, with the seconds to wait, if this sign-in may not be tried now."""
        wait = max(
            await self.by_address.retry_after(address),
            await self.by_account.retry_after(account),
        )
        if wait:
            raise RateLimited(f"too many failed sign-ins; try again in {wait} s", retry_after=wait)

    async def failed(self, account: str, address: str) -> None:
        await self.by_address.acquire(address)
        await self.by_account.acquire(account)


def login_throttle(state: Any, settings: Settings) -> LoginThrottle:
    """The app's throttle (kept on `app.state`): in memory, or in Redis when one is set so
    every API process counts the same failures."""
    window = settings.login_failure_window_seconds
    return LoginThrottle(
        app_rate_limiter(
            state,
            "login-address",
            settings.login_failures_per_address,
            settings.redis_url,
            window_seconds=window,
        ),
        app_rate_limiter(
            state,
            "login-account",
            settings.login_failures_per_account,
            settings.redis_url,
            window_seconds=window,
        ),
    )


def client_address(request: Request) -> str:
    """The address a sign-in came from: the peer, or behind a proxy that uvicorn trusts
    (`FORWARDED_ALLOW_IPS`, the same host by default), the client the proxy names."""
    return request.client.host if request.client else "unknown"


async def get_login_throttle(request: Request, settings: AppSettings) -> LoginThrottle:
    return login_throttle(request.app.state, settings)


# For every route that signs people in (the API's token endpoint, the web login form).
Throttle = Annotated[LoginThrottle, Depends(get_login_throttle)]
