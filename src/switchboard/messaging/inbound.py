"""Inbound customer messages (SMS, MMS, WhatsApp): each stored once, in its contact's
session, then acted on: STOP and START recorded, HELP answered, anything else handed to the
auto-responder (or, with auto-reply off, to a CSR).

Webhooks arrive together (a customer's burst, many customers at once), and a message is a
small row: alone, its transaction costs more than its writes. So the webhooks that arrive
while one transaction runs are stored together in the next (`InboundIntake`, a group
commit), and `store_inbound` stores any number of messages with a fixed number of
statements: the counterparts' locks (PostgreSQL), one read of every fact they need, the
new contacts and sessions when there are any, then the writes (`write_inbound_batch`: one
statement on PostgreSQL, one per kind on SQLite). The rules run in Python on what that
read returned, message by message in arrival order, so a batch ends exactly as its
messages stored one by one would. A quiet server stores each message alone: a message in
an ongoing conversation is three statements on PostgreSQL, four on SQLite."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.config import Settings
from switchboard.kit.clock import utcnow
from switchboard.kit.db import Database
from switchboard.kit.errors import NotFound
from switchboard.kit.groupcommit import GroupCommit
from switchboard.kit.jobs import NewJob
from switchboard.messaging.models import (
    Channel,
    Direction,
    MessageKind,
    MessageStatus,
    Sender,
    SessionStatus,
)
from switchboard.messaging.optouts import (
    Keyword,
    channel_group,
    clear_opt_out,
    keyword_of,
    record_opt_out,
)
from switchboard.messaging.repository import (
    BatchWrites,
    FactsWanted,
    InboundFacts,
    InboxTenant,
    SessionAppend,
    SessionRow,
    inbound_facts,
    lock_counterparts,
    message_row,
    write_inbound_batch,
)
from switchboard.messaging.routing import InboundRoutes
from switchboard.messaging.schemas import InboundMessage, MessageRead, SessionRead
from switchboard.messaging.service import AUTO_REPLY_JOB
from switchboard.messaging.sessions import (
    Placement,
    SessionRule,
    after_message,
    announce_message,
    announce_session,
    contact_label,
    new_contact,
    opening,
)
from switchboard.messaging.text import clean_text, person_number, preview_of
from switchboard.tasks.models import AssignedRole, TaskPriority, TaskSource
from switchboard.tasks.schemas import TaskCreate
from switchboard.tasks.service import create_system_task
from switchboard.tenancy.models import Tenant

log = logging.getLogger(__name__)

# How many webhooks one transaction stores at most: enough to absorb a burst, small
# enough that the first of them is not kept waiting long.
MAX_BATCH = 64
# A second batch may run while one waits on the database (PostgreSQL), once this many
# webhooks wait: fewer would only split them into batches that cost more per message.
# SQLite runs one transaction at a time, so a second batch would only queue. (Both
# measured on bench/inbox_webhooks.py.)
PARALLEL_BATCH_AT = 16
# How long a batch may wait for as many webhooks as the last one held: at 8 clients, the
# first of a round no longer goes alone a whole transaction ahead of the other seven
# (measured: 620 -> 860 webhooks/s on PostgreSQL, 630 -> 930 on SQLite). A lone webhook
# never waits.
LINGER_SECONDS = 0.002


class UnknownDestination(NotFound):
    """A webhook for a number (or messaging service) no tenant has."""


class DuplicateDelivery(Exception):
    """The provider delivered a message id already stored; the transaction must roll back."""


def help_text(tenant: Tenant | InboxTenant) -> str:
    return tenant.help_text or (
        f"{tenant.name}: reply to this number to reach our team. "
        "Msg & data rates may apply. Reply STOP to opt out."
    )


@dataclass(frozen=True)
class Delivery:
    """An inbound message as a webhook delivered it, with what routes it to a tenant."""

    message: InboundMessage
    messaging_service_sid: str | None = None


@dataclass
class InboundOutcome:
    message: MessageRead | None  # None: a redelivery, already stored
    reply: str | None = None  # text to answer in the webhook response (HELP)

    @property
    def duplicate(self) -> bool:
        return self.message is None


class InboundIntake:
    """The app's inbound message webhooks, stored by group commit (see the module doc)."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        routes: InboundRoutes | None = None,
        *,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.settings = settings
        self.routes = routes or InboundRoutes()
        self._batches: GroupCommit[Delivery, InboundOutcome] = GroupCommit(
            "inbound_messages",
            db,
            self._store,
            max_batch=max_batch,
            max_in_flight=2 if db.parallel_transactions else 1,
            parallel_at=PARALLEL_BATCH_AT,
            linger=LINGER_SECONDS,
        )

    async def receive(self, delivery: Delivery) -> InboundOutcome:
        """Store the message once it has committed, with whatever else arrived meanwhile.
        Raises UnknownDestination when no tenant has the number it was sent to."""
        return await self._batches.submit(delivery)

    async def _store(
        self, session: AsyncSession, deliveries: Sequence[Delivery]
    ) -> list[InboundOutcome | Exception]:
        return await store_inbound(session, self.settings, deliveries, self.routes)


