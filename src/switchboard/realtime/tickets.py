"""One-time tickets for `/ws`: an API client trades its bearer token for a ticket that opens
one socket within 30 seconds, so no long-lived token ever travels in a URL (access logs,
proxies and browser history keep URLs).

A ticket is redeemed at most once, atomically: in memory (one process) a dict pop, which no
other task can interleave with; with Redis (several processes, so a ticket issued by one
opens a socket on another) a GETDEL, which hands the ticket to exactly one caller. Only a
hash of the ticket is stored, so whoever reads the store cannot use what they read."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)

TICKET_SECONDS = 30
_KEY_PREFIX = "switchboard:ws-ticket:"


@dataclass(frozen=True)
class Grant:
    """What a ticket stands for: a user of a tenant, until their token expires."""

    user_id: uuid.UUID
    tenant_id: uuid.UUID
    token_expires_at: float  # Unix time: the socket is closed then

    def to_json(self) -> str:
        return json.dumps(
            {
                "user_id": str(self.user_id),
                "tenant_id": str(self.tenant_id),
                "token_expires_at": self.token_expires_at,
            }
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> Grant:
        doc: dict[str, Any] = json.loads(raw)
        return cls(
            uuid.UUID(doc["user_id"]),
            uuid.UUID(doc["tenant_id"]),
            float(doc["token_expires_at"]),
        )


def _key(ticket: str) -> str:
    return _KEY_PREFIX + hashlib.sha256(ticket.encode()).hexdigest()


class TicketStore(Protocol):
    async def issue(self, grant: Grant) -> str: ...

    async def redeem(self, ticket: str) -> Grant | None:
        """The ticket's grant, once; None for a ticket unknown, expired or already used."""
        ...

    async def aclose(self) -> None: ...


class MemoryTickets:
    """One process's tickets (no Redis configured: there is no other process to open on)."""

    def __init__(self, seconds: int = TICKET_SECONDS) -> None:
        self.seconds = seconds
        self._tickets: dict[str, tuple[float, Grant]] = {}

    async def issue(self, grant: Grant) -> str:
        self._prune()
        ticket = secrets.token_urlsafe(32)
        self._tickets[_key(ticket)] = (time.monotonic() + self.seconds, grant)
        return ticket

    async def redeem(self, ticket: str) -> Grant | None:
        found = self._tickets.pop(_key(ticket), None)  # no await before it: atomic
        if found is None or found[0] <= time.monotonic():
            return None
        return found[1]

    def _prune(self) -> None:
        now = time.monotonic()
        for key in [key for key, (until, _) in self._tickets.items() if until <= now]:
            del self._tickets[key]

    async def aclose(self) -> None:
        self._tickets.clear()


class RedisTickets:
    """Tickets in Redis, so any API process can redeem one another process issued."""

    def __init__(self, url: str, seconds: int = TICKET_SECONDS) -> None:
        import redis.asyncio as redis

        self.seconds = seconds
        self._redis = redis.from_url(url)

    async def issue(self, grant: Grant) -> str:
        ticket = secrets.token_urlsafe(32)
        await self._redis.set(_key(ticket), grant.to_json(), ex=self.seconds)
        return ticket

    async def redeem(self, ticket: str) -> Grant | None:
        from redis.exceptions import RedisError

        try:
            raw = await self._redis.getdel(_key(ticket))  # Redis expires it after 30 s
        except (RedisError, OSError) as exc:
            log.warning("could not redeem a live-socket ticket: %s", exc)
            return None
        if raw is None:
            return None
        try:
            return Grant.from_json(raw)
        except (ValueError, KeyError, TypeError):
            return None

    async def aclose(self) -> None:
        await self._redis.aclose()


def make_tickets(redis_url: str | None) -> TicketStore:
    return RedisTickets(redis_url) if redis_url else MemoryTickets()
