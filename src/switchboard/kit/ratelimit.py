"""Per-key rate limits over a moving window, a minute by default (the `limits` library): counted
in memory by default, in Redis when one is configured so every API process shares the window."""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from switchboard.kit.errors import RateLimited

log = logging.getLogger(__name__)
KEY_PREFIX = "switchboard:ratelimit"
REDIS_TIMEOUT_SECONDS = 1.0


def redis_storage_uri(redis_url: str) -> str:
    """`redis://host:6379/0` -> `async+redis://host:6379/0`, the scheme `limits` expects."""
    scheme, _, rest = redis_url.partition("://")
    if scheme == "unix":
        return f"async+redis+unix://{rest}"
    return f"async+{scheme}://{rest}"


class RateLimiter:
    """`await limiter.hit(key)` counts one action for `key`, or raises RateLimited with the
    seconds until the window lets another through. `limit` actions per `window_seconds`
    (a minute unless said otherwise); a limit of 0 limits nothing."""

    def __init__(
        self, name: str, limit: int, redis_url: str | None = None, *, window_seconds: int = 60
    ) -> None:
        self.name = name
        self.limit = limit
        self.window_seconds = window_seconds
        self._item = RateLimitItemPerSecond(max(limit, 1), window_seconds)
        storage: Storage
        if redis_url:
            # redis-py is already a dependency (event bus); no second Redis client library.
            storage = RedisStorage(
                redis_storage_uri(redis_url),
                implementation="redispy",
                key_prefix=KEY_PREFIX,
                wrap_exceptions=True,
                # A stalled Redis should cost a message a second at most, not hang it.
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
            )
        else:
            storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(storage)

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    async def hit(self, key: str) -> None:
        if await self.acquire(key):
            return
        retry_after = await self.retry_after(key)
        window = "a minute" if self.window_seconds == 60 else f"in {self.window_seconds} s"
        raise RateLimited(
            f"too many requests: at most {self.limit} {window}; try again in {retry_after} s",
            retry_after=retry_after,
        )

    async def acquire(self, key: str) -> bool:
        """Count one action for `key` if its window has room; False (nothing counted) if not."""
        if not self.enabled:
            return True
        try:
            return await self._limiter.hit(self._item, self.name, key)
        except StorageError as exc:
            # Redis down: let the action through rather than take the feature down with it.
            log.warning("rate limit storage unavailable, not limiting %s: %s", self.name, exc)
            return True

    async def retry_after(self, key: str) -> int:
        """Seconds until `key` may act again: 0 when its window has room now. Counts nothing."""
        if not self.enabled:
            return 0
        try:
            if await self._limiter.test(self._item, self.name, key):
                return 0
            stats = await self._limiter.get_window_stats(self._item, self.name, key)
        except StorageError as exc:
            log.warning("rate limit storage unavailable, not limiting %s: %s", self.name, exc)
            return 0
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def clear(self, key: str) -> None:
        await self._limiter.clear(self._item, self.name, key)


def app_rate_limiter(
    state: Any, name: str, limit: int, redis_url: str | None, *, window_seconds: int = 60
) -> RateLimiter:
    """One limiter per app and name, made on first use and kept on `app.state`."""
    limiters: dict[str, RateLimiter] | None = getattr(state, "rate_limiters", None)
    if limiters is None:
        limiters = {}
        state.rate_limiters = limiters
    limiter = limiters.get(name)
    if limiter is None or (limiter.limit, limiter.window_seconds) != (limit, window_seconds):
        limiter = limiters[name] = RateLimiter(
            name, limit, redis_url, window_seconds=window_seconds
        )
    return limiter