async def receive_message(
    session: AsyncSession, settings: Settings, tenant: Tenant, inbound: InboundMessage
) -> InboundOutcome:
    """Store one inbound message for `tenant` in the caller's transaction (no routing)."""
    [outcome] = await store_inbound(session, settings, [Delivery(inbound)], tenant_id=tenant.id)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


@dataclass(frozen=True)
class _Routed:
    index: int  # the delivery's place in the batch
    message: InboundMessage
    tenant_id: uuid.UUID
    account_id: uuid.UUID | None
    number: str  # the sender's person number

    def wanted(self) -> FactsWanted:
        return FactsWanted(
            tenant_id=self.tenant_id,
            account_id=self.account_id,
            provider_message_id=self.message.provider_message_id,
            number=self.number,
            channel_group=channel_group(self.message.channel),
            channel=self.message.channel,
            counterpart=self.message.from_address,
        )


async def store_inbound(
    session: AsyncSession,
    settings: Settings,
    deliveries: Sequence[Delivery],
    routes: InboundRoutes | None = None,
    *,
    tenant_id: uuid.UUID | None = None,
) -> list[InboundOutcome | Exception]:
    """Store inbound messages in the caller's transaction: one outcome per delivery, in order,
    or UnknownDestination for one no tenant receives. Each is routed by the number (or
    messaging service) it was sent to, through `routes`, a cache, unless `tenant_id` says
    whose they all are. Raises DuplicateDelivery when a concurrent transaction stored one
    of these provider ids first: the transaction must roll back and the messages be stored
    again, when that one shows as a redelivery."""
    routes = routes or InboundRoutes(ttl_seconds=0)
    outcomes: list[InboundOutcome | Exception | None] = [None] * len(deliveries)
    ready: list[tuple[_Routed, InboundFacts]] = []
    pending = list(range(len(deliveries)))
    for _lookup in ("cached", "fresh"):  # fresh only for routes a cached one proved stale
        routed: list[_Routed] = []
        for index in pending:
            delivery = deliveries[index]
            message = delivery.message
            if tenant_id is None:
                route = await routes.find(
                    session, message.to_address, delivery.messaging_service_sid
                )
                if route is None:
                    continue
                target, account_id = route.tenant_id, route.account_id
            else:
                target, account_id = tenant_id, None
            number = person_number(message.from_address)
            routed.append(_Routed(index, message, target, account_id, number))
        await lock_counterparts(session, [(item.tenant_id, item.number) for item in routed])
        stale = []
        for item, facts in zip(
            routed, await inbound_facts(session, [item.wanted() for item in routed]), strict=True
        ):
            moved = item.account_id is not None and (
                facts is None or facts.account_tenant_id != item.tenant_id
            )
            if facts is None or moved:
                routes.forget(item.message.to_address, deliveries[item.index].messaging_service_sid)
                stale.append(item.index)
            else:
                ready.append((item, facts))
        pending = stale
        if not pending:
            break
    ready.sort(key=lambda pair: pair[0].index)  # arrival order, whichever lookup found them
    batch = _Batch(session, settings)
    for item, facts in ready:
        outcomes[item.index] = await batch.receive(item, facts)
    await batch.write()
    return [
        outcome
        if outcome is not None
        else UnknownDestination(f"no channel account for {deliveries[index].message.to_address}")
        for index, outcome in enumerate(outcomes)
    ]


@dataclass
class _Thread:
    """A counterpart's latest session on a channel, as the batch leaves it."""

    row: SessionRow | None
    tenant: InboxTenant
    rule: SessionRule
    created: bool = False  # opened by this batch: inserted at the end, counting its messages


