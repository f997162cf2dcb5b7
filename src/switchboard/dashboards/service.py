"""What the dashboards read for other domains (the assistant's tools): names for the ids
other lists return, a contact's latest messages, and the customers waiting on a reply, in
the user's scope. The queries are `dashboards.repository`'s."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.crm.models import ContactCard
from switchboard.dashboards.repository import DashboardRepository, WaitingReply
from switchboard.messaging.models import Message
from switchboard.tenancy.models import User

# --- Read interface for other domains ----------------------------------------------------------


class DashboardLookups:
    def __init__(self, session: AsyncSession, user: User) -> None:
        self._repo = DashboardRepository(session, user)

    async def contacts_by_id(self, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, ContactCard]:
        """Contacts (with phones) that the records a list returned link to, in one query."""
        return await self._repo.contacts_by_id(ids)

    async def users_by_id(self, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, User]:
        return await self._repo.users_by_id(ids)

    async def recent_messages(self, contact_id: uuid.UUID, limit: int) -> list[Message]:
        """The contact's last messages, newest first (the caller has checked the contact)."""
        return await self._repo.recent_messages(contact_id, limit)

    async def waiting_on_reply(self, since: datetime, limit: int) -> tuple[list[WaitingReply], int]:
        """Customers waiting on a reply since `since`, longest waiting first, and how many."""
        return await self._repo.unanswered_messages(since, limit)

    async def is_waiting_on_reply(self, contact_id: uuid.UUID) -> bool:
        """Whether the contact's latest message is theirs and can still be answered."""
        waiting, _ = await self._repo.unanswered_messages(
            None, 1, with_total=False, contact_id=contact_id
        )
        return bool(waiting)
