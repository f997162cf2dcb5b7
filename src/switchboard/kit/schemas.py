"""Base Pydantic schemas shared by every domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, ClassVar

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    ValidationInfo,
    field_validator,
)

__all__ = ["AwareDatetime", "RecordRead", "Schema", "UpdateSchema", "apply_changes"]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, str_strip_whitespace=True)


class RecordRead(Schema):
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime


class UpdateSchema(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    # Fields a PATCH may change but never clear: an explicit null for one is a 422 on it.
    not_null: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*")
    @classmethod
    def _refuse_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name in cls.not_null:
            raise ValueError("may not be null")
        return value

    def changes(self) -> dict[str, Any]:
        """Only the fields the client sent; an explicit null clears a field."""
        return self.model_dump(exclude_unset=True)


def apply_changes(obj: object, changes: dict[str, Any]) -> None:
    for field, value in changes.items():
        setattr(obj, field, value)


def _valid_email(value: str) -> str:
    # `.test` addresses are allowed: the demo companies and test fixtures use them.
    try:
        return validate_email(value, check_deliverability=False, test_environment=True).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid email address: {exc}") from exc


Email = Annotated[str, AfterValidator(_valid_email)]
