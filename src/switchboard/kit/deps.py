"""`Annotated` dependency aliases for the plumbing: the app's settings, its database, the
request's session. Who is asking (the current user, role checks) lives in `tenancy.deps`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.config import Settings
from switchboard.kit.db import Database


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
