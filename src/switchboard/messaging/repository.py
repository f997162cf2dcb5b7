"""Every inbox query: sessions, messages, opt-outs, inbound routing and the per-counterpart lock."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Select,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    tuple_,
    update,
)
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
    SessionStatus,
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


# The webhook's hot path runs the same few statements for every message. They are Core
# statements on the tables (no ORM entities to load, track or flush), built once here with
# bind parameters, so SQLAlchemy also skips their per-call construction and cache-key work.
_tenants = cast(Table, Tenant.__table__)
_accounts = cast(Table, ChannelAccount.__table__)
_sessions = cast(Table, MessagingSession.__table__)
_messages = cast(Table, Message.__table__)
_phones = cast(Table, ContactPhone.__table__)
_opt_outs = cast(Table, OptOut.__table__)
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")

SessionRow = dict[str, Any]  # a messaging_sessions row, column name -> value


@dataclass(frozen=True)
class InboundRoute:
    """Where an inbound webhook goes: the channel account it was sent to, and its tenant."""

    account_id: uuid.UUID
    tenant_id: uuid.UUID


@dataclass(frozen=True)
class InboxTenant:
    """The tenant settings an inbound message is handled by."""

    id: uuid.UUID
    name: str
    auto_reply_enabled: bool
    session_gap_seconds: int | None
    help_text: str | None


@dataclass(frozen=True)
class InboundFacts:
    tenant: InboxTenant
    account_tenant_id: uuid.UUID | None  # the routed account's tenant now (None: gone)
    duplicate: bool
    contact_id: uuid.UUID | None
    opted_out: bool
    latest_session: SessionRow | None  # the counterpart's latest session on the channel


_LATEST_SESSION_ID = (
    select(_sessions.c.id)
    .where(
        _sessions.c.tenant_id == bindparam("tenant_id"),
        _sessions.c.channel == bindparam("channel"),
        _sessions.c.counterpart_address == bindparam("counterpart"),
    )
    .order_by(_sessions.c.last_message_at.desc())
    .limit(1)
    .scalar_subquery()
)
_FACTS = (
    select(
        _tenants.c.name,
        _tenants.c.auto_reply_enabled,
        _tenants.c.session_gap_seconds,
        _tenants.c.help_text,
        select(_accounts.c.tenant_id)
        .where(_accounts.c.id == bindparam("account_id"))
        .scalar_subquery()
        .label("account_tenant_id"),
        select(_messages.c.id)
        .where(_messages.c.provider_message_id == bindparam("sid"))
        .limit(1)
        .scalar_subquery()
        .label("duplicate_id"),
        select(_phones.c.contact_id)
        .where(
            _phones.c.tenant_id == bindparam("tenant_id"), _phones.c.number == bindparam("number")
        )
        .limit(1)
        .scalar_subquery()
        .label("contact_id"),
        select(_opt_outs.c.id)
        .where(
            _opt_outs.c.tenant_id == bindparam("tenant_id"),
            _opt_outs.c.address == bindparam("number"),
            _opt_outs.c.channel_group == bindparam("group"),
        )
        .limit(1)
        .scalar_subquery()
        .label("opt_out_id"),
        *(column.label(f"session_{column.name}") for column in _sessions.c),
    )
    .select_from(_tenants.outerjoin(_sessions, _sessions.c.id == _LATEST_SESSION_ID))
    .where(_tenants.c.id == bindparam("tenant_id"))
)


async def inbound_facts(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    account_id: uuid.UUID | None,
    provider_message_id: str,
    number: str,
    channel_group: str,
    channel: Channel,
    counterpart: str,
) -> InboundFacts | None:
    """Everything an inbound message needs to know before it is stored, in one round trip
    (the webhook's hot path): the tenant's settings, whether `account_id` is still its
    account, whether the message is a redelivery, whose number it is, whether the sender
    opted out, and the counterpart's latest session. None when the tenant is gone."""
    params = {
        "tenant_id": tenant_id,
        "account_id": account_id,
        "sid": provider_message_id,
        "number": number,
        "group": channel_group,
        "channel": channel,
        "counterpart": counterpart,
    }
    row = (await session.execute(_FACTS, params)).mappings().first()
    if row is None:
        return None
    latest = (
        {column.name: row[f"session_{column.name}"] for column in _sessions.c}
        if row["session_id"] is not None
        else None
    )
    return InboundFacts(
        tenant=InboxTenant(
            id=tenant_id,
            name=row["name"],
            auto_reply_enabled=row["auto_reply_enabled"],
            session_gap_seconds=row["session_gap_seconds"],
            help_text=row["help_text"],
        ),
        account_tenant_id=row["account_tenant_id"],
        duplicate=row["duplicate_id"] is not None,
        contact_id=row["contact_id"],
        opted_out=row["opt_out_id"] is not None,
        latest_session=latest,
    )


def _route(condition: Any) -> Select[Any]:
    return (
        select(_accounts.c.id, _accounts.c.tenant_id)
        .where(_accounts.c.provider == "twilio", condition)
        .order_by((_accounts.c.address == bindparam("to")).desc(), _accounts.c.created_at)
        .limit(1)
    )


_ROUTE_BY_ADDRESS = _route(_accounts.c.address == bindparam("to"))
_ROUTE_BY_ADDRESS_OR_SERVICE = _route(
    or_(
        _accounts.c.address == bindparam("to"),
        _accounts.c.messaging_service_sid == bindparam("service"),
    )
)


async def route_inbound(
    session: AsyncSession, to_address: str, messaging_service_sid: str | None
) -> InboundRoute | None:
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
    return InboundRoute(account_id=row[0], tenant_id=row[1]) if row else None


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

    async def insert(self, values: dict[str, Any]) -> SessionRow:
        """A new session as one Core INSERT (the inbound hot path); returns its row."""
        row = {**values, "tenant_id": self.tenant_id}
        await self.session.execute(_INSERT_SESSION, row)
        return row

    async def close(self, session_id: uuid.UUID, now: datetime) -> None:
        await self.session.execute(
            _CLOSE_SESSION, {"session_id": session_id, "tenant": self.tenant_id, "now": now}
        )

    async def append(
        self, session_id: uuid.UUID, *, preview: str, inbound: bool, now: datetime
    ) -> SessionRow:
        """Count a new message in the session, as one UPDATE that returns the updated row:
        the count is incremented in SQL, the preview, last (inbound) time and, for a session
        without one, the title come from the message."""
        params = {
            "session_id": session_id,
            "tenant": self.tenant_id,
            "now": now,
            "preview": preview,
            "new_title": preview[:80] or None,
        }
        stmt = _APPEND_INBOUND if inbound else _APPEND_OUTBOUND
        return dict((await self.session.execute(stmt, params)).mappings().one())


_INSERT_SESSION = insert(_sessions)
_CLOSE_SESSION = (
    update(_sessions)
    .where(_sessions.c.id == bindparam("session_id"), _sessions.c.tenant_id == bindparam("tenant"))
    .values(status=SessionStatus.closed, updated_at=bindparam("now"))
)


def _append(*, inbound: bool) -> Any:
    values: dict[str, Any] = {
        "message_count": _sessions.c.message_count + 1,
        "last_message_at": bindparam("now"),
        "last_message_preview": bindparam("preview"),
        "title": case(
            (func.coalesce(_sessions.c.title, "") == "", bindparam("new_title")),
            else_=_sessions.c.title,
        ),
        "updated_at": bindparam("now"),
    }
    if inbound:
        values["last_inbound_at"] = bindparam("now")
    return (
        update(_sessions)
        .where(
            _sessions.c.id == bindparam("session_id"), _sessions.c.tenant_id == bindparam("tenant")
        )
        .values(values)
        .returning(*_sessions.c)
    )


_APPEND_INBOUND = _append(inbound=True)
_APPEND_OUTBOUND = _append(inbound=False)


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

    async def insert_once(self, values: dict[str, Any]) -> dict[str, Any] | None:
        """INSERT ... ON CONFLICT (provider_message_id) DO NOTHING, as one Core statement.
        Returns the stored row (every column), or None when the provider id was there."""
        stmt = _INSERT_ONCE[dialect_of(self.session) == "postgresql"]
        row: dict[str, Any] = dict.fromkeys(_NULLABLE_MESSAGE_COLUMNS)
        row.update(values, tenant_id=self.tenant_id)
        row.setdefault("id", uuid.uuid4())
        inserted = (await self.session.execute(stmt, row)).first()
        return row if inserted is not None else None

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
    is_postgres: (postgresql.insert if is_postgres else sqlite.insert)(_messages)
    .on_conflict_do_nothing(index_elements=["provider_message_id"])
    .returning(_messages.c.id)
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
