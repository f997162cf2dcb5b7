"""The one session rule, one table, both paths: a text stored by the inbound batch
(`store_inbound`, what every webhook goes through) and a message placed on its own
(`session_for_inbound`, a voicemail) must land in the same session for every case."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.config import Settings
from switchboard.kit.clock import utcnow
from switchboard.messaging.inbound import Delivery, store_inbound
from switchboard.messaging.models import Channel, MessagingSession, SessionStatus
from switchboard.messaging.schemas import InboundMessage
from switchboard.messaging.sessions import session_for_inbound
from switchboard.tenancy.models import Tenant
from tests.factories import Factory

OURS = "+15555550100"
CUSTOMER = "+13125550123"
NEIGHBOUR = "+13125550199"
GAP = timedelta(seconds=300)  # the server's default (Settings.session_gap_seconds)


@dataclass(frozen=True)
class Case:
    """A stored session (channel, counterpart, status, silent for `ago`), then a message."""

    ago: timedelta
    joins: bool  # the message goes into the stored session
    closes: bool = False  # the stored session ends closed (a new one replaced it)
    status: SessionStatus = SessionStatus.open
    stored_channel: Channel = Channel.sms
    stored_from: str = CUSTOMER
    channel: Channel = Channel.sms
    sender: str = CUSTOMER
    tenant_gap_seconds: int | None = None


CASES = {
    "within the gap": Case(timedelta(minutes=4), joins=True),
    "a microsecond inside the gap": Case(GAP - timedelta(microseconds=1), joins=True),
    "silent exactly the gap": Case(GAP, joins=False, closes=True),
    "past the gap": Case(timedelta(hours=2), joins=False, closes=True),
    "a closed session, within the gap": Case(
        timedelta(minutes=1), joins=False, closes=True, status=SessionStatus.closed
    ),
    "another channel (a voicemail), within the gap": Case(
        timedelta(minutes=1), joins=False, stored_channel=Channel.voice
    ),
    "another counterpart, within the gap": Case(
        timedelta(minutes=1), joins=False, stored_from=NEIGHBOUR
    ),
    "WhatsApp after SMS from the same number": Case(
        timedelta(minutes=1), joins=False, channel=Channel.whatsapp, sender=f"whatsapp:{CUSTOMER}"
    ),
    "WhatsApp within the gap": Case(
        timedelta(minutes=1),
        joins=True,
        stored_channel=Channel.whatsapp,
        stored_from=f"whatsapp:{CUSTOMER}",
        channel=Channel.whatsapp,
        sender=f"whatsapp:{CUSTOMER}",
    ),
    "the tenant's longer gap": Case(timedelta(minutes=30), joins=True, tenant_gap_seconds=3600),
    "the tenant's shorter gap, past it": Case(
        timedelta(minutes=2), joins=False, closes=True, tenant_gap_seconds=60
    ),
    "the tenant's shorter gap, within it": Case(
        timedelta(seconds=30), joins=True, tenant_gap_seconds=60
    ),
}

# A path stores one message from `sender` on `channel` and says which session it went into.
Path = Callable[[AsyncSession, Settings, Tenant, uuid.UUID, Channel, str], Awaitable[uuid.UUID]]


async def _batch(
    session: AsyncSession,
    settings: Settings,
    tenant: Tenant,
    contact_id: uuid.UUID,
    channel: Channel,
    sender: str,
) -> uuid.UUID:
    to = f"whatsapp:{OURS}" if channel == Channel.whatsapp else OURS
    inbound = InboundMessage(f"SM{uuid.uuid4().hex}", channel, sender, to, "is it still on?")
    [outcome] = await store_inbound(session, settings, [Delivery(inbound)], tenant_id=tenant.id)
    assert not isinstance(outcome, Exception) and outcome.message is not None
    return outcome.message.session_id


async def _single(
    session: AsyncSession,
    settings: Settings,
    tenant: Tenant,
    contact_id: uuid.UUID,
    channel: Channel,
    sender: str,
) -> uuid.UUID:
    conversation, _created = await session_for_inbound(
        session,
        tenant=tenant,
        settings=settings,
        channel=channel,
        counterpart=sender,
        our_address=OURS,
        contact_id=contact_id,
        title=None,
        now=utcnow(),
    )
    await session.flush()
    return conversation.id


PATHS: dict[str, Path] = {"batch": _batch, "single": _single}


@pytest.mark.parametrize("path", PATHS.values(), ids=PATHS.keys())
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_one_rule_places_a_message_in_its_session(
    case: Case,
    path: Path,
    session: AsyncSession,
    settings: Settings,
    factory: Factory,
    frozen_clock: object,
) -> None:
    assert timedelta(seconds=settings.session_gap_seconds) == GAP
    tenant = await factory.tenant(session_gap_seconds=case.tenant_gap_seconds)
    contact = await factory.contact(tenant, phone=CUSTOMER)
    then = utcnow() - case.ago
    stored = MessagingSession(
        tenant_id=tenant.id,
        contact_id=contact.id,
        channel=case.stored_channel,
        counterpart_address=case.stored_from,
        our_address=OURS,
        status=case.status,
        message_count=1,
        first_message_at=then - timedelta(minutes=1),
        last_message_at=then,
    )
    session.add(stored)
    await session.flush()

    placed = await path(session, settings, tenant, contact.id, case.channel, case.sender)

    sessions = {
        row.id: row
        for row in await session.scalars(
            select(MessagingSession)
            .where(MessagingSession.tenant_id == tenant.id)
            .execution_options(populate_existing=True)
        )
    }
    assert (placed == stored.id) is case.joins
    assert placed in sessions
    after = sessions[stored.id].status
    assert after == (SessionStatus.closed if case.closes else case.status)
    if not case.joins:
        new = sessions[placed]
        assert (new.status, new.channel, new.counterpart_address) == (
            SessionStatus.open,
            case.channel,
            case.sender,
        )
        assert len(sessions) == 2
