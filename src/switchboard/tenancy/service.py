"""Login, and setting up a company: the tenant, its team and the numbers routed to it."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.config import Settings
from switchboard.kit.errors import Conflict, Forbidden, Unauthorized
from switchboard.kit.events import Event, emit
from switchboard.kit.jobs import enqueue
from switchboard.kit.models import Base
from switchboard.kit.pagination import PageParams
from switchboard.kit.schemas import apply_changes
from switchboard.tenancy import repository
from switchboard.tenancy.models import WEEKDAYS, ChannelAccount, ChannelKind, Role, Tenant, User
from switchboard.tenancy.repository import ChannelAccountRepository, UserRepository
from switchboard.tenancy.schemas import (
    ChannelCreate,
    ChannelUpdate,
    TenantCreate,
    TenantUpdate,
    Token,
    UserCreate,
    UserUpdate,
)
from switchboard.tenancy.security import create_access_token, hash_password, verify_password
from switchboard.tenancy.throttle import LoginThrottle

# Raised when a person's role or active flag changes: that person's live sockets close, so
# a deactivated user is signed out there too and a new role is read on reconnecting.
USER_UPDATED = "user.updated"
MANAGING_ROLES = (Role.manager, Role.admin)
# Plans the company's pending appointment texts again once a new time zone commits (their
# quiet hours are the company's local time); the handler lives in appointment_texts/jobs.py.
RETIME_APPOINTMENT_TEXTS_JOB = "appointment_texts.retime"
KIND_NAMES = {ChannelKind.sms: "SMS", ChannelKind.whatsapp: "WhatsApp", ChannelKind.voice: "Voice"}

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


# The read interface other domains use: they never import this domain's repository.


async def get_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    """The company with `tenant_id`, which always exists for a signed-in user or a job."""
    return await repository.get_tenant(session, tenant_id)


async def tenant_by_slug(session: AsyncSession, slug: str) -> Tenant | None:
    return await repository.tenant_by_slug(session, slug)


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    """The user with `email`, in any company (emails are unique across the house)."""
    return await repository.user_by_email(session, email)


async def find_user(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
    """The staff member `user_id` of company `tenant_id`, active or not; None elsewhere."""
    return await UserRepository(session, tenant_id).find(user_id)


async def active_staff(session: AsyncSession, tenant_id: uuid.UUID) -> list[User]:
    """The active staff of company `tenant_id`, by name."""
    return await UserRepository(session, tenant_id).all_active()


async def names_of(
    session: AsyncSession, tenant_id: uuid.UUID, ids: set[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The names of the staff members `ids` of company `tenant_id`, by id."""
    return await UserRepository(session, tenant_id).names_of(ids)


async def tenant_of(session: AsyncSession, user: User) -> Tenant:
    """The company `user` works for."""
    return await get_tenant(session, user.tenant_id)


async def team(session: AsyncSession, user: User) -> list[User]:
    """The active staff of `user`'s company, by name: who a task can go to."""
    return await active_staff(session, user.tenant_id)


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


async def _insert(session: AsyncSession, row: Base, conflict: str) -> None:
    """Add and flush `row` in a savepoint: a unique constraint that a concurrent request
    won meanwhile is a Conflict saying why, and leaves the transaction usable."""
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(conflict) from exc


async def create_tenant(session: AsyncSession, data: TenantCreate) -> Tenant:
    taken = f"a company with the slug {data.slug!r} already exists"
    if await tenant_by_slug(session, data.slug) is not None:
        raise Conflict(taken)
    tenant = Tenant(name=data.name, slug=data.slug, timezone=data.timezone)
    await _insert(session, tenant, taken)
    return tenant


async def create_user(session: AsyncSession, tenant: Tenant, data: UserCreate) -> User:
    """Emails are unique across companies: an email signs in to one company."""
    taken = f"a user with email {data.email} already exists"
    if await user_by_email(session, data.email) is not None:
        raise Conflict(taken)
    user = User(
        tenant_id=tenant.id,
        email=data.email.lower(),
        name=data.name,
        role=data.role,
        phone=data.phone,
        password_hash=hash_password(data.password),
    )
    await _insert(session, user, taken)
    return user


async def add_channel(
    session: AsyncSession, tenant_id: uuid.UUID, data: ChannelCreate
) -> ChannelAccount:
    """Route a Twilio number to the company. A number belongs to one company only, on every
    channel: an inbound text is routed by the number it was sent to, whatever its kind."""
    accounts = ChannelAccountRepository(session, tenant_id)
    if await accounts.with_address(data.kind, data.address) is not None:
        raise Conflict(f"{data.address} is already this company's {KIND_NAMES[data.kind]} number")
    elsewhere = f"{data.number} belongs to another company; a number routes to one company only"
    if await accounts.number_elsewhere(data.number):
        raise Conflict(elsewhere)
    sid = data.messaging_service_sid
    if sid and await accounts.service_elsewhere(sid):
        raise Conflict(f"the messaging service {sid} belongs to another company")
    account = ChannelAccount(
        tenant_id=tenant_id,
        provider="twilio",
        kind=data.kind,
        address=data.address,
        label=data.label,
        messaging_service_sid=data.messaging_service_sid,
    )
    await _insert(session, account, elsewhere)
    return account


