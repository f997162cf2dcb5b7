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

__all__ = [
    "AwareDatetime",
    "JSONObject",
    "RecordRead",
    "Schema",
    "Str",
    "UpdateSchema",
    "apply_changes",
]


def _refuse_nul(value: Any) -> Any:
    """PostgreSQL cannot store a NUL character, in text or in JSON; SQLite could. Refused
    before anything is written, so both databases answer alike: a 422 naming the field."""
    if _holds_nul(value):
        raise ValueError("may not contain a NUL character (U+0000)")
    return value


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_nul(item) for item in value)
    return False


Str = Annotated[str, AfterValidator(_refuse_nul)]
"""The string every input takes (schemas, query parameters, tool arguments): any text but
a NUL character. Lengths stay with each field, from kit/limits.py."""

JSONObject = Annotated[dict[str, Any], AfterValidator(_refuse_nul)]
"""A free-form JSON object as input: no NUL character in any key or string within."""


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
