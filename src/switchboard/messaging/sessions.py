"""Sessions: which session a customer's message belongs to (the one session rule, for the
batched webhooks of messaging/inbound.py and for every other path alike), what a message
does to its session, the contact a new number gets, and the events screens hear."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.config import Settings
from switchboard.crm.models import ContactCard, ContactPhone
from switchboard.crm.service import contact_of_number, find_contact
from switchboard.kit.events import Event, emit
from switchboard.messaging.models import (
    Channel,
    Direction,
    Message,
    MessagingSession,
    SessionStatus,
)
from switchboard.messaging.repository import InboxTenant, SessionRepository, SessionRow
from switchboard.messaging.schemas import MessageRead, SessionRead
from switchboard.messaging.text import clean_text, preview_of
from switchboard.tenancy.models import Tenant

# --- the session rule ------------------------------------------------------------------------


class Placement(Enum):
    """Where a counterpart's new message goes, beside their latest session on the channel."""

    join = "join"  # into the latest session: it is open and they spoke less than the gap ago
    open = "open"  # into a new session: they have none on the channel, or it is closed
    replace = "replace"  # into a new session, closing the latest: silent for the gap or longer


@dataclass(frozen=True)
class SessionRule:
    """Same counterpart, same channel, open, silent less than the gap: the same session;
    otherwise a new one, and the old one, if still open, is closed. The gap is the tenant's
    (`session_gap_seconds`), else the server's. The counterpart's latest session is the one
    with the latest message among their sessions on the channel (SessionRepository.
    latest_for_counterpart, or the batch's facts read)."""

    gap: timedelta

    @classmethod
    def of(cls, tenant: Tenant | InboxTenant, settings: Settings) -> SessionRule:
        seconds = tenant.session_gap_seconds
        return cls(timedelta(seconds=settings.session_gap_seconds if seconds is None else seconds))

    def place(self, latest: MessagingSession | SessionRow | None, now: datetime) -> Placement:
        """Where a message at `now` goes, given the counterpart's latest session on its
        channel: a loaded session, a row (an inbound batch keeps its sessions as rows), or
        None when there is none."""
        if latest is None:
            return Placement.open
        if isinstance(latest, dict):
            status, last_message_at = latest["status"], latest["last_message_at"]
        else:
            status, last_message_at = latest.status, latest.last_message_at
        if status != SessionStatus.open:
            return Placement.open
        return Placement.join if now - last_message_at < self.gap else Placement.replace


def opening(
    *,
    tenant_id: uuid.UUID,
    contact_id: uuid.UUID,
    channel: Channel,
    counterpart: str,
    our_address: str | None,
    now: datetime,
    title: str | None = None,
) -> SessionRow:
    """A new session, every column: open, the AI on, no message counted yet."""
    return {
        "id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "created_at": now,
        "updated_at": now,
        "contact_id": contact_id,
        "channel": channel,
        "counterpart_address": counterpart,
        "our_address": our_address,
        "status": SessionStatus.open,
        "ai_paused": False,
        "taken_over_by_id": None,
        "message_count": 0,
        "first_message_at": now,
        "last_message_at": now,
        "last_inbound_at": None,
        "last_message_preview": None,
        "title": title,
    }


def new_session(session: AsyncSession, row: SessionRow) -> MessagingSession:
    """A new session (`opening`'s row) in the ORM session, unflushed."""
    opened = MessagingSession(**row)
    session.add(opened)
    return opened


def after_message(
    title: str | None, direction: Direction | str, preview: str, now: datetime
) -> dict[str, Any]:
    """What a message at `now` changes in its session, besides its count: the last message's
    time and preview, the customer's last word, and the title, if the session has none."""
    changes: dict[str, Any] = {"last_message_at": now, "last_message_preview": preview}
    if direction == Direction.inbound:
        changes["last_inbound_at"] = now
    if not title:
        changes["title"] = preview[:80] or None
    return changes


