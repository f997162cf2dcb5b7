"""The base of every service that acts on a user's behalf: the tenant, the role's scope, and
the checks behind docs/PERMISSIONS.md (who may create, change, reassign or close what)."""

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

# Who may take the actions docs/PERMISSIONS.md reserves: the office (everyone who sees the
# whole company) and the managers (admins manage too).
OFFICE = frozenset({Role.csr, Role.manager, Role.admin})
MANAGERS = frozenset({Role.manager, Role.admin})
_ROLE_NAMES = {Role.csr: "CSRs", Role.rep: "reps", Role.manager: "managers", Role.admin: "admins"}


def reads_whole_company(user: User) -> bool:
    """Whether `user` may read every record of their company (CSRs, managers, admins), or
    only their own scope (reps: what each repository's `visible_to` lets through)."""
    return user.role in OFFICE


def role_names(roles: frozenset[Role]) -> str:
    """`CSRs, managers and admins`: who an action is for, in the order of the Role enum."""
    names = [_ROLE_NAMES[role] for role in Role if role in roles]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class ScopedService(Generic[M]):
    """Reads through the repository, limited to what `user` may see; the `_allow` and
    `_require_visible` checks refuse what they may not do."""

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
        found: dict[uuid.UUID, M] = await self.repo.among(ids, self.visible())
        return found

    async def visible_ids(self, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Those of `ids` the user may read, by the same scoped query as every read, in one
        query that fetches only the ids."""
        found: set[uuid.UUID] = await self.repo.ids_among(ids, self.visible())
        return found

    async def page(self, stmt: Select[M], params: PageParams) -> tuple[list[M], str | None]:
        result: tuple[list[M], str | None] = await self.repo.page(stmt, params)
        return result

    async def _stored(self, obj: M) -> M:
        """Flush, then read back through the scoped query (relationships loaded, fresh)."""
        await self.session.flush()
        stmt = self.visible().execution_options(populate_existing=True)
        found: M = await self.repo.get(obj.id, stmt)
        return found

    @property
    def is_rep(self) -> bool:
        return self.user.role == Role.rep

    def _allow(self, roles: frozenset[Role], action: str, **detail: Any) -> None:
        """Refuse (403, saying who may) an action only `roles` may take."""
        if self.user.role not in roles:
            raise Forbidden(f"only {role_names(roles)} may {action}", **detail)

    def _own_unless_staff(self, rep_id: uuid.UUID | None, field: str) -> None:
        """A rep may only create records for themselves and never hand one to someone else
        (nor leave it with nobody, which would drop it from their own scope)."""
        if self.is_rep and rep_id != self.user.id:
            raise Forbidden(f"a rep can only set {field} to themselves", field=field)

    async def _check_rep(self, rep_id: uuid.UUID | None, field: str, *roles: Role) -> None:
        """The user a record is for must be an active user of `roles` (422 naming the field)
        and, when a rep acts, themselves (403)."""
        await self.users.require_role(rep_id, field, *roles)
        self._own_unless_staff(rep_id, field)

    async def _require_visible(
        self, service: type[ScopedService[Any]], ident: uuid.UUID | None, field: str
    ) -> None:
        """A link in a payload must point at a record the user may see. One they may not is
        refused exactly as one that does not exist (422 naming the field), so linking can
        neither widen a rep's scope nor tell them what lies outside it."""
        other = service(self.session, self.user)
        await other.repo.require(ident, field, other.visible())
