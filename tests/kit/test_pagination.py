"""Keyset cursors: they round-trip the sort values and refuse anything else."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from switchboard.kit.errors import InvalidField
from switchboard.kit.pagination import decode_cursor, decode_values, encode_values
from switchboard.tasks.models import Task


def test_cursor_round_trips_the_sort_columns() -> None:
    at = datetime(2026, 11, 21, 15, 0, 0, 123456, tzinfo=UTC)
    ident = uuid.uuid4()
    cursor = encode_values([at, ident])
    assert "=" not in cursor  # safe in a query string as is
    assert decode_cursor(cursor, [Task.created_at, Task.id]) == [at, ident]


def test_offsets_are_kept() -> None:
    at = datetime(2026, 11, 21, 10, 0, tzinfo=timezone(timedelta(hours=-5)))
    [decoded] = decode_values(encode_values([at]), [datetime])
    assert decoded == at and decoded.utcoffset() == timedelta(hours=-5)


@pytest.mark.parametrize(
    "values",
    [["2026-11-21T15:00:00", uuid.uuid4().hex], [1, 2], ["2026-11-21T15:00:00+00:00"], []],
)
def test_bad_cursors_are_invalid_query_fields(values: list[object]) -> None:
    with pytest.raises(InvalidField) as caught:
        decode_values(encode_values(values), [datetime, uuid.UUID])
    assert caught.value.to_dict()["detail"][0]["loc"] == ["query", "cursor"]
