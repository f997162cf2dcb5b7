"""Per-key rate limits over a moving one-minute window (the `limits` library): counted in
memory by default, in Redis when one is configured so every API process shares the window."""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from limits import RateLimitItemPerMinute
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
    seconds until the window lets another through."""

    def __init__(self, name: str, per_minute: int, redis_url: str | None = None) -> None:
        self.name = name
        self.per_minute = per_minute
        self._item = RateLimitItemPerMinute(max(per_minute, 1))
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
        return self.per_minute > 0

    async def hit(self, key: str) -> None:
        if not self.enabled:
            return
        try:
            if await self._limiter.hit(self._item, self.name, key):
                return
            stats = await self._limiter.get_window_stats(self._item, self.name, key)
        except StorageError as exc:
            # Redis down: let the action through rather than take the feature down with it.
            log.warning("rate limit storage unavailable, not limiting %s: %s", self.name, exc)
            return
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(
            f"too many requests: at most {self.per_minute} a minute; try again in {retry_after} s",
            retry_after=retry_after,
        )

    async def clear(self, key: str) -> None:
        await self._limiter.clear(self._item, self.name, key)


def app_rate_limiter(state: Any, name: str, per_minute: int, redis_url: str | None) -> RateLimiter:
    """One limiter per app and name, made on first use and kept on `app.state`."""
    limiters: dict[str, RateLimiter] | None = getattr(state, "rate_limiters", None)
    if limiters is None:
        limiters = {}
        state.rate_limiters = limiters
    limiter = limiters.get(name)
    if limiter is None or limiter.per_minute != per_minute:
        limiter = limiters[name] = RateLimiter(name, per_minute, redis_url)
    return limiter
