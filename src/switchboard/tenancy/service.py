"""Login and user management."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.config import Settings
from switchboard.kit.errors import Conflict, Unauthorized
from switchboard.tenancy.models import Tenant, User
from switchboard.tenancy.repository import UserRepository, get_tenant, user_by_email
from switchboard.tenancy.schemas import Token, UserCreate
from switchboard.tenancy.security import create_access_token, hash_password, verify_password
from switchboard.tenancy.throttle import LoginThrottle

# Checked against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = hash_password("not-a-real-password")


async def login(
    session: AsyncSession,
    settings: Settings,
    email: str,
    password: str,
    *,
    throttle: LoginThrottle,
    client_address: str,
) -> Token:
    """A token for the right email and password. Every caller that signs people in passes the
    app's throttle and the client's address: after too many failures from that address, or
    on that account, it raises RateLimited without looking at the password."""
    account = email.strip().lower()
    user = await user_by_email(session, account)
    # Checked right before the password, with no wait in between, so a burst of parallel
    # guesses cannot all pass the check before the first failure is counted.
    await throttle.check(account, client_address)
    if user is None:
        verify_password(password, _DUMMY_HASH)
    if user is None or not user.active or not verify_password(password, user.password_hash):
        await throttle.failed(account, client_address)
        raise Unauthorized("wrong email or password")
    return Token(
        access_token=issue_token(settings, user), expires_in=settings.access_token_minutes * 60
    )


async def tenant_of(session: AsyncSession, user: User) -> Tenant:
    """The company `user` works for."""
    return await get_tenant(session, user.tenant_id)


async def team(session: AsyncSession, user: User) -> list[User]:
    """The active staff of `user`'s company, by name: who a task can go to."""
    return await UserRepository(session, user.tenant_id).all_active()


async def staff_names(session: AsyncSession, user: User) -> dict[uuid.UUID, str]:
    """Every staff member's name by id, deactivated ones included: who wrote or made what."""
    return {
        member.id: member.name
        for member in await UserRepository(session, user.tenant_id).everyone()
    }


def issue_token(settings: Settings, user: User) -> str:
    return create_access_token(
        user_id=user.id,
        tenant_id=user.tenant_id,
        role=user.role,
        secret=settings.secret_key,
        minutes=settings.access_token_minutes,
    )


async def create_user(session: AsyncSession, tenant: Tenant, data: UserCreate) -> User:
    if await user_by_email(session, data.email) is not None:
        raise Conflict(f"a user with email {data.email} already exists")
    user = User(
        tenant_id=tenant.id,
        email=data.email.lower(),
        name=data.name,
        role=data.role,
        phone=data.phone,
        password_hash=hash_password(data.password),
    )
    session.add(user)
    await session.flush()
    return user
