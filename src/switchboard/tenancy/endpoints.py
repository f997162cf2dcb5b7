from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from switchboard.kit.deps import AppSettings, Session
from switchboard.kit.errors import UnsupportedMediaType
from switchboard.kit.pagination import Page, Paging, to_page
from switchboard.tenancy import service
from switchboard.tenancy.deps import CurrentUser, Manager
from switchboard.tenancy.repository import get_tenant
from switchboard.tenancy.schemas import (
    ChannelCreate,
    ChannelRead,
    ChannelUpdate,
    Me,
    TenantRead,
    TenantSettingsRead,
    TenantUpdate,
    Token,
    UserCreate,
    UserRead,
    UserUpdate,
)
from switchboard.tenancy.service import CompanyService
from switchboard.tenancy.throttle import Throttle, client_address

router = APIRouter(prefix="/api")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def require_form(request: Request) -> None:
    """OAuth2's token request is a form. A JSON body would otherwise meet FastAPI's bare
    "field required" list; say what to send instead, in the shape of every other error."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in FORM_TYPES:
        raise UnsupportedMediaType(
            f"send the sign-in as a form (application/x-www-form-urlencoded) with the fields "
            f"username and password, not {content_type}"
        )


@router.post(
    "/auth/token", response_model=Token, tags=["auth"], dependencies=[Depends(require_form)]
)
async def issue_token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: Session,
    settings: AppSettings,
    throttle: Throttle,
) -> Token:
    return await service.login(
        session,
        settings,
        form.username,
        form.password,
        throttle=throttle,
        client_address=client_address(request),
    )


@router.get("/me", response_model=Me, tags=["auth"])
async def me(user: CurrentUser, session: Session) -> Me:
    tenant = await get_tenant(session, user.tenant_id)
    return Me(
        **UserRead.model_validate(user).model_dump(), tenant=TenantRead.model_validate(tenant)
    )


# --- setting up the company (managers and admins) -------------------------------------------

company = APIRouter(tags=["company"])


@company.get("/tenant", response_model=TenantSettingsRead)
async def get_company(user: Manager, session: Session) -> TenantSettingsRead:
    return TenantSettingsRead.model_validate(await CompanyService(session, user).company())


@company.patch("/tenant", response_model=TenantSettingsRead)
async def update_company(data: TenantUpdate, user: Manager, session: Session) -> TenantSettingsRead:
    tenant = await CompanyService(session, user).update_company(data)
    return TenantSettingsRead.model_validate(tenant)


@company.get("/users", response_model=Page[UserRead])
async def list_users(user: Manager, session: Session, paging: Paging) -> Page[UserRead]:
    return to_page(UserRead, *await CompanyService(session, user).team_page(paging))


@company.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED)
async def create_user(data: UserCreate, user: Manager, session: Session) -> UserRead:
    return UserRead.model_validate(await CompanyService(session, user).add_member(data))


@company.get("/users/{user_id}", response_model=UserRead)
async def get_user(user_id: uuid.UUID, user: Manager, session: Session) -> UserRead:
    return UserRead.model_validate(await CompanyService(session, user).member(user_id))


@company.patch("/users/{user_id}", response_model=UserRead)
async def update_user(
    user_id: uuid.UUID, data: UserUpdate, user: Manager, session: Session
) -> UserRead:
    member = await CompanyService(session, user).update_member(user_id, data)
    return UserRead.model_validate(member)


@company.get("/channels", response_model=Page[ChannelRead])
async def list_channels(user: Manager, session: Session, paging: Paging) -> Page[ChannelRead]:
    return to_page(ChannelRead, *await CompanyService(session, user).numbers_page(paging))


@company.post("/channels", response_model=ChannelRead, status_code=status.HTTP_201_CREATED)
async def add_channel(data: ChannelCreate, user: Manager, session: Session) -> ChannelRead:
    return ChannelRead.model_validate(await CompanyService(session, user).add_number(data))


@company.get("/channels/{channel_id}", response_model=ChannelRead)
async def get_channel(channel_id: uuid.UUID, user: Manager, session: Session) -> ChannelRead:
    return ChannelRead.model_validate(await CompanyService(session, user).number(channel_id))


@company.patch("/channels/{channel_id}", response_model=ChannelRead)
async def relabel_channel(
    channel_id: uuid.UUID, data: ChannelUpdate, user: Manager, session: Session
) -> ChannelRead:
    account = await CompanyService(session, user).relabel_number(channel_id, data)
    return ChannelRead.model_validate(account)


@company.delete("/channels/{channel_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_channel(channel_id: uuid.UUID, user: Manager, session: Session) -> Response:
    await CompanyService(session, user).remove_number(channel_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


router.include_router(company)
