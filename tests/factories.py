"""Factory functions for test data: each makes one valid row with sensible defaults."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.config import Settings
from switchboard.crm.models import (
    Appointment,
    Call,
    CallDirection,
    ContactCard,
    ContactPhone,
    Lead,
    RecordingSession,
    RepShift,
)
from switchboard.kit.clock import utcnow
from switchboard.messaging.models import (
    Channel,
    Direction,
    Message,
    MessageStatus,
    MessagingSession,
    Sender,
)
from switchboard.tasks.models import Task
from switchboard.tenancy.models import ChannelAccount, ChannelKind, Role, Tenant, User
from switchboard.tenancy.security import hash_password

_counter = itertools.count(1)
_PASSWORD_HASH = hash_password("secret")


class Factory:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings

    async def _add(self, obj: Any) -> Any:
        self.session.add(obj)
        await self.session.flush()
        return obj

    async def tenant(self, **fields: Any) -> Tenant:
        n = next(_counter)
        fields.setdefault("name", f"Company {n}")
        fields.setdefault("slug", f"company-{n}-{uuid.uuid4().hex[:6]}")
        fields.setdefault("timezone", "America/Chicago")
        return await self._add(Tenant(**fields))  # type: ignore[no-any-return]

    async def user(self, tenant: Tenant, role: Role = Role.manager, **fields: Any) -> User:
        n = next(_counter)
        fields.setdefault("email", f"user{n}-{uuid.uuid4().hex[:6]}@example.test")
        fields.setdefault("name", f"{role.value.title()} {n}")
        fields.setdefault("password_hash", _PASSWORD_HASH)
        return await self._add(User(tenant_id=tenant.id, role=role, **fields))  # type: ignore[no-any-return]

    async def contact(self, tenant: Tenant, phone: str | None = None, **fields: Any) -> ContactCard:
        n = next(_counter)
        fields.setdefault("first_name", "Pat")
        fields.setdefault("last_name", f"Customer{n}")
        contact = await self._add(ContactCard(tenant_id=tenant.id, **fields))
        number = phone or f"+1312555{n % 10000:04d}"
        await self._add(
            ContactPhone(tenant_id=tenant.id, contact_id=contact.id, number=number, is_primary=True)
        )
        return contact  # type: ignore[no-any-return]

    async def lead(self, tenant: Tenant, contact: ContactCard, **fields: Any) -> Lead:
        return await self._add(Lead(tenant_id=tenant.id, contact_id=contact.id, **fields))  # type: ignore[no-any-return]

    async def call(self, tenant: Tenant, contact: ContactCard | None = None, **fields: Any) -> Call:
        fields.setdefault("direction", CallDirection.inbound)
        fields.setdefault("started_at", utcnow() - timedelta(hours=1))
        contact_id = contact.id if contact else None
        return await self._add(Call(tenant_id=tenant.id, contact_id=contact_id, **fields))  # type: ignore[no-any-return]

    async def appointment(
        self, tenant: Tenant, contact: ContactCard, rep: User | None = None, **fields: Any
    ) -> Appointment:
        starts = fields.pop("starts_at", utcnow() + timedelta(days=1))
        fields.setdefault("ends_at", starts + timedelta(hours=1))
        return await self._add(  # type: ignore[no-any-return]
            Appointment(
                tenant_id=tenant.id,
                contact_id=contact.id,
                rep_id=rep.id if rep else None,
                starts_at=starts,
                **fields,
            )
        )

    async def shift(self, tenant: Tenant, rep: User, **fields: Any) -> RepShift:
        starts = fields.pop("starts_at", utcnow() + timedelta(hours=2))
        fields.setdefault("ends_at", starts + timedelta(hours=8))
        return await self._add(
            RepShift(tenant_id=tenant.id, rep_id=rep.id, starts_at=starts, **fields)
        )  # type: ignore[no-any-return]

    async def recording(self, tenant: Tenant, rep: User, **fields: Any) -> RecordingSession:
        fields.setdefault("started_at", utcnow() - timedelta(hours=3))
        return await self._add(RecordingSession(tenant_id=tenant.id, rep_id=rep.id, **fields))  # type: ignore[no-any-return]

    async def task(self, tenant: Tenant, **fields: Any) -> Task:
        fields.setdefault("title", f"Follow up {next(_counter)}")
        return await self._add(Task(tenant_id=tenant.id, **fields))  # type: ignore[no-any-return]

    async def channel(
        self, tenant: Tenant, address: str, kind: ChannelKind = ChannelKind.sms, **fields: Any
    ) -> ChannelAccount:
        return await self._add(
            ChannelAccount(tenant_id=tenant.id, kind=kind, address=address, **fields)
        )  # type: ignore[no-any-return]


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