class CompanyService:
    """What a manager or admin sets up for their own company: its settings, its team and
    its numbers. The rules live here, for the JSON API and the web app alike."""

    def __init__(self, session: AsyncSession, user: User) -> None:
        if user.role not in MANAGING_ROLES:
            raise Forbidden("setting up the company needs the role manager or admin")
        self.session = session
        self.user = user
        self.users = UserRepository(session, user.tenant_id)
        self.accounts = ChannelAccountRepository(session, user.tenant_id)

    # --- the company ---------------------------------------------------------------------

    async def company(self) -> Tenant:
        return await get_tenant(self.session, self.user.tenant_id)

    async def update_company(self, data: TenantUpdate) -> Tenant:
        tenant = await self.company()
        changes = data.changes()
        if "business_hours" in changes:
            merged = {**(tenant.business_hours or {}), **changes["business_hours"]}
            changes["business_hours"] = {day: merged.get(day) for day in WEEKDAYS}
        moved_zone = changes.get("timezone", tenant.timezone) != tenant.timezone
        apply_changes(tenant, changes)
        await self.session.flush()
        if moved_zone:
            payload = {"tenant_id": str(tenant.id)}
            enqueue(self.session, RETIME_APPOINTMENT_TEXTS_JOB, payload, tenant_id=tenant.id)
        return tenant

    # --- the team ------------------------------------------------------------------------

    async def team(self) -> list[User]:
        """Everyone, deactivated people included, by name."""
        return await self.users.everyone()

    async def team_page(self, params: PageParams) -> tuple[list[User], str | None]:
        page: tuple[list[User], str | None] = await self.users.page(self.users.select(), params)
        return page

    async def member(self, user_id: uuid.UUID) -> User:
        member: User = await self.users.get(user_id)
        return member

    async def add_member(self, data: UserCreate) -> User:
        self._may_grant(data.role)
        return await create_user(self.session, await self.company(), data)

    async def update_member(self, user_id: uuid.UUID, data: UserUpdate) -> User:
        member = await self.member(user_id)
        changes = data.changes()
        role, active = changes.get("role", member.role), changes.get("active", member.active)
        if member.role == Role.admin and self.user.role != Role.admin:
            raise Forbidden("only an admin can change an admin")
        if role != member.role:
            self._may_grant(role)
        if member.id == self.user.id and not active:
            raise Conflict("you cannot deactivate yourself; another manager or admin can")
        runs_company = member.active and member.role in MANAGING_ROLES
        stops = runs_company and (not active or role not in MANAGING_ROLES)
        if stops and not await self.users.active_managers_besides(member.id):
            raise Conflict(
                f"{member.name} is the company's last active manager or admin; "
                "make someone else one first"
            )
        changed = (role, active) != (member.role, member.active)
        apply_changes(member, changes)
        await self.session.flush()
        if changed:
            facts = {"user_id": str(member.id), "role": member.role, "active": member.active}
            emit(self.session, Event(USER_UPDATED, member.tenant_id, facts))
        return member

    def _may_grant(self, role: Role) -> None:
        if role == Role.admin and self.user.role != Role.admin:
            raise Forbidden("only an admin can make someone an admin")

    # --- the numbers ---------------------------------------------------------------------

    async def numbers(self) -> list[ChannelAccount]:
        return await self.accounts.everything()

    async def numbers_page(self, params: PageParams) -> tuple[list[ChannelAccount], str | None]:
        stmt = self.accounts.select()
        page: tuple[list[ChannelAccount], str | None] = await self.accounts.page(stmt, params)
        return page

    async def number(self, account_id: uuid.UUID) -> ChannelAccount:
        account: ChannelAccount = await self.accounts.get(account_id)
        return account

    async def add_number(self, data: ChannelCreate) -> ChannelAccount:
        return await add_channel(self.session, self.user.tenant_id, data)

    async def relabel_number(self, account_id: uuid.UUID, data: ChannelUpdate) -> ChannelAccount:
        account = await self.number(account_id)
        apply_changes(account, data.changes())
        await self.session.flush()
        return account

    async def remove_number(self, account_id: uuid.UUID) -> None:
        """Texts to it stop reaching the company at once; its conversations stay."""
        await self.session.delete(await self.number(account_id))
        await self.session.flush()
