"""The queries behind the digest and the assistant's views that no single domain list
answers: customers waiting on a reply, leads nobody has contacted, recent messages, and
names for the ids other lists return. Every query is scoped like the domain services."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, overload

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from switchboard.crm.models import ContactCard, Lead, LeadStatus
from switchboard.crm.service import ContactService, LeadService
from switchboard.kit.repository import count_rows
from switchboard.messaging.models import Direction, Message, MessagingSession, Sender
from switchboard.messaging.optouts import opted_out_where
from switchboard.tenancy.models import User


@dataclass(frozen=True)
class WaitingReply:
    """A customer waiting on a reply: their latest message and the session it came in."""

    message: Message
    thread: MessagingSession


class DashboardRepository:
    def __init__(self, session: AsyncSession, user: User) -> None:
        self.session = session
        self.user = user
        self.tenant_id = user.tenant_id

    def _visible_contact_ids(self) -> Select[uuid.UUID]:
        """The contacts this user may see, as a subquery: a rep's are those assigned to them."""
        return ContactService(self.session, self.user).visible().with_only_columns(ContactCard.id)

    @overload
    async def uncontacted_leads(
        self, limit: int, *, with_total: Literal[True] = ...
    ) -> tuple[list[Lead], int]: ...
    @overload
    async def uncontacted_leads(
        self, limit: int, *, with_total: Literal[False]
    ) -> tuple[list[Lead], None]: ...
    async def uncontacted_leads(
        self, limit: int, *, with_total: bool = True
    ) -> tuple[list[Lead], int | None]:
        """Leads still waiting for a first response, oldest first, and how many there are
        (None without `with_total`, which skips the count)."""
        stmt = (
            LeadService(self.session, self.user)
            .visible()
            .where(Lead.status == LeadStatus.new, Lead.first_response_at.is_(None))
        )
        total = await count_rows(self.session, stmt) if with_total else None
        rows = await self.session.execute(stmt.order_by(Lead.created_at, Lead.id).limit(limit))
        return list(rows.scalars()), total

    @overload
    async def unanswered_messages(
        self,
        since: datetime | None,
        limit: int,
        *,
        with_total: Literal[True] = ...,
        contact_id: uuid.UUID | None = ...,
    ) -> tuple[list[WaitingReply], int]: ...
    @overload
    async def unanswered_messages(
        self,
        since: datetime | None,
        limit: int,
        *,
        with_total: Literal[False],
        contact_id: uuid.UUID | None = ...,
    ) -> tuple[list[WaitingReply], None]: ...
    async def unanswered_messages(
        self,
        since: datetime | None,
        limit: int,
        *,
        with_total: bool = True,
        contact_id: uuid.UUID | None = None,
    ) -> tuple[list[WaitingReply], int | None]:
        """Customers whose latest message is their own and who can still be answered: for
        each such contact, that message (and its session), longest waiting first, and how
        many contacts are waiting (None without `with_total`). Judged per contact rather
        than per session, so a reply that opened a new session still counts as an answer.
        A customer who opted out of the session's channel group is not waiting: nothing
        can be sent to them there. `contact_id` asks about one contact."""
        later = aliased(Message)
        latest_of_contact = (
            select(later.id)
            .where(later.tenant_id == self.tenant_id, later.contact_id == Message.contact_id)
            .order_by(later.created_at.desc(), later.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        thread = MessagingSession
        stmt = (
            select(Message, thread)
            .join(thread, (thread.id == Message.session_id) & (thread.tenant_id == self.tenant_id))
            .where(
                Message.tenant_id == self.tenant_id,
                Message.direction == Direction.inbound,
                Message.sender == Sender.customer,
                Message.id == latest_of_contact,
                Message.contact_id.in_(self._visible_contact_ids()),
                ~opted_out_where(self.tenant_id, thread.counterpart_address, thread.channel),
            )
        )
        if since is not None:
            stmt = stmt.where(Message.created_at >= since)
        if contact_id is not None:
            stmt = stmt.where(Message.contact_id == contact_id)
        counted = stmt.with_only_columns(Message.id)
        total = await count_rows(self.session, counted) if with_total else None
        rows = await self.session.execute(
            stmt.order_by(Message.created_at, Message.id).limit(limit)
        )
        return [WaitingReply(message, session) for message, session in rows], total

    async def recent_messages(self, contact_id: uuid.UUID, limit: int) -> list[Message]:
        """The contact's last messages, newest first (the caller has checked the contact)."""
        stmt = (
            select(Message)
            .where(Message.tenant_id == self.tenant_id, Message.contact_id == contact_id)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def latest_messages(
        self, contact_ids: Iterable[uuid.UUID], per_contact: int
    ) -> dict[uuid.UUID, list[Message]]:
        """Each contact's last `per_contact` messages, oldest first, in one query (the
        caller has checked the contacts)."""
        wanted = set(contact_ids)
        if not wanted:
            return {}
        rank = (
            func.row_number()
            .over(
                partition_by=Message.contact_id,
                order_by=(Message.created_at.desc(), Message.id.desc()),
            )
            .label("rank")
        )
        ranked = (
            select(Message.id, rank)
            .where(Message.tenant_id == self.tenant_id, Message.contact_id.in_(wanted))
            .subquery()
        )
        stmt = (
            select(Message)
            .join(ranked, ranked.c.id == Message.id)
            .where(Message.tenant_id == self.tenant_id, ranked.c.rank <= per_contact)
            .order_by(Message.created_at, Message.id)
        )
        found: dict[uuid.UUID, list[Message]] = {}
        for message in (await self.session.execute(stmt)).scalars():
            found.setdefault(message.contact_id, []).append(message)
        return found

    async def contacts_by_id(self, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, ContactCard]:
        """Contacts (with phones) that records this user can see link to, by id, in one query."""
        wanted = {ident for ident in ids if ident is not None}
        if not wanted:
            return {}
        stmt = (
            select(ContactCard)
            .options(selectinload(ContactCard.phones))
            .where(ContactCard.tenant_id == self.tenant_id, ContactCard.id.in_(wanted))
        )
        return {contact.id: contact for contact in (await self.session.execute(stmt)).scalars()}

    async def users_by_id(self, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, User]:
        wanted = {ident for ident in ids if ident is not None}
        if not wanted:
            return {}
        stmt = select(User).where(User.tenant_id == self.tenant_id, User.id.in_(wanted))
        return {user.id: user for user in (await self.session.execute(stmt)).scalars()}
