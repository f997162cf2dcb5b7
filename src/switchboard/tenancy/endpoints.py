from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from switchboard.kit.deps import AppSettings, CurrentUser, Session
from switchboard.kit.errors import UnsupportedMediaType
from switchboard.tenancy import service
from switchboard.tenancy.repository import get_tenant
from switchboard.tenancy.schemas import Me, TenantRead, Token, UserRead
from switchboard.tenancy.throttle import Throttle, client_address

router = APIRouter(prefix="/api", tags=["auth"])
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


@router.post("/auth/token", response_model=Token, dependencies=[Depends(require_form)])
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


@router.get("/me", response_model=Me)
async def me(user: CurrentUser, session: Session) -> Me:
    tenant = await get_tenant(session, user.tenant_id)
    return Me(
        **UserRead.model_validate(user).model_dump(), tenant=TenantRead.model_validate(tenant)
    )
