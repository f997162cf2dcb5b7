from __future__ import annotations

import uuid

from pydantic import Field

from switchboard.kit import limits
from switchboard.kit.phone import PhoneNumber
from switchboard.kit.schemas import Email, RecordRead, Schema, Str
from switchboard.tenancy.models import Role


class Token(Schema):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class TenantRead(Schema):
    id: uuid.UUID
    name: str
    slug: str
    timezone: str


class UserRead(RecordRead):
    tenant_id: uuid.UUID
    email: str
    name: str
    role: Role
    phone: str | None
    active: bool


class Me(UserRead):
    tenant: TenantRead


class UserCreate(Schema):
    email: Email
    name: Str = Field(min_length=1, max_length=limits.TITLE)
    role: Role
    password: Str = Field(min_length=4, max_length=limits.PASSWORD)
    phone: PhoneNumber | None = None
