"""`Annotated` dependency aliases: the request's session, the current user, role checks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.kit.errors import Forbidden, Unauthorized
from switchboard.tenancy.models import Role, User
from switchboard.tenancy.security import decode_access_token

_bearer = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


# `async def` although they never await: FastAPI runs a plain `def` dependency in a worker
# thread, a hop that cost more than the rest of a cheap request.
async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_session(db: Annotated[Database, Depends(get_db)]) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the endpoint returns, rolled back on error."""
    async with db.transaction() as session:
        yield session


AppSettings = Annotated[Settings, Depends(get_settings_dep)]
# scope="function": commit before the response is sent, so a client that reads right after
# a write sees it, and a failed commit is an error response rather than a lost write.
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def user_from_token(session: AsyncSession, token: str, settings: Settings) -> User:
    user_id, tenant_id = decode_access_token(token, settings.secret_key)
    user = await session.get(User, user_id)
    if user is None or not user.active or user.tenant_id != tenant_id:
        raise Unauthorized("user not found or inactive")
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
