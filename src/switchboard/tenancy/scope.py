"""The base of every service that reads on a user's behalf: the tenant and the role's scope."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kit.errors import Forbidden
from switchboard.kit.models import TenantScoped
from switchboard.kit.pagination import PageParams
from switchboard.tenancy.models import Role, User
from switchboard.tenancy.repository import UserRepository

M = TypeVar("M", bound=TenantScoped)


class ScopedService(Generic[M]):
    """Reads through the repository, limited to what `user` may see."""

    repository: type[Any]

    def __init__(self, session: AsyncSession, user: User) -> None:
        self.session = session
        self.user = user
        self.repo: Any = self.repository(session, user.tenant_id)
        self.users = UserRepository(session, user.tenant_id)

    def visible(self) -> Select[M]:
        stmt: Select[M] = self.repo.visible_to(self.repo.select(), self.user)
        return stmt

    async def get(self, ident: uuid.UUID) -> M:
        found: M = await self.repo.get(ident, self.visible())
        return found

    async def many(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, M]:
        """The visible records among `ids`, by id, in one query."""
        wanted = set(ids)
        if not wanted:
            return {}
        rows = await self.session.execute(self.visible().where(self.repo.model.id.in_(wanted)))
        return {row.id: row for row in rows.scalars()}

    async def page(self, stmt: Select[M], params: PageParams) -> tuple[list[M], str | None]:
        result: tuple[list[M], str | None] = await self.repo.page(stmt, params)
        return result

    async def _stored(self, obj: M) -> M:
        """Flush, then read back through the scoped query (relationships loaded, fresh)."""
        await self.session.flush()
        stmt = self.visible().execution_options(populate_existing=True)
        found: M = await self.repo.get(obj.id, stmt)
        return found

    def _own_unless_staff(self, rep_id: uuid.UUID | None, field: str) -> None:
        """A rep may only create or move records onto themselves."""
        if self.user.role == Role.rep and rep_id is not None and rep_id != self.user.id:
            raise Forbidden(f"a rep can only set {field} to themselves")
