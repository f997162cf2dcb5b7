"""What a constraint the database refused says, read from the driver's own error: which
kind of constraint (unique, foreign key, not null) and which columns, on asyncpg and on
SQLite alike, so the API can answer 409 or 422 naming the field instead of guessing."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, ForeignKeyConstraint, Table, UniqueConstraint, text
from sqlalchemy.exc import IntegrityError

from switchboard.kit.models import Base

if TYPE_CHECKING:  # kit.db reports its own errors through kit.errors, which imports this
    from switchboard.kit.db import Database

# PostgreSQL's SQLSTATEs and SQLite's extended result codes for the same violations.
_PG_KINDS = {"23505": "unique", "23503": "foreign_key", "23502": "not_null"}
_SQLITE_KINDS = {
    "SQLITE_CONSTRAINT_UNIQUE": "unique",
    "SQLITE_CONSTRAINT_PRIMARYKEY": "unique",
    "SQLITE_CONSTRAINT_FOREIGNKEY": "foreign_key",
    "SQLITE_CONSTRAINT_NOTNULL": "not_null",
}
# Every row has one; naming it would tell a client nothing.
_IMPLIED = frozenset({"tenant_id"})
# PostgreSQL's detail, "Key (tenant_id, number)=(...) already exists.": a fallback only,
# the server may print it in another language.
_PG_KEY = re.compile(r"\((?P<columns>[^)]*)\)=")
# SQLite's message, "UNIQUE constraint failed: contact_phones.tenant_id, contact_phones.number".
_SQLITE_COLUMNS = re.compile(r"constraint failed: (?P<columns>.+)$")
_STATEMENT_TABLE = re.compile(
    r"^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE)\s+\"?(?P<table>\w+)\"?", re.IGNORECASE
)
_INSERT_COLUMNS = re.compile(r"^[^(]*\((?P<columns>[^)]*)\)\s*VALUES\s*\(", re.IGNORECASE)
_ASSIGNMENT = re.compile(r"\b(?P<column>\w+)=\?")


class ViolationKind(StrEnum):
    unique = "unique"
    foreign_key = "foreign_key"
    not_null = "not_null"
    other = "other"


@dataclass(frozen=True)
class Violation:
    kind: ViolationKind
    table: str | None = None
    columns: tuple[str, ...] = ()  # the constraint's columns, tenant_id left out
    referred: str | None = None  # foreign key: the table it points into
    deleting: bool = False  # foreign key: a row others still point at was deleted


async def violation_of(exc: IntegrityError, db: Database | None = None) -> Violation:
    """The violation `exc` reports. SQLite does not say which foreign key failed: the
    failed statement's links are looked up in `db` (the transaction is gone by then) to
    find the one that points at nothing."""
    driver = exc.driver_exception
    deleting = (exc.statement or "").lstrip()[:6].upper() == "DELETE"
    sqlstate = getattr(driver, "sqlstate", None)
    if sqlstate is not None:
        kind = ViolationKind(_PG_KINDS.get(sqlstate, "other"))
        return _postgres(kind, driver, deleting)
    kind = ViolationKind(_SQLITE_KINDS.get(getattr(driver, "sqlite_errorname", ""), "other"))
    if kind == ViolationKind.foreign_key:
        return await _sqlite_foreign_key(exc, db, deleting)
    match = _SQLITE_COLUMNS.search(str(driver))
    if match is None:
        return Violation(kind)
    qualified = [name.strip().split(".") for name in match["columns"].split(",")]
    table = qualified[0][0] if len(qualified[0]) == 2 else None
    return Violation(kind, table, _named(part[-1] for part in qualified))


def _postgres(kind: ViolationKind, driver: Any, deleting: bool) -> Violation:
    table_name: str | None = getattr(driver, "table_name", None)
    table = Base.metadata.tables.get(table_name or "")
    if kind == ViolationKind.not_null:
        return Violation(kind, table_name, _named([getattr(driver, "column_name", None) or ""]))
    constraint = getattr(driver, "constraint_name", None)
    known = next(_constraints(table, constraint), None) if table is not None else None
    if known is not None:
        columns, referred = known
        return Violation(kind, table_name, _named(columns), referred, deleting)
    match = _PG_KEY.search(getattr(driver, "detail", None) or "")
    named = _named(match["columns"].split(",")) if match else ()
    return Violation(kind, table_name, named, deleting=deleting)


def _constraints(table: Table, name: str | None) -> Iterator[tuple[list[str], str | None]]:
    """The columns (and the referred table) of `table`'s constraint or unique index `name`."""
    for constraint in table.constraints:
        if constraint.name == name and isinstance(constraint, ForeignKeyConstraint):
            yield [column.name for column in constraint.columns], constraint.referred_table.name
        elif constraint.name == name and isinstance(constraint, UniqueConstraint):
            yield [column.name for column in constraint.columns], None
    for index in table.indexes:
        if index.name == name:
            yield [column.name for column in index.columns], None


async def _sqlite_foreign_key(
    exc: IntegrityError, db: Database | None, deleting: bool
) -> Violation:
    statement = exc.statement or ""
    match = _STATEMENT_TABLE.match(statement)
    table = Base.metadata.tables.get(match["table"]) if match else None
    if table is None or deleting:
        return Violation(ViolationKind.foreign_key, deleting=deleting)
    links = [
        (column, value)
        for column, value in _bound_links(table, statement, exc.params)
        if column.name not in _IMPLIED and value is not None
    ]
    for column, value in links:
        if db is None or len(links) == 1 or not await _exists(db, column, value):
            target = next(iter(column.foreign_keys)).column.table.name
            return Violation(ViolationKind.foreign_key, table.name, (column.name,), target)
    return Violation(ViolationKind.foreign_key, table.name)


def _bound_links(table: Table, statement: str, params: Any) -> Iterator[tuple[Column[Any], Any]]:
    """(column, value) for each foreign-key column the failed statement bound a value to:
    an INSERT's column list (every row of an executemany), an UPDATE's `column=?`."""
    inserted = _INSERT_COLUMNS.match(statement)
    if inserted is not None:
        positions = list(enumerate(name.strip(' "') for name in inserted["columns"].split(",")))
    else:
        positions = [
            (statement.count("?", 0, assignment.start()), assignment["column"])
            for assignment in _ASSIGNMENT.finditer(statement)
        ]
    rows: Sequence[Any] = params if params and isinstance(params[0], list | tuple) else [params]
    for row in rows:
        for index, name in positions:
            column = table.c.get(name)
            if column is not None and column.foreign_keys and index < len(row or ()):
                yield column, row[index]


async def _exists(db: Database, column: Column[Any], value: Any) -> bool:
    """Whether the row a link points at is there (names from the metadata, never input)."""
    target = next(iter(column.foreign_keys)).column
    stmt = text(f'SELECT 1 FROM "{target.table.name}" WHERE "{target.name}" = :value')
    async with db.sessionmaker() as session:
        return (await session.execute(stmt, {"value": value})).first() is not None


def _named(columns: Any) -> tuple[str, ...]:
    names = (str(column).strip().strip('"') for column in columns)
    return tuple(name for name in names if name and name not in _IMPLIED)
