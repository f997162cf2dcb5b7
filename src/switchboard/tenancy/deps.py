"""Who is asking: the current user from a bearer token, and role checks, as `Annotated`
dependency aliases for endpoints."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.kit.deps import AppSettings, Session, get_db
from switchboard.kit.errors import Forbidden, Unauthorized
from switchboard.kit.logs import bind_log_context
from switchboard.tenancy.models import Role, User
from switchboard.tenancy.security import decode_access_token

_bearer = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


async def user_from_token(session: AsyncSession, token: str, settings: Settings) -> User:
    user_id, tenant_id = decode_access_token(token, settings.secret_key)
    user = await session.get(User, user_id)
    if user is None or not user.active or user.tenant_id != tenant_id:
        raise Unauthorized("user not found or inactive")
    bind_log_context(tenant_id=user.tenant_id, user_id=user.id)
    return user


async def get_current_user(
    session: Session, settings: AppSettings, token: Annotated[str | None, Depends(_bearer)]
) -> User:
    if not token:
        raise Unauthorized("missing bearer token")
    return await user_from_token(session, token, settings)


CurrentUser = Annotated[User, Depends(get_current_user)]


async def authenticate(db: Database, settings: Settings, token: str | None) -> User:
    """The token's user, read in a short transaction of its own, for callers that must not
    hold a database connection afterwards (a live socket, an MCP call, an assistant turn).
    Raises Unauthorized for a missing or bad token."""
    if not token:
        raise Unauthorized("missing bearer token")
    async with db.transaction() as session:
        return await user_from_token(session, token, settings)


async def get_current_user_detached(
    db: Annotated[Database, Depends(get_db)],
    settings: AppSettings,
    token: Annotated[str | None, Depends(_bearer)],
) -> User:
    """The current user, read in a transaction of its own that is over before the endpoint
    runs: for endpoints that commit in steps (an assistant turn) and must not hold the
    request's transaction, and SQLite's write lock with it, while a model answers."""
    return await authenticate(db, settings, token)


CurrentUserDetached = Annotated[User, Depends(get_current_user_detached)]


def require_role(*roles: Role) -> Callable[[User], Awaitable[User]]:
    """A dependency that passes the current user through if they hold one of `roles`."""

    async def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise Forbidden(f"this needs the role {' or '.join(roles)}")
        return user

    return check


StaffWriter = Annotated[User, Depends(require_role(Role.csr, Role.manager, Role.admin))]
Manager = Annotated[User, Depends(require_role(Role.manager, Role.admin))]
