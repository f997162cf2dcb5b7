"""Keyset pagination: opaque cursors over a fixed sort, so page 1,000 costs what page 1 does."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from switchboard.kit.errors import InvalidField
from switchboard.kit.schemas import Str

T = TypeVar("T")

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


@dataclass(frozen=True)
class PageParams:
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


S = TypeVar("S", bound=BaseModel)


def to_page(schema: type[S], rows: list[Any], next_cursor: str | None) -> Page[S]:
    return Page[schema](  # type: ignore[valid-type]
        items=[schema.model_validate(row, from_attributes=True) for row in rows],
        next_cursor=next_cursor,
    )


async def page_params(  # async: FastAPI would run a plain def in a worker thread
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[Str | None, Query(max_length=500)] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


Paging = Annotated[PageParams, Depends(page_params)]


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return value.hex
    return value


def _decode_value(python_type: type, raw: Any) -> Any:
    if python_type is datetime:
        value = datetime.fromisoformat(raw)
        if value.tzinfo is None:
            raise ValueError("a cursor's times carry their offset")
        return value
    if python_type is uuid.UUID:
        return uuid.UUID(raw)
    return python_type(raw)


def encode_values(values: list[Any]) -> str:
    raw = json.dumps([_encode_value(value) for value in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_values(cursor: str, types: list[type]) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = json.loads(base64.urlsafe_b64decode(padded))
        if not isinstance(raw, list) or len(raw) != len(types):
            raise ValueError
        return [_decode_value(kind, value) for kind, value in zip(types, raw, strict=True)]
    except (ValueError, TypeError, AttributeError) as exc:
        raise InvalidField(
            "cursor", "cursor is not one this list returned", location="query"
        ) from exc


def encode_cursor(row: Any, columns: list[InstrumentedAttribute[Any]]) -> str:
    return encode_values([getattr(row, column.key) for column in columns])


def decode_cursor(cursor: str, columns: list[InstrumentedAttribute[Any]]) -> list[Any]:
    return decode_values(cursor, [column.type.python_type for column in columns])


def apply_keyset(
    stmt: Select[Any],
    columns: list[InstrumentedAttribute[Any]],
    params: PageParams,
    *,
    descending: bool = True,
) -> Select[Any]:
    """Order by `columns` and start after the cursor; fetches one extra row to see if more follow."""
    if params.cursor:
        values = decode_cursor(params.cursor, columns)
        key = tuple_(*columns)
        stmt = stmt.where(key < tuple_(*values) if descending else key > tuple_(*values))
    order = [column.desc() if descending else column.asc() for column in columns]
    return stmt.order_by(*order).limit(params.limit + 1)


def split_page(
    rows: list[Any], columns: list[InstrumentedAttribute[Any]], params: PageParams
) -> tuple[list[Any], str | None]:
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    return rows, encode_cursor(rows[-1], columns)
