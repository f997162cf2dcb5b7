"""Many rows in one statement whose text does not depend on how many there are.

SQLAlchemy sends a list of rows as one multi-row VALUES statement or an executemany, so
every batch size is a new statement for PostgreSQL to parse and plan, or every row is a
statement of its own to execute, and every row is a new set of parameters to process. On
PostgreSQL rows can instead travel as one array per column, unpacked by unnest(): one
prepared statement for every batch size, executed once, one parameter per column. SQLite,
in process, has no round trips or plans to save: it gets the plain executemany."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Table, Text, bindparam, cast, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import Select
from sqlalchemy.sql.selectable import TableValuedAlias
from sqlalchemy.types import TypeEngine

Columns = Sequence[tuple[str, TypeEngine[Any]]]


def unnest(name: str, columns: Columns, prefix: str = "") -> TableValuedAlias:
    """unnest(:column1, :column2, ...) AS name(column1, column2, ...): a FROM of rows whose
    columns are bound as one array each, named after the column (after `prefix`)."""
    arrays = [bindparam(prefix + column, type_=postgresql.ARRAY(kind)) for column, kind in columns]
    return (
        func.unnest(*arrays)
        .table_valued(*(column for column, _kind in columns))
        .render_derived(name=name)
    )


def unnest_rows(table: Table, columns: Sequence[str], prefix: str = "") -> Select[Any]:
    """Rows for `columns` of `table` (for INSERT ... SELECT), bound by `as_arrays`. JSON
    documents travel as text and are cast back: an array of JSON lists would read as a
    nested array."""
    documents = _json_columns(table)
    rows = unnest(
        "rows",
        [(name, Text() if name in documents else table.c[name].type) for name in columns],
        prefix,
    )
    return select(
        *(
            cast(rows.c[name], table.c[name].type) if name in documents else rows.c[name]
            for name in columns
        )
    )


def as_arrays(
    table: Table, rows: Sequence[dict[str, Any]], columns: Sequence[str], prefix: str = ""
) -> dict[str, list[Any]]:
    """The parameters of `unnest_rows`: one list per column, in row order."""
    documents = _json_columns(table)
    return {
        prefix + name: [json.dumps(row[name]) for row in rows]
        if name in documents
        else [row[name] for row in rows]
        for name in columns
    }


@functools.cache
def _json_columns(table: Table) -> frozenset[str]:
    return frozenset(column.name for column in table.c if isinstance(column.type, JSON))