async def session_for_inbound(
    session: AsyncSession,
    *,
    tenant: Tenant,
    settings: Settings,
    channel: Channel,
    counterpart: str,
    our_address: str | None,
    contact_id: uuid.UUID,
    title: str | None,
    now: datetime,
) -> tuple[MessagingSession, bool]:
    """The session a message from `counterpart` at `now` belongs to, by the session rule,
    for a message stored on its own (a voicemail; texts go through messaging/inbound.py).
    Returns (session, created)."""
    latest = await SessionRepository(session, tenant.id).latest_for_counterpart(
        channel, counterpart
    )
    placement = SessionRule.of(tenant, settings).place(latest, now)
    if placement is Placement.join:
        assert latest is not None
        return latest, False
    if placement is Placement.replace:
        assert latest is not None
        latest.status = SessionStatus.closed
    row = opening(
        tenant_id=tenant.id,
        contact_id=contact_id,
        channel=channel,
        counterpart=counterpart,
        our_address=our_address,
        now=now,
        title=title,
    )
    return new_session(session, row), True


async def touch_session(
    session: AsyncSession,
    conversation: MessagingSession,
    message: Message | MessageRead,
    now: datetime,
) -> None:
    """Count `message` in its (stored) session, and flush. The count is incremented in SQL,
    not set from the value loaded here: an inbound batch may be counting in the same session
    at the same moment (messaging/inbound.py), and one of the two counts would be lost."""
    preview = preview_of(message.body, message.media)
    for name, value in after_message(conversation.title, message.direction, preview, now).items():
        setattr(conversation, name, value)
    conversation.message_count = MessagingSession.message_count + 1
    await session.flush()
    await session.refresh(conversation, ["message_count"])


# --- the contact a counterpart is ----------------------------------------------------------------


async def find_or_create_contact(
    session: AsyncSession, tenant_id: uuid.UUID, number: str, name: str | None, source: str
) -> uuid.UUID:
    """The contact who owns `number`, or a new card for it (named by e.g. a WhatsApp profile).
    Callers hold `lock_counterpart` for the number, so two first messages make one card."""
    owner = await contact_of_number(session, tenant_id, number)
    if owner is not None:
        return owner
    contact_id = new_contact(session, tenant_id, number, name, source)
    # Now, not at the caller's flush: rows that point at the card without an ORM
    # relationship (a call, a session) are not ordered after it by the unit of work.
    await session.flush()
    return contact_id


def new_contact(
    session: AsyncSession, tenant_id: uuid.UUID, number: str, name: str | None, source: str
) -> uuid.UUID:
    """Add a card for a number nobody has (named by e.g. a WhatsApp profile) to the session,
    unflushed; the caller holds `lock_counterpart` for the number."""
    first, _, last = clean_text(name or "").strip().partition(" ")
    contact = ContactCard(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        first_name=first or None,
        last_name=last.strip() or None,
        lead_source=source,
    )
    session.add(contact)
    session.add(
        ContactPhone(tenant_id=tenant_id, contact_id=contact.id, number=number, is_primary=True)
    )
    return contact.id


async def contact_label(session: AsyncSession, tenant_id: uuid.UUID, contact_id: uuid.UUID) -> str:
    """How a task names the customer: their name, else their number."""
    contact = await find_contact(session, tenant_id, contact_id)
    if contact is None:
        return "a customer"
    phone = contact.phones[0].number if contact.phones else None
    name = contact.display_name
    return phone if name == "Unknown contact" and phone else name


# --- events ------------------------------------------------------------------------------------


def announce_message(
    session: AsyncSession, message: Message | MessageRead, kind: str, tenant_id: uuid.UUID
) -> None:
    data = MessageRead.model_validate(message).model_dump(mode="json")
    emit(session, Event(kind, tenant_id, {"message": data}))


def announce_session(
    session: AsyncSession,
    conversation: MessagingSession | SessionRead,
    kind: str,
    tenant_id: uuid.UUID,
) -> None:
    data = SessionRead.model_validate(conversation).model_dump(mode="json")
    emit(session, Event(kind, tenant_id, {"session": data}))
