from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kit.errors import InvalidField
from switchboard.kit.repository import Repository
from switchboard.tenancy.models import (
    ChannelAccount,
    ChannelKind,
    Role,
    Tenant,
    User,
    channel_address,
)


class UserRepository(Repository[User]):
    model = User
    kind = "user"

    async def by_role(self, role: Role) -> list[User]:
        stmt = self.select().where(User.role == role, User.active.is_(True)).order_by(User.name)
        return list((await self.session.execute(stmt)).scalars())

    async def require_role(self, ident: uuid.UUID | None, field: str, *roles: Role) -> None:
        if ident is None:
            return
        user = await self.find(ident)
        if user is None or not user.active:
            raise InvalidField(field, f"no active user {ident} in this company")
        if roles and user.role not in roles:
            raise InvalidField(field, f"{user.name} is a {user.role}, not a {' or '.join(roles)}")

    async def everyone(self) -> list[User]:
        return list((await self.session.execute(self.select().order_by(User.name))).scalars())

    async def names_of(self, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not ids:
            return {}
        rows = await self.session.execute(self.select().where(User.id.in_(ids)))
        return {user.id: user.name for user in rows.scalars()}

    async def all_active(self) -> list[User]:
        stmt = self.select().where(User.active.is_(True)).order_by(User.name)
        return list((await self.session.execute(stmt)).scalars())

    async def active_managers_besides(self, user_id: uuid.UUID) -> int:
        """How many others can still run the company: active managers and admins."""
        stmt = self.select().where(
            User.id != user_id,
            User.active.is_(True),
            User.role.in_((Role.manager, Role.admin)),
        )
        return await self.count(stmt)


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    stmt = select(User).where(func.lower(User.email) == email.strip().lower())
    return (await session.execute(stmt)).scalars().first()


async def tenant_by_slug(session: AsyncSession, slug: str) -> Tenant | None:
    return (await session.execute(select(Tenant).where(Tenant.slug == slug))).scalars().first()


async def get_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    tenant = await session.get(Tenant, tenant_id)
    assert tenant is not None, "a user's tenant always exists"
    return tenant


class ChannelAccountRepository(Repository[ChannelAccount]):
    model = ChannelAccount
    kind = "channel account"

    async def everything(self) -> list[ChannelAccount]:
        stmt = self.select().order_by(ChannelAccount.address, ChannelAccount.kind)
        return list((await self.session.execute(stmt)).scalars())

    async def with_address(self, kind: ChannelKind, address: str) -> ChannelAccount | None:
        stmt = self.select().where(ChannelAccount.kind == kind, ChannelAccount.address == address)
        return (await self.session.execute(stmt)).scalars().first()

    async def number_elsewhere(self, number: str) -> bool:
        """Whether another tenant has `number` on any channel (an SMS to it is routed by the
        address alone). Not scoped, on purpose."""
        addresses = (number, channel_address(ChannelKind.whatsapp, number))
        return await self._elsewhere(ChannelAccount.address.in_(addresses))

    async def service_elsewhere(self, messaging_service_sid: str) -> bool:
        return await self._elsewhere(ChannelAccount.messaging_service_sid == messaging_service_sid)

    async def _elsewhere(self, condition: ColumnElement[bool]) -> bool:
        stmt = select(ChannelAccount.id).where(
            ChannelAccount.tenant_id != self.tenant_id, condition
        )
        return (await self.session.execute(stmt.limit(1))).scalar() is not None
