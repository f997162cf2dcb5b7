"""Which tenant an inbound message webhook is for, kept in a short in-process cache: the
number (or messaging service) it was sent to, looked up in channel_accounts."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.messaging.repository import InboundRoute, route_inbound

ROUTE_TTL_SECONDS = 30.0
MAX_ROUTES = 10_000

RouteKey = tuple[str, str | None]


class InboundRoutes:
    """Webhook destinations -> (channel account, tenant), remembered for `ttl_seconds`.

    Every inbound message webhook needs its tenant before anything else, and the accounts
    change rarely, so one lookup per destination and TTL replaces one per message. A cached
    route never files a message under the wrong tenant: the statement that reads the inbound
    facts also reads the routed account's tenant, and a route whose account is gone or moved
    is dropped and looked up again (`inbound.store_inbound`). What a cached route can miss,
    for at most `ttl_seconds`, is an account added later that would now win for the same
    destination: an exact number added where its messaging service used to route.
    Unknown destinations are not cached, so a number added for them works at once."""

    def __init__(
        self,
        ttl_seconds: float = ROUTE_TTL_SECONDS,
        *,
        max_routes: int = MAX_ROUTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_routes = max_routes
        self._clock = clock
        self._routes: dict[RouteKey, tuple[float, InboundRoute]] = {}

    async def find(
        self, session: AsyncSession, to_address: str, messaging_service_sid: str | None
    ) -> InboundRoute | None:
        key = (to_address, messaging_service_sid)
        now = self._clock()
        cached = self._routes.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        route = await route_inbound(session, to_address, messaging_service_sid)
        if route is None:
            self._routes.pop(key, None)
            return None
        if len(self._routes) >= self.max_routes:
            self._routes.clear()  # a crude bound: far more destinations than any deployment has
        self._routes[key] = (now + self.ttl_seconds, route)
        return route

    def forget(self, to_address: str, messaging_service_sid: str | None) -> None:
        self._routes.pop((to_address, messaging_service_sid), None)
