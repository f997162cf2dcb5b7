"""Every inbox query: sessions, messages, opt-outs, inbound routing and the per-counterpart lock."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Select, and_, bindparam, exists, or_, select, text, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from switchboard.crm.models import Call, CallProvider, ContactCard, ContactPhone
from switchboard.crm.repository import ContactRepository
from switchboard.kit.repository import Repository
from switchboard.messaging.models import (
    Channel,
    Direction,
    Message,
    MessagingSession,
    OptOut,
)
from switchboard.tasks.models import Task, TaskSource
from switchboard.tenancy.models import ChannelAccount, ChannelKind, Role, Tenant, User


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def lock_counterpart(session: AsyncSession, tenant_id: uuid.UUID, address: str) -> None:
    """Serialize, until this transaction ends, everything that may create a contact or a session
    for one person of one tenant (every channel: SMS, WhatsApp and voice share the lock, so two
    first contacts from one number cannot make two contact cards).

    PostgreSQL: a transaction-scoped advisory lock on a 64-bit hash of tenant + address.
    SQLite needs none: every transaction starts with BEGIN IMMEDIATE (kit/db.py)."""
    if dialect_of(session) != "postgresql":
        return
    digest = hashlib.blake2b(f"{tenant_id}:{address}".encode(), digest_size=8).digest()
    key = int.from_bytes(digest, "big", signed=True)
    await session.execute(_LOCK, {"key": key})


@dataclass(frozen=True)
class InboundFacts:
    duplicate: bool
    contact_id: uuid.UUID | None
    opted_out: bool


# The webhook's hot path runs the same few statements for every message: built once here,
# with bind parameters, they skip SQLAlchemy's per-call construction and cache-key work.
_FACTS = select(
    select(Message.id)
    .where(Message.provider_message_id == bindparam("sid"))
    .limit(1)
    .scalar_subquery(),
    select(ContactPhone.contact_id)
    .where(
        ContactPhone.tenant_id == bindparam("tenant_id"), ContactPhone.number == bindparam("number")
    )
    .limit(1)
    .scalar_subquery(),
    select(OptOut.id)
    .where(
        OptOut.tenant_id == bindparam("tenant_id"),
        OptOut.address == bindparam("number"),
        OptOut.channel_group == bindparam("group"),
    )
    .limit(1)
    .scalar_subquery(),
)
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


async def inbound_facts(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    provider_message_id: str,
    number: str,
    channel_group: str,
) -> InboundFacts:
    """What an inbound message needs to know before it is stored, in one round trip (the
    webhook's hot path): is it a redelivery, whose number is it, has the sender opted out."""
    params = {
        "sid": provider_message_id,
        "tenant_id": tenant_id,
        "number": number,
        "group": channel_group,
    }
    row = (await session.execute(_FACTS, params)).one()
    return InboundFacts(
        duplicate=row[0] is not None, contact_id=row[1], opted_out=row[2] is not None
    )


def _route(condition: Any) -> Select[ChannelAccount, Tenant]:
    return (
        select(ChannelAccount, Tenant)
        .join(Tenant, Tenant.id == ChannelAccount.tenant_id)
        .where(ChannelAccount.provider == "twilio", condition)
        .order_by((ChannelAccount.address == bindparam("to")).desc(), ChannelAccount.created_at)
        .limit(1)
    )


_ROUTE_BY_ADDRESS = _route(ChannelAccount.address == bindparam("to"))
_ROUTE_BY_ADDRESS_OR_SERVICE = _route(
    or_(
        ChannelAccount.address == bindparam("to"),
        ChannelAccount.messaging_service_sid == bindparam("service"),
    )
)


async def route_inbound(
    session: AsyncSession, to_address: str, messaging_service_sid: str | None
) -> tuple[ChannelAccount, Tenant] | None:
    """The number (or messaging service) a webhook was sent to, and its tenant. Not scoped:
    the tenant is what this finds out. The address wins over the messaging service."""
    if messaging_service_sid:
        stmt, params = (
            _ROUTE_BY_ADDRESS_OR_SERVICE,
            {"to": to_address, "service": messaging_service_sid},
        )
    else:
        stmt, params = _ROUTE_BY_ADDRESS, {"to": to_address}
    row = (await session.execute(stmt, params)).first()
    return (row[0], row[1]) if row else None


async def route_voice(
    session: AsyncSession, to_address: str
) -> tuple[ChannelAccount, Tenant] | None:
    """A voice webhook's tenant: the number called, a voice account preferred over SMS."""
    stmt = (
        select(ChannelAccount, Tenant)
        .join(Tenant, Tenant.id == ChannelAccount.tenant_id)
        .where(ChannelAccount.provider == "twilio", ChannelAccount.address == to_address)
        .order_by((ChannelAccount.kind == ChannelKind.voice).desc(), ChannelAccount.created_at)
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    return (row[0], row[1]) if row else None


async def message_by_provider_id(session: AsyncSession, provider_message_id: str) -> Message | None:
    """Not scoped: a delivery callback names no tenant, and provider ids are globally unique."""
    stmt = select(Message).where(Message.provider_message_id == provider_message_id)
    return (await session.execute(stmt)).scalars().first()


async def message_by_id(session: AsyncSession, message_id: uuid.UUID) -> Message | None:
    """Not scoped: for a signed callback whose URL carries our own message id."""
    return await session.get(Message, message_id)


async def call_by_provider_id(session: AsyncSession, call_sid: str) -> Call | None:
    """Not scoped: a voice callback names the call, not the tenant; call SIDs are unique."""
    stmt = select(Call).where(
        Call.provider == CallProvider.twilio, Call.provider_call_id == call_sid
    )
    return (await session.execute(stmt)).scalars().first()


async def call_back_task_exists(
    session: AsyncSession, tenant_id: uuid.UUID, call_id: uuid.UUID
) -> bool:
    stmt = select(
        exists().where(
            Task.tenant_id == tenant_id, Task.call_id == call_id, Task.source == TaskSource.system
        )
    )
    return bool((await session.execute(stmt)).scalar())


class ChannelAccounts(Repository[ChannelAccount]):
    model = ChannelAccount
    kind = "channel account"

    async def sending_account(self, kind: ChannelKind) -> ChannelAccount | None:
        """The number a new conversation on `kind` is sent from: the oldest one."""
        stmt = (
            self.select()
            .where(ChannelAccount.kind == kind, ChannelAccount.provider == "twilio")
            .order_by(ChannelAccount.created_at)
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalars().first()

    async def by_address(self, address: str) -> ChannelAccount | None:
        stmt = self.select().where(ChannelAccount.address == address).limit(1)
        return (await self.session.execute(stmt)).scalars().first()


class SessionRepository(Repository[MessagingSession]):
    model = MessagingSession
    kind = "session"

    def sort_columns(self) -> list[InstrumentedAttribute[Any]]:
        return [MessagingSession.last_message_at, MessagingSession.id]

    def with_contact(
        self, stmt: Select[tuple[MessagingSession]]
    ) -> Select[tuple[MessagingSession]]:
        return stmt.options(selectinload(MessagingSession.contact))

    def visible_to(
        self, stmt: Select[tuple[MessagingSession]], user: User
    ) -> Select[tuple[MessagingSession]]:
        """A rep sees the sessions of the contacts the CRM shows them; staff see all."""
        if user.role != Role.rep:
            return stmt
        contacts = ContactRepository(self.session, self.tenant_id)
        visible = contacts.visible_to(
            cast(Any, select(ContactCard.id).where(ContactCard.tenant_id == self.tenant_id)),
            user,
        )
        return stmt.where(MessagingSession.contact_id.in_(visible))

    async def latest_for_counterpart(
        self, channel: Channel, counterpart: str
    ) -> MessagingSession | None:
        params = {"tenant_id": self.tenant_id, "channel": channel, "counterpart": counterpart}
        return (await self.session.execute(_LATEST_SESSION, params)).scalars().first()

    async def latest_for_contact(
        self, contact_id: uuid.UUID, channels: tuple[Channel, ...]
    ) -> MessagingSession | None:
        stmt = (
            self.select()
            .where(
                MessagingSession.contact_id == contact_id, MessagingSession.channel.in_(channels)
            )
            .order_by(MessagingSession.last_message_at.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalars().first()


_LATEST_SESSION = (
    select(MessagingSession)
    .where(
        MessagingSession.tenant_id == bindparam("tenant_id"),
        MessagingSession.channel == bindparam("channel"),
        MessagingSession.counterpart_address == bindparam("counterpart"),
    )
    .order_by(MessagingSession.last_message_at.desc())
    .limit(1)
)


class MessageRepository(Repository[Message]):
    model = Message
    kind = "message"

    async def insert_once(self, values: dict[str, Any]) -> Message | None:
        """INSERT ... ON CONFLICT (provider_message_id) DO NOTHING; None when it was there."""
        stmt = _INSERT_ONCE[dialect_of(self.session) == "postgresql"]
        row: dict[str, Any] = dict.fromkeys(_NULLABLE_MESSAGE_COLUMNS)
        row.update(values, tenant_id=self.tenant_id)
        row.setdefault("id", uuid.uuid4())
        return (await self.session.execute(stmt, row)).scalars().first()

    async def provider_id_taken(self, provider_message_id: str) -> bool:
        stmt = select(exists().where(Message.provider_message_id == provider_message_id))
        return bool((await self.session.execute(stmt)).scalar())

    async def newer_inbound_exists(self, message: Message) -> bool:
        """Whether the customer wrote again in the same session after `message`."""
        stmt = select(
            exists().where(
                Message.tenant_id == self.tenant_id,
                Message.session_id == message.session_id,
                Message.direction == Direction.inbound,
                tuple_(Message.created_at, Message.id) > tuple_(message.created_at, message.id),
            )
        )
        return bool((await self.session.execute(stmt)).scalar())

    async def for_call(self, call_id: uuid.UUID) -> Message | None:
        stmt = self.select().where(Message.call_id == call_id).limit(1)
        return (await self.session.execute(stmt)).scalars().first()


_NULLABLE_MESSAGE_COLUMNS = (
    "sender_user_id",
    "provider_message_id",
    "error_code",
    "error_message",
    "in_reply_to_id",
    "sent_at",
    "delivered_at",
    "call_id",
)
_INSERT_ONCE = {
    is_postgres: (postgresql.insert if is_postgres else sqlite.insert)(Message)
    .on_conflict_do_nothing(index_elements=["provider_message_id"])
    .returning(Message)
    for is_postgres in (True, False)
}


class OptOutRepository(Repository[OptOut]):
    model = OptOut
    kind = "opt-out"

    async def find_for(self, address: str, channel_group: str) -> OptOut | None:
        stmt = self.select().where(
            and_(OptOut.address == address, OptOut.channel_group == channel_group)
        )
        return (await self.session.execute(stmt)).scalars().first()
