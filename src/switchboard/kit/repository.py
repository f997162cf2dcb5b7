"""The generic async repository: tenant scoping, lookups that 404, and keyset pages."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from switchboard.kit.errors import InvalidField, NotFound
from switchboard.kit.models import TenantScoped
from switchboard.kit.pagination import PageParams, apply_keyset, split_page

M = TypeVar("M", bound=TenantScoped)


class Repository(Generic[M]):
    """Every query of a tenant-scoped table starts from `select()`, which already filters
    on the tenant, so a query that forgets tenant_id has to go out of its way."""

    model: ClassVar[type[Any]]
    kind: ClassVar[str]

    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def select(self) -> Select[M]:
        return select(self.model).where(self.model.tenant_id == self.tenant_id)

    def sort_columns(self) -> list[InstrumentedAttribute[Any]]:
        return [self.model.created_at, self.model.id]

    async def find(self, ident: uuid.UUID, stmt: Select[M] | None = None) -> M | None:
        stmt = (stmt if stmt is not None else self.select()).where(self.model.id == ident)
        return (await self.session.execute(stmt)).scalars().first()

    async def get(self, ident: uuid.UUID, stmt: Select[M] | None = None) -> M:
        found = await self.find(ident, stmt)
        if found is None:
            raise NotFound.of(self.kind, ident)
        return found

    async def among(self, ids: Iterable[uuid.UUID], stmt: Select[M]) -> dict[uuid.UUID, M]:
        """The rows of `stmt` among `ids`, by id, in one query."""
        wanted = set(ids)
        if not wanted:
            return {}
        rows = await self.session.execute(stmt.where(self.model.id.in_(wanted)))
        return {row.id: row for row in rows.scalars()}

    async def ids_among(self, ids: Iterable[uuid.UUID], stmt: Select[M]) -> set[uuid.UUID]:
        """Those of `ids` that `stmt` returns, fetching only the ids."""
        wanted = set(ids)
        if not wanted:
            return set()
        narrowed = stmt.with_only_columns(self.model.id).where(self.model.id.in_(wanted))
        return set((await self.session.execute(narrowed)).scalars())

    async def page(
        self, stmt: Select[M], params: PageParams, *, descending: bool = True
    ) -> tuple[list[M], str | None]:
        columns = self.sort_columns()
        rows = (
            (await self.session.execute(apply_keyset(stmt, columns, params, descending=descending)))
            .scalars()
            .all()
        )
        return split_page(list(rows), columns, params)

    async def count(self, stmt: Select[Any] | None = None) -> int:
        return await count_rows(self.session, stmt if stmt is not None else self.select())

    async def require(
        self, ident: uuid.UUID | None, field: str, within: Select[M] | None = None
    ) -> None:
        """A link in a payload must point at a row of this tenant (and of `within`, a scoped
        query, when given): else 422 naming the field."""
        if ident is None:
            return
        scope = within if within is not None else self.select()
        stmt = scope.with_only_columns(self.model.id).where(self.model.id == ident)
        if (await self.session.execute(stmt)).scalar() is None:
            raise InvalidField(field, f"no {self.kind} {ident} in this company")

    def add(self, obj: M) -> M:
        obj.tenant_id = self.tenant_id
        self.session.add(obj)
        return obj


async def count_rows(session: AsyncSession, stmt: Select[Any]) -> int:
    """How many rows `stmt` returns, counted by the database (its ORDER BY dropped)."""
    counted = select(func.count()).select_from(stmt.order_by(None).subquery())
    return (await session.execute(counted)).scalar_one()


def count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """How many of the group's rows meet `condition`: a SUM of CASE, the same on every database."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


S = TypeVar("S", bound=Select[Any])


def where_equal(stmt: S, *pairs: tuple[Any, Any]) -> S:
    """`column == value` for each (column, value) whose value was given: list filters."""
    for column, value in pairs:
        if value is not None:
            stmt = stmt.where(column == value)
    return stmt


def where_in_range(stmt: S, column: Any, start: Any = None, end: Any = None) -> S:
    """`start <= column < end`, each bound only when given."""
    if start is not None:
        stmt = stmt.where(column >= start)
    if end is not None:
        stmt = stmt.where(column < end)
    return stmt