@dataclass
class _Batch:
    """The batch's state, message by message, and its writes, sent together by `write`."""

    session: AsyncSession
    settings: Settings
    threads: dict[tuple[uuid.UUID, Channel, str], _Thread] = field(default_factory=dict)
    contacts: dict[tuple[uuid.UUID, str], uuid.UUID] = field(default_factory=dict)
    opted_out: dict[tuple[uuid.UUID, str, str], bool] = field(default_factory=dict)
    stored_ids: set[str] = field(default_factory=set)
    opened: list[SessionRow] = field(default_factory=list)
    counted: dict[uuid.UUID, tuple[SessionRow, int]] = field(default_factory=dict)
    closed: list[uuid.UUID] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[NewJob] = field(default_factory=list)
    last_tick: datetime | None = None

    def tick(self) -> datetime:
        """Now, later than every earlier message of the batch: a thread is ordered by time."""
        now = utcnow()
        if self.last_tick is not None and now <= self.last_tick:
            now = self.last_tick + timedelta(microseconds=1)
        self.last_tick = now
        return now

    async def receive(self, item: _Routed, facts: InboundFacts) -> InboundOutcome:
        inbound, tenant_id = item.message, item.tenant_id
        sid = inbound.provider_message_id
        if facts.duplicate or sid in self.stored_ids:
            return InboundOutcome(message=None)
        self.stored_ids.add(sid)
        now = self.tick()
        body = clean_text(inbound.body)
        preview = preview_of(body, inbound.media)
        contact_id = await self._contact(item, facts)
        thread = self._thread(item, facts)
        created = self._open_or_continue(thread, inbound, contact_id, now)
        assert thread.row is not None
        message = self._add_message(
            thread,
            {
                "direction": Direction.inbound,
                "sender": Sender.customer,
                "kind": MessageKind.manual,
                "channel": inbound.channel,
                "from_address": inbound.from_address,
                "to_address": inbound.to_address,
                "body": body,
                "media": inbound.media,
                "provider_message_id": sid,
                "status": MessageStatus.received,
            },
            preview,
            now,
        )
        outcome = InboundOutcome(message=message)
        opt_out_key = (tenant_id, item.number, channel_group(inbound.channel))
        opted_out = self.opted_out.setdefault(opt_out_key, facts.opted_out)
        keyword = keyword_of(body)
        if keyword is not None:
            outcome.reply = await self._act_on_keyword(thread, message, opt_out_key, *keyword)
        elif not opted_out and not thread.row["ai_paused"]:
            if thread.tenant.auto_reply_enabled:
                self._auto_reply(tenant_id, message, now)
            elif created:
                await _ask_staff_to_reply(self.session, tenant_id, message, now)
        kind = "session.created" if created else "session.updated"
        announce_session(self.session, SessionRead.model_validate(thread.row), kind, tenant_id)
        return outcome

    async def _contact(self, item: _Routed, facts: InboundFacts) -> uuid.UUID:
        """The sender's contact card; a new one (flushed with the batch's writes)
        for a number nobody has, made once however many of its messages the batch holds."""
        key = (item.tenant_id, item.number)
        if key not in self.contacts:
            if facts.contact_id is not None:
                self.contacts[key] = facts.contact_id
            else:
                source = "WhatsApp" if item.message.channel == Channel.whatsapp else "SMS"
                self.contacts[key] = new_contact(
                    self.session, item.tenant_id, item.number, item.message.profile_name, source
                )
        return self.contacts[key]

    def _thread(self, item: _Routed, facts: InboundFacts) -> _Thread:
        key = (item.tenant_id, item.message.channel, item.message.from_address)
        if key not in self.threads:
            self.threads[key] = _Thread(
                row=facts.latest_session,
                tenant=facts.tenant,
                rule=SessionRule.of(facts.tenant, self.settings),
            )
        return self.threads[key]

    def _open_or_continue(
        self, thread: _Thread, inbound: InboundMessage, contact_id: uuid.UUID, now: datetime
    ) -> bool:
        """The session rule (messaging/sessions.py) on the thread as the batch left it:
        continue its session, or open a new one (closing it). Returns whether it opened."""
        latest = thread.row
        placement = thread.rule.place(latest, now)
        if placement is Placement.join:
            return False
        if placement is Placement.replace:
            assert latest is not None
            latest["status"] = SessionStatus.closed
            if not thread.created:
                self.closed.append(latest["id"])
        thread.row = opening(
            tenant_id=thread.tenant.id,
            contact_id=contact_id,
            channel=inbound.channel,
            counterpart=inbound.from_address,
            our_address=inbound.to_address,
            now=now,
        )
        thread.created = True
        self.opened.append(thread.row)
        return True

    def _add_message(
        self, thread: _Thread, values: dict[str, Any], preview: str, now: datetime
    ) -> MessageRead:
        """A message in the thread's session, counted there, and announced."""
        row = thread.row
        assert row is not None
        stored = message_row(
            thread.tenant.id,
            {
                **values,
                "session_id": row["id"],
                "contact_id": row["contact_id"],
                "created_at": now,
                "updated_at": now,
            },
        )
        self.messages.append(stored)
        row.update(after_message(row["title"], values["direction"], preview, now))
        row["message_count"] += 1
        row["updated_at"] = now
        if not thread.created:
            _row, added = self.counted.get(row["id"], (row, 0))
            self.counted[row["id"]] = (row, added + 1)
        message = MessageRead.model_validate(stored)
        announce_message(self.session, message, "message.created", thread.tenant.id)
        return message

    async def _act_on_keyword(
        self,
        thread: _Thread,
        message: MessageRead,
        opt_out_key: tuple[uuid.UUID, str, str],
        keyword: Keyword,
        word: str,
    ) -> str | None:
        """STOP and START are confirmed by the carrier/Twilio itself, so we answer nothing;
        HELP gets the tenant's help text, which is also kept in the thread."""
        tenant_id, number, _group = opt_out_key
        if keyword == Keyword.opt_out:
            await record_opt_out(
                self.session, tenant_id, number, message.channel, word, source="keyword"
            )
            self.opted_out[opt_out_key] = True
            return None
        if keyword == Keyword.opt_in:
            if self.opted_out[opt_out_key]:  # "YES" is mostly just a yes
                await clear_opt_out(self.session, tenant_id, number, message.channel)
            self.opted_out[opt_out_key] = False
            return None
        reply = help_text(thread.tenant)
        now = self.tick()
        row = thread.row
        assert row is not None
        self._add_message(
            thread,
            {
                "direction": Direction.outbound,
                "sender": Sender.system,
                "kind": MessageKind.automated,
                "channel": message.channel,
                "from_address": row["our_address"],
                "to_address": row["counterpart_address"],
                "body": reply,
                "media": [],
                # Sent by Twilio as the webhook's TwiML answer, so no id or callbacks of ours.
                "status": MessageStatus.sent,
                "sent_at": now,
                "in_reply_to_id": message.id,
            },
            preview_of(reply, []),
            now,
        )
        return reply

    def _auto_reply(self, tenant_id: uuid.UUID, message: MessageRead, now: datetime) -> None:
        """The auto-responder's job (contract in messaging/service.py), due after the
        debounce, so a burst of messages gets one answer."""
        payload = {
            "tenant_id": str(tenant_id),
            "session_id": str(message.session_id),
            "message_id": str(message.id),
        }
        run_after = now + timedelta(seconds=self.settings.auto_reply_debounce_seconds)
        self.jobs.append(NewJob(AUTO_REPLY_JOB, payload, tenant_id, run_after))

    async def write(self) -> None:
        """The batch's writes, together. Raises DuplicateDelivery when a concurrent
        transaction stored one of its provider ids after the facts were read."""
        counted = [
            SessionAppend(
                session_id=row["id"],
                added=added,
                last_message_at=row["last_message_at"],
                last_inbound_at=row["last_inbound_at"],
                preview=row["last_message_preview"],
                title=row["title"],
            )
            for row, added in self.counted.values()
        ]
        if self.session.new or self.session.dirty or self.session.deleted:
            # New contact cards (and a rule's other ORM writes) first: sessions and
            # messages point at them. Nothing to flush is the common case, and not free.
            await self.session.flush()
        writes = BatchWrites(
            closed=self.closed,
            opened=self.opened,
            counted=counted,
            messages=self.messages,
            jobs=self.jobs,
            now=self.last_tick or utcnow(),
        )
        if await write_inbound_batch(self.session, writes) < len(self.messages):
            raise DuplicateDelivery("a message of this batch was stored meanwhile")


async def _ask_staff_to_reply(
    session: AsyncSession, tenant_id: uuid.UUID, message: MessageRead, now: datetime
) -> None:
    """With auto-reply off nobody answers by default: the first message of a session becomes
    a CSR task, so it cannot sit unseen."""
    name = await contact_label(session, tenant_id, message.contact_id)
    await create_system_task(
        session,
        tenant_id,
        TaskCreate(
            title=f"Reply to {name} ({message.channel})"[:200],
            description=message.body[:2000] or None,
            priority=TaskPriority.medium,
            due_at=now + timedelta(minutes=15),
            assigned_role=AssignedRole.csr,
            contact_id=message.contact_id,
        ),
        TaskSource.system,
    )
