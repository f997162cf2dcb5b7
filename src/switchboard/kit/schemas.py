"""Base Pydantic schemas shared by every domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

__all__ = ["AwareDatetime", "RecordRead", "Schema", "UpdateSchema", "apply_changes"]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, str_strip_whitespace=True)


class RecordRead(Schema):
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime


class UpdateSchema(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    def changes(self) -> dict[str, Any]:
        """Only the fields the client sent; an explicit null clears a field."""
        return self.model_dump(exclude_unset=True)


def apply_changes(obj: object, changes: dict[str, Any]) -> None:
    for field, value in changes.items():
        setattr(obj, field, value)
