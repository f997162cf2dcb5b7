"""Seed helpers the digest, staff-tool and MCP tests share: a text thread with a contact."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.crm.models import ContactCard
from switchboard.messaging.models import (
    Channel,
    Direction,
    Message,
    MessageStatus,
    MessagingSession,
    Sender,
)
from switchboard.tenancy.models import Tenant


async def text_message(
    session: AsyncSession,
    tenant: Tenant,
    contact: ContactCard,
    direction: Direction,
    body: str,
    at: datetime,
    sender: Sender | None = None,
) -> Message:
    """One SMS in the contact's thread (one session per contact), sent or received at `at`."""
    thread = (
        await session.execute(
            select(MessagingSession).where(
                MessagingSession.tenant_id == tenant.id, MessagingSession.contact_id == contact.id
            )
        )
    ).scalar_one_or_none()
    if thread is None:
        thread = MessagingSession(
            tenant_id=tenant.id,
            contact_id=contact.id,
            channel=Channel.sms,
            counterpart_address=f"+1555{str(contact.id.int)[:7]}",
            our_address="+15555550100",
            first_message_at=at,
            last_message_at=at,
        )
        session.add(thread)
        await session.flush()
    thread.last_message_at = max(thread.last_message_at, at)
    thread.message_count += 1
    inbound = direction == Direction.inbound
    message = Message(
        tenant_id=tenant.id,
        session_id=thread.id,
        contact_id=contact.id,
        direction=direction,
        sender=sender or (Sender.customer if inbound else Sender.csr),
        channel=Channel.sms,
        body=body,
        status=MessageStatus.received if inbound else MessageStatus.delivered,
        created_at=at,
        updated_at=at,
    )
    session.add(message)
    await session.flush()
    return message
