"""Inbound routing: webhook destinations are cached per process, and a cached route never
files a message under a tenant that no longer owns the number."""

from __future__ import annotations

import httpx
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from switchboard.config import Settings
from switchboard.messaging.models import Message
from switchboard.messaging.routing import InboundRoutes
from switchboard.tenancy.models import ChannelAccount
from tests.factories import Factory
from tests.kit.test_query_counts import count_statements
from tests.messaging.support import OUR_NUMBER, Inbox, count, post_webhook, sms_params

SMS = "/webhooks/twilio/sms"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_destination_is_looked_up_once_per_ttl(
    session: AsyncSession, engine: AsyncEngine, inbox: Inbox
) -> None:
    clock = FakeClock()
    routes = InboundRoutes(ttl_seconds=30, clock=clock)
    with count_statements(engine) as statements:
        first = await routes.find(session, OUR_NUMBER, None)
        again = await routes.find(session, OUR_NUMBER, None)
    assert first is not None and first == again
    assert (first.tenant_id, first.account_id) == (inbox.tenant.id, inbox.sms.id)
    assert len(statements) == 1
    clock.now += 31
    with count_statements(engine) as statements:
        assert await routes.find(session, OUR_NUMBER, None) == first
    assert len(statements) == 1


async def test_unknown_destinations_are_not_cached(
    session: AsyncSession, factory: Factory, inbox: Inbox
) -> None:
    routes = InboundRoutes(ttl_seconds=30, clock=FakeClock())
    assert await routes.find(session, "+15555550999", None) is None
    account = await factory.channel(inbox.tenant, "+15555550999")
    found = await routes.find(session, "+15555550999", None)
    assert found is not None and found.account_id == account.id


async def test_the_cache_is_bounded(session: AsyncSession, factory: Factory, inbox: Inbox) -> None:
    routes = InboundRoutes(ttl_seconds=30, max_routes=2, clock=FakeClock())
    for n in range(5):
        await factory.channel(inbox.tenant, f"+1555555080{n}")
        assert await routes.find(session, f"+1555555080{n}", None) is not None
    assert len(routes._routes) <= 2


async def test_a_number_moved_to_another_tenant_is_followed_at_once(
    client: httpx.AsyncClient,
    settings: Settings,
    inbox: Inbox,
    factory: Factory,
    session: AsyncSession,
) -> None:
    assert (await post_webhook(client, settings, SMS, sms_params("to A"))).status_code == 200
    # The number changes hands while the app still has it cached for the first tenant.
    other = await factory.tenant()
    await session.execute(delete(ChannelAccount).where(ChannelAccount.id == inbox.sms.id))
    await factory.channel(other, OUR_NUMBER)
    assert (await post_webhook(client, settings, SMS, sms_params("to B"))).status_code == 200
    bodies = (
        await session.execute(
            select(Message.tenant_id, Message.body).order_by(Message.created_at, Message.body)
        )
    ).all()
    assert sorted(bodies) == sorted([(inbox.tenant.id, "to A"), (other.id, "to B")])


async def test_a_number_given_up_answers_404_at_once(
    client: httpx.AsyncClient, settings: Settings, inbox: Inbox, session: AsyncSession
) -> None:
    assert (await post_webhook(client, settings, SMS, sms_params("one"))).status_code == 200
    await session.execute(delete(ChannelAccount).where(ChannelAccount.id == inbox.sms.id))
    response = await post_webhook(client, settings, SMS, sms_params("two"))
    assert response.status_code == 404
    assert await count(session, Message) == 1
