"""Every inbox query: sessions, messages, opt-outs, inbound routing and the per-counterpart lock."""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import (
    Integer,
    Select,
    String,
    Table,
    Uuid,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, selectinload, with_expression
from sqlalchemy.sql.elements import ColumnElement

from switchboard.crm.models import (
    Call,
    CallProvider,
    ContactCard,
    ContactPhone,
    contact_is_reps,
    contact_name_contains,
)
from switchboard.kit.bulk import as_arrays, unnest, unnest_rows
from switchboard.kit.clock import utcnow
from switchboard.kit.db import dialect_of
from switchboard.kit.driver import DriverStatement
from switchboard.kit.jobs import (
    NewJob,
    enqueue_many,
    insert_jobs_postgres,
    job_arrays,
    job_rows,
    wake_workers_after_commit,
)
from switchboard.kit.pagination import PageParams
from switchboard.kit.repository import Repository, where_equal
from switchboard.messaging.models import (
    Channel,
    Direction,
    Message,
    MessagingSession,
    OptOut,
    SessionStatus,
)
from switchboard.messaging.schemas import InboxView, SessionFilters
from switchboard.tasks.models import Task, TaskSource
from switchboard.tenancy.models import ChannelAccount, ChannelKind, Role, Tenant, User


async def lock_counterpart(session: AsyncSession, tenant_id: uuid.UUID, address: str) -> None:
    """Serialize, until this transaction ends, everything that may create a contact or a session
    for one person of one tenant (every channel: SMS, WhatsApp and voice share the lock, so two
    first contacts from one number cannot make two contact cards).

    PostgreSQL: a transaction-scoped advisory lock on a 64-bit hash of tenant + address.
    SQLite needs none: every transaction starts with BEGIN IMMEDIATE (kit/db.py)."""
    await lock_counterparts(session, [(tenant_id, address)])


async def lock_counterparts(session: AsyncSession, people: Iterable[tuple[uuid.UUID, str]]) -> None:
    """`lock_counterpart` for several people in one statement (a batch of inbound messages),
    taken in key order, so two transactions locking overlapping sets cannot deadlock."""
    if dialect_of(session) != "postgresql":
        return
    keys = sorted({_lock_key(tenant_id, address) for tenant_id, address in people})
    if keys:
        await _LOCKS.fetch(session, {"keys": keys})


def _lock_key(tenant_id: uuid.UUID, address: str) -> int:
    digest = hashlib.blake2b(f"{tenant_id}:{address}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


# The webhook's hot path runs the same few statements for every message. They are Core
# statements on the tables (no ORM entities to load, track or flush), built once here with
# bind parameters, so SQLAlchemy also skips their per-call construction and cache-key work.
_tenants = cast(Table, Tenant.__table__)
_accounts = cast(Table, ChannelAccount.__table__)
_sessions = cast(Table, MessagingSession.__table__)
_messages = cast(Table, Message.__table__)
_phones = cast(Table, ContactPhone.__table__)
_opt_outs = cast(Table, OptOut.__table__)
# unnest() yields the array in order, so the locks are taken in the order given.
_LOCKS = DriverStatement(
    lambda: text("SELECT pg_advisory_xact_lock(key) FROM unnest(CAST(:keys AS BIGINT[])) AS key")
)

SessionRow = dict[str, Any]  # a messaging_sessions row, column name -> value
S = TypeVar("S", bound=Select[Any])


def _latest_of_counterpart(
    stmt: S, sessions: Any, tenant_id: Any, channel: Any, counterpart: Any
) -> S:
    """`stmt` reading the counterpart's latest session on the channel, the one the session
    rule (messaging/sessions.py) weighs a new message against, from `sessions` (the table or
    an alias of it): the single path's lookup and the inbound batch's facts read alike."""
    return (
        stmt.where(
            sessions.c.tenant_id == tenant_id,
            sessions.c.channel == channel,
            sessions.c.counterpart_address == counterpart,
        )
        .order_by(sessions.c.last_message_at.desc())
        .limit(1)
    )


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


@dataclass(frozen=True)
class FactsWanted:
    """One inbound message's questions for `inbound_facts`."""

    tenant_id: uuid.UUID
    account_id: uuid.UUID | None  # the channel account it was routed by (None: not routed)
    provider_message_id: str
    number: str  # the sender's person number (E.164 when it parses)
    channel_group: str
    channel: Channel
    counterpart: str  # the sender's address as the channel gives it


_WANTED = (
    ("tenant_id", Uuid()),
    ("account_id", Uuid()),
    ("sid", String()),
    ("number", String()),
    ("grp", String()),
    ("channel", String()),
    ("counterpart", String()),
)
_QUESTIONS = ("idx", *(name for name, _kind in _WANTED))  # a question row's columns


def _sqlite_json(value: Any) -> Any:
    """A question's value in the JSON SQLite reads them from: ids as the hex it stores."""
    return value.hex if isinstance(value, uuid.UUID) else value


@functools.cache
def _facts_statement(postgres: bool) -> Select[Any]:
    """The facts of any number of messages: their questions as rows (`wanted`), each
    answered by the same indexed lookups. The questions are bound in one go, so one
    statement serves every batch size: on PostgreSQL one array per column (unnest), on
    SQLite one JSON array of rows (json_each)."""
    wanted: Any
    if postgres:
        wanted = unnest("wanted", [("idx", Integer()), *_WANTED])
    else:
        rows = func.json_each(bindparam("wanted", type_=String())).table_valued("value")
        wanted = select(
            *(
                func.json_extract(rows.c.value, f"$[{position}]").label(name)
                for position, name in enumerate(_QUESTIONS)
            )
        ).cte("wanted")
    candidates = _sessions.alias("candidates")
    newest = _latest_of_counterpart(
        select(candidates), candidates, wanted.c.tenant_id, wanted.c.channel, wanted.c.counterpart
    ).correlate(wanted)
    # The counterpart's latest session: a LATERAL join where there is one (PostgreSQL
    # would otherwise hash-join every session of the table), else a join on its id.
    if postgres:
        latest: Any = newest.lateral("latest")
        with_latest: ColumnElement[bool] = true()
    else:
        latest = _sessions
        with_latest = _sessions.c.id == newest.with_only_columns(candidates.c.id).scalar_subquery()
    return select(
        wanted.c.idx,
        _tenants.c.name,
        _tenants.c.auto_reply_enabled,
        _tenants.c.session_gap_seconds,
        _tenants.c.help_text,
        select(_accounts.c.tenant_id)
        .where(_accounts.c.id == wanted.c.account_id)
        .scalar_subquery()
        .label("account_tenant_id"),
        select(_messages.c.id)
        .where(_messages.c.provider_message_id == wanted.c.sid)
        .limit(1)
        .scalar_subquery()
        .label("duplicate_id"),
        select(_phones.c.contact_id)
        .where(_phones.c.tenant_id == wanted.c.tenant_id, _phones.c.number == wanted.c.number)
        .limit(1)
        .scalar_subquery()
        .label("contact_id"),
        select(_opt_outs.c.id)
        .where(
            _opt_outs.c.tenant_id == wanted.c.tenant_id,
            _opt_outs.c.address == wanted.c.number,
            _opt_outs.c.channel_group == wanted.c.grp,
        )
        .limit(1)
        .scalar_subquery()
        .label("opt_out_id"),
        *(latest.c[name].label(label) for name, label in _SESSION_LABELS),
    ).select_from(
        wanted.join(_tenants, _tenants.c.id == wanted.c.tenant_id).outerjoin(latest, with_latest)
    )


async def inbound_facts(
    session: AsyncSession, wanted: Sequence[FactsWanted]
) -> list[InboundFacts | None]:
    """Everything each inbound message needs to know before it is stored, for any number of
    messages in one round trip (the webhook's hot path): its tenant's settings, whether the
    account it was routed by is still that tenant's, whether it is a redelivery, whose number
    it is, whether the sender opted out, and the counterpart's latest session. None for a
    message whose tenant is gone."""
    if not wanted:
        return []
    questions = [  # one row per message, in the order of _QUESTIONS
        (
            index,
            question.tenant_id,
            question.account_id,
            question.provider_message_id,
            question.number,
            question.channel_group,
            str(question.channel),
            question.counterpart,
        )
        for index, question in enumerate(wanted)
    ]
    rows: Iterable[Any]
    if dialect_of(session) == "postgresql":
        by_column = zip(*questions, strict=True)
        columns = {name: list(values) for name, values in zip(_QUESTIONS, by_column, strict=True)}
        rows = await _FACTS_POSTGRES.fetch(session, columns)
    else:
        document = json.dumps(
            [[_sqlite_json(value) for value in question] for question in questions]
        )
        result = await session.execute(_facts_statement(False), {"wanted": document})
        rows = result.mappings()
    found: list[InboundFacts | None] = [None] * len(wanted)
    for row in rows:
        latest = (
            {name: row[label] for name, label in _SESSION_LABELS}
            if row["session_id"] is not None
            else None
        )
        found[row["idx"]] = InboundFacts(
            tenant=InboxTenant(
                id=wanted[row["idx"]].tenant_id,
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
    return found


# The latest session's columns in the facts read: (column, label).
_SESSION_LABELS = tuple((column.name, f"session_{column.name}") for column in _sessions.c)
# The facts read as asyncpg runs it (one statement for every batch size).
_FACTS_POSTGRES = DriverStatement(lambda: _facts_statement(True))


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


async def route_voice(session: AsyncSession, to_address: str) -> Tenant | None:
    """A voice webhook's tenant: the number called, a voice account preferred over SMS."""
    stmt = (
        select(Tenant)
        .join(ChannelAccount, Tenant.id == ChannelAccount.tenant_id)
        .where(ChannelAccount.provider == "twilio", ChannelAccount.address == to_address)
        .order_by((ChannelAccount.kind == ChannelKind.voice).desc(), ChannelAccount.created_at)
        .limit(1)
    )
    return (await session.execute(stmt)).scalars().first()


def locked(stmt: S) -> S:
    """`stmt`, locking the rows it reads until the transaction ends and reading them fresh
    even when the session holds them already: for a read-then-write (a status callback)
    that a concurrent one must not interleave with. SQLite renders no FOR UPDATE; it needs
    none, its transactions run one at a time."""
    return stmt.with_for_update().execution_options(populate_existing=True)


async def message_by_provider_id(session: AsyncSession, provider_message_id: str) -> Message | None:
    """Not scoped: a delivery callback names no tenant, and provider ids are globally unique.
    Locked (see `locked`): the caller moves its status."""
    stmt = select(Message).where(Message.provider_message_id == provider_message_id)
    return (await session.execute(locked(stmt))).scalars().first()


async def message_by_id(session: AsyncSession, message_id: uuid.UUID) -> Message | None:
    """Not scoped: for a signed callback whose URL carries our own message id. Locked."""
    stmt = select(Message).where(Message.id == message_id)
    return (await session.execute(locked(stmt))).scalars().first()


async def call_by_provider_id(session: AsyncSession, call_sid: str) -> Call | None:
    """Not scoped: a voice callback names the call, not the tenant; call SIDs are unique.
    Locked: every voice callback updates the call it reads."""
    stmt = select(Call).where(
        Call.provider == CallProvider.twilio, Call.provider_call_id == call_sid
    )
    return (await session.execute(locked(stmt))).scalars().first()


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


def opted_out_where(
    tenant_id: uuid.UUID | InstrumentedAttribute[uuid.UUID],
    address: InstrumentedAttribute[str],
    channel: InstrumentedAttribute[Channel],
) -> ColumnElement[bool]:
    """`find_opt_out` in SQL, for queries over stored addresses: whether the `address` column
    (E.164, as Twilio sends it and we store it, `whatsapp:`-prefixed or not) has opted out on
    the group of the `channel` column (WhatsApp, or SMS, which voice numbers share).

    Only the outer row's side is an expression: the opt-out is probed by its own unique key
    (tenant, bare number, group), one index lookup per row. Matching on an expression of the
    opt-out's address instead compared every session with every opt-out (200 ms for the
    waiting count of 10,000 sessions and 100 opt-outs; bench/web_pages.py)."""
    group = case((channel == Channel.whatsapp, "whatsapp"), else_="sms")
    return exists().where(
        OptOut.tenant_id == tenant_id,
        OptOut.channel_group == group,
        OptOut.address == func.replace(address, "whatsapp:", ""),
    )


class SessionRepository(Repository[MessagingSession]):
    model = MessagingSession
    kind = "session"

    def sort_columns(self) -> list[InstrumentedAttribute[Any]]:
        return [MessagingSession.last_message_at, MessagingSession.id]

    def with_contact(
        self, stmt: Select[tuple[MessagingSession]]
    ) -> Select[tuple[MessagingSession]]:
        """With the contact loaded and `awaiting_reply` derived: what an inbox row shows."""
        return stmt.options(
            selectinload(MessagingSession.contact),
            with_expression(MessagingSession.awaiting_reply, self.waiting_on_reply()),
        )

    def visible_to(
        self, stmt: Select[tuple[MessagingSession]], user: User
    ) -> Select[tuple[MessagingSession]]:
        """A rep sees the sessions of the contacts the CRM shows them; staff see all."""
        if user.role != Role.rep:
            return stmt
        visible = select(ContactCard.id).where(
            ContactCard.tenant_id == self.tenant_id, contact_is_reps(user.id)
        )
        return stmt.where(MessagingSession.contact_id.in_(visible))

    def filtered(
        self, stmt: Select[tuple[MessagingSession]], filters: SessionFilters
    ) -> Select[tuple[MessagingSession]]:
        """`stmt` narrowed to the inbox list's filters, its tab and its search."""
        stmt = where_equal(
            stmt,
            (MessagingSession.contact_id, filters.contact_id),
            (MessagingSession.channel, filters.channel),
            (MessagingSession.status, filters.status),
            (MessagingSession.ai_paused, filters.ai_paused),
            (MessagingSession.taken_over_by_id, filters.taken_over_by_id),
        )
        if filters.view == InboxView.waiting:
            stmt = self.waiting(stmt)
        elif filters.view == InboxView.ai:
            stmt = stmt.where(MessagingSession.ai_paused.is_(False))
        elif filters.view == InboxView.taken_over:
            stmt = stmt.where(MessagingSession.ai_paused.is_(True))
        if filters.q and filters.q.strip():
            stmt = self.matching(stmt, filters.q)
        return stmt

    def waiting(self, stmt: Select[tuple[MessagingSession]]) -> Select[tuple[MessagingSession]]:
        """`stmt`'s sessions whose customer is waiting on a reply (`waiting_on_reply`)."""
        return stmt.where(self.waiting_on_reply())

    @staticmethod
    def opted_out() -> ColumnElement[bool]:
        """The session's counterpart has opted out: nothing can be sent to them."""
        return opted_out_where(
            MessagingSession.tenant_id,
            MessagingSession.counterpart_address,
            MessagingSession.channel,
        )

    @classmethod
    def waiting_on_reply(cls) -> ColumnElement[bool]:
        """The customer wrote last, and we are still allowed to answer."""
        return and_(
            MessagingSession.last_inbound_at.is_not(None),
            MessagingSession.last_inbound_at >= MessagingSession.last_message_at,
            ~cls.opted_out(),
        )

    @staticmethod
    def matching(stmt: Select[tuple[MessagingSession]], q: str) -> Select[tuple[MessagingSession]]:
        """Sessions whose contact's name or company, or whose number, contains `q`."""
        term = q.strip().lower()
        conditions: list[ColumnElement[bool]] = [contact_name_contains(term)]
        digits = "".join(ch for ch in q if ch.isdigit())
        if len(digits) >= 3:
            conditions.append(MessagingSession.counterpart_address.contains(digits))
        return stmt.join(ContactCard, ContactCard.id == MessagingSession.contact_id).where(
            ContactCard.tenant_id == MessagingSession.tenant_id, or_(*conditions)
        )

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


# --- the inbound batch's writes: set-based, whatever the number of messages, any tenants ----


@dataclass(frozen=True)
class SessionAppend:
    """Messages added to an existing session: how many, and the session's new last state."""

    session_id: uuid.UUID
    added: int
    last_message_at: datetime
    last_inbound_at: datetime | None
    preview: str
    title: str | None  # used only when the session has none yet


@dataclass
class BatchWrites:
    """What an inbound batch writes (rows complete, tenants included)."""

    closed: list[uuid.UUID]  # stored sessions a new one replaced
    opened: list[SessionRow]  # new sessions, already counting their messages
    counted: list[SessionAppend]  # stored sessions that received messages
    messages: list[dict[str, Any]]  # as `message_row` makes them
    jobs: list[NewJob]
    now: datetime


async def write_inbound_batch(session: AsyncSession, writes: BatchWrites) -> int:
    """Write a batch; returns how many of its messages were inserted: fewer than given means
    a concurrent transaction stored one of their provider ids first (ON CONFLICT DO NOTHING).

    PostgreSQL: the session counts, the messages and the jobs go in one statement (three
    data-modifying CTEs, rows bound as arrays): each round trip is also a wait for the
    event loop, and under load the batch's round trips are what its webhooks wait for.
    SQLite: one statement per kind of write. Closing and opening sessions, which a batch
    of ongoing conversations does not do, are statements of their own on both."""
    if writes.closed:
        await session.execute(_CLOSE_SESSIONS, {"ids": writes.closed, "now": writes.now})
    if writes.opened:
        await session.execute(_INSERT_SESSION, writes.opened)
    counts = [
        {
            "b_id": append.session_id,
            "b_added": append.added,
            "b_last_message_at": append.last_message_at,
            "b_last_inbound_at": append.last_inbound_at,
            "b_preview": append.preview,
            "b_title": append.title,
        }
        for append in writes.counted
    ]
    if dialect_of(session) == "postgresql":
        params = {
            **{name: [row[name] for row in counts] for name in _APPEND_COLUMNS},
            **as_arrays(_messages, writes.messages, _MESSAGE_COLUMNS, "m_"),
            **job_arrays(job_rows(writes.jobs), "j_"),
        }
        if writes.jobs:
            wake_workers_after_commit(session)
        return int(await _BATCH_WRITES_POSTGRES.fetchval(session, params))
    if counts:
        await session.execute(_APPEND_SQLITE, counts)
    inserted = 0
    if writes.messages:
        inserted = len((await session.execute(_INSERT_ONCE_SQLITE, writes.messages)).all())
    await enqueue_many(session, writes.jobs)
    return inserted


def _batch_writes_postgres() -> Select[Any]:
    """WITH counted AS (UPDATE sessions ...), queued AS (INSERT INTO jobs ...), stored AS
    (INSERT INTO messages ... ON CONFLICT DO NOTHING RETURNING id) SELECT count(*) FROM
    stored. Built on first use (jobs.tenant_id takes its type from tenants.id)."""
    counted = _APPEND_POSTGRES.cte("counted")
    queued = insert_jobs_postgres("j_").cte("queued")
    stored = (
        postgresql.insert(_messages)
        .from_select(_MESSAGE_COLUMNS, unnest_rows(_messages, _MESSAGE_COLUMNS, "m_"))
        .on_conflict_do_nothing(index_elements=["provider_message_id"])
        .returning(_messages.c.id)
        .cte("stored")
    )
    return select(func.count()).select_from(stored).add_cte(counted, queued)


_BATCH_WRITES_POSTGRES = DriverStatement(_batch_writes_postgres)


async def insert_messages_once(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """INSERT ... ON CONFLICT (provider_message_id) DO NOTHING for complete message rows (as
    `message_row` makes them); how many were inserted."""
    writes = BatchWrites([], [], [], list(rows), [], utcnow())
    return await write_inbound_batch(session, writes)


def message_row(tenant_id: uuid.UUID, values: dict[str, Any]) -> dict[str, Any]:
    """A complete messages row: `values`, a new id unless given, NULL for the rest."""
    row: dict[str, Any] = dict.fromkeys(_NULLABLE_MESSAGE_COLUMNS)
    row.update(values, tenant_id=tenant_id)
    row.setdefault("id", uuid.uuid4())
    return row


_INSERT_SESSION = insert(_sessions)
_CLOSE_SESSIONS = (
    update(_sessions)
    .where(_sessions.c.id.in_(bindparam("ids", expanding=True)))
    .values(status=SessionStatus.closed, updated_at=bindparam("now"))
)


def _append(source: Any, id_column: Any) -> Any:
    """UPDATE messaging_sessions from one row of `source` per session: the count is
    incremented in SQL (a staff message may be counting too), the rest is the batch's last
    word (see write_inbound_batch)."""
    return (
        update(_sessions)
        .where(_sessions.c.id == id_column)
        .values(
            message_count=_sessions.c.message_count + source["b_added"],
            last_message_at=source["b_last_message_at"],
            last_inbound_at=func.coalesce(source["b_last_inbound_at"], _sessions.c.last_inbound_at),
            last_message_preview=source["b_preview"],
            title=case(
                (func.coalesce(_sessions.c.title, "") == "", source["b_title"]),
                else_=_sessions.c.title,
            ),
            updated_at=source["b_last_message_at"],
        )
    )


_APPEND_COLUMNS: dict[str, Any] = {
    "b_id": Uuid(),
    "b_added": Integer(),
    "b_last_message_at": _sessions.c.last_message_at.type,
    "b_last_inbound_at": _sessions.c.last_inbound_at.type,
    "b_preview": String(),
    "b_title": String(),
}
_APPEND_FROM = unnest("appended", list(_APPEND_COLUMNS.items()))
_APPEND_POSTGRES = _append(_APPEND_FROM.c, _APPEND_FROM.c.b_id)
_APPEND_SQLITE = _append(
    {name: bindparam(name, type_=kind) for name, kind in _APPEND_COLUMNS.items()},
    bindparam("b_id", type_=Uuid()),
)


_LATEST_SESSION = _latest_of_counterpart(
    select(MessagingSession),
    _sessions,
    bindparam("tenant_id"),
    bindparam("channel"),
    bindparam("counterpart"),
)


class MessageRepository(Repository[Message]):
    model = Message
    kind = "message"

    async def lock(self, ident: uuid.UUID) -> Message:
        """The message, locked and fresh (see `locked`): its status is about to move."""
        return await self.get(ident, locked(self.select()))

    async def insert_once(self, values: dict[str, Any]) -> dict[str, Any] | None:
        """INSERT ... ON CONFLICT (provider_message_id) DO NOTHING, as one Core statement.
        Returns the stored row (every column), or None when the provider id was there."""
        row = message_row(self.tenant_id, values)
        return row if await insert_messages_once(self.session, [row]) else None

    async def after(self, session_id: uuid.UUID, message: Message, limit: int) -> list[Message]:
        """The session's messages stored after `message`, oldest first: what a screen that
        already shows `message` has not seen yet."""
        stmt = (
            self.select()
            .where(
                Message.session_id == session_id,
                tuple_(Message.created_at, Message.id) > tuple_(message.created_at, message.id),
            )
            .order_by(Message.created_at, Message.id)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def get_in_session(self, session_id: uuid.UUID, message_id: uuid.UUID) -> Message:
        """A message of the session; NotFound when the session has none by that id."""
        return await self.get(message_id, self.select().where(Message.session_id == session_id))

    async def newest_first_page(
        self,
        params: PageParams,
        *,
        session_id: uuid.UUID | None = None,
        contact_id: uuid.UUID | None = None,
    ) -> tuple[list[Message], str | None]:
        """A page of a session's (or a contact's) messages, newest first, from the cursor."""
        stmt = where_equal(
            self.select(), (Message.session_id, session_id), (Message.contact_id, contact_id)
        )
        return await self.page(stmt, params, descending=True)

    async def latest_in_session(self, session_id: uuid.UUID, limit: int) -> list[Message]:
        """The session's last `limit` messages, newest first."""
        stmt = (
            self.select()
            .where(Message.session_id == session_id)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

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
_MESSAGE_COLUMNS = tuple(column.name for column in _messages.c)
_INSERT_ONCE_SQLITE = (
    sqlite.insert(_messages)
    .on_conflict_do_nothing(index_elements=["provider_message_id"])
    .returning(_messages.c.id)
)


class OptOutRepository(Repository[OptOut]):
    model = OptOut
    kind = "opt-out"

    async def find_for(self, address: str, channel_group: str) -> OptOut | None:
        stmt = self.select().where(
            and_(OptOut.address == address, OptOut.channel_group == channel_group)
        )
        return (await self.session.execute(stmt)).scalars().first()

    async def find_many(self, addresses: Iterable[str], channel_group: str) -> dict[str, OptOut]:
        stmt = self.select().where(
            OptOut.address.in_(list(addresses)), OptOut.channel_group == channel_group
        )
        return {found.address: found for found in (await self.session.execute(stmt)).scalars()}
