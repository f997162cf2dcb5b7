from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kit.errors import InvalidField
from switchboard.kit.repository import Repository
from switchboard.tenancy.models import ChannelAccount, Role, Tenant, User


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

    async def all_active(self) -> list[User]:
        stmt = self.select().where(User.active.is_(True)).order_by(User.name)
        return list((await self.session.execute(stmt)).scalars())


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
