"""Numbers per local day over a dashboard's period, counted by the database: calls by outcome,
leads, texts, and how staff use the assistant. One GROUP BY per series, however many rows.

A row's local day is worked out in SQL without converting every row's time. PostgreSQL
finds it among the period's local midnights (`width_bucket` over an array of them: a binary
search per row, exact across daylight saving). SQLite, which has neither arrays nor time
zones, adds the zone's UTC offset at that instant to it: the offset changes at most a few
times in 90 days, so it is a short CASE over the changes inside the period."""

from __future__ import annotations

import functools
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, DateTime, Integer, Select, case, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from switchboard.assistant.models import ChatMessage, ChatRole, Conversation
from switchboard.crm.models import Call, Lead
from switchboard.dashboards.timeframe import Span, days_of, days_span
from switchboard.kit.models import TenantScoped
from switchboard.kit.repository import count_where, where_in_range
from switchboard.messaging.models import Direction, Message, MessageStatus, Sender

DAY_SECONDS = 86_400
EPOCH = date(1970, 1, 1)
QUESTION_CHARS = 200
OFFSET_STEP = timedelta(minutes=15)  # every zone's transitions fall on a quarter hour
SENT_STATUSES = (
    MessageStatus.sent,
    MessageStatus.delivered,
    MessageStatus.read,
    MessageStatus.undelivered,
    MessageStatus.failed,
)
DELIVERED_STATUSES = (MessageStatus.delivered, MessageStatus.read)


class local_day_number(FunctionElement[int]):
    """Days since 1970-01-01 of a UTC instant's local date. Clauses: the instant, the
    period's local midnights in UTC (an array) and the first one's day number, for
    PostgreSQL; the zone's offset in seconds at the instant, for SQLite."""

    type = Integer()
    inherit_cache = True


@compiles(local_day_number, "postgresql")
def _local_day_pg(element: local_day_number, compiler: Any, **kw: Any) -> str:
    instant, midnights, first_day, _ = list(element.clauses)
    return (
        f"(width_bucket({compiler.process(instant, **kw)}, {compiler.process(midnights, **kw)})"
        f" + {compiler.process(first_day, **kw)} - 1)"
    )


@compiles(local_day_number)
def _local_day_sqlite(element: local_day_number, compiler: Any, **kw: Any) -> str:
    # SQLite keeps UTC instants as naive text; strftime('%s') reads them as seconds.
    instant, _, _, offset = list(element.clauses)
    return (
        f"((CAST(strftime('%s', {compiler.process(instant, **kw)}) AS INTEGER) + "
        f"{compiler.process(offset, **kw)}) / {DAY_SECONDS})"
    )


def _offset_seconds(moment: datetime, zone: ZoneInfo) -> int:
    offset = moment.astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def offset_changes(span: Span, zone: ZoneInfo) -> list[tuple[datetime, int]]:
    """[(from when, offset seconds)] inside the span, the first from its start."""
    changes = [(span.start, _offset_seconds(span.start, zone))]
    day = span.start
    while day < span.end:
        following = min(day + timedelta(days=1), span.end)
        if _offset_seconds(following, zone) != changes[-1][1]:
            moment = day
            while _offset_seconds(moment, zone) == changes[-1][1]:
                moment += OFFSET_STEP
            changes.append((moment, _offset_seconds(moment, zone)))
        day = following
    return changes


@functools.lru_cache(maxsize=256)
def _day_edges(
    span: Span, zone_key: str
) -> tuple[tuple[tuple[datetime, int], ...], tuple[datetime, ...], int]:
    """A period's offset changes, its local midnights and its first day's number: the same
    for every series of a page, so worked out once."""
    zone = ZoneInfo(zone_key)
    days = days_of(span, zone)
    midnights = tuple(days_span("day", day, 1, zone).start for day in days)
    return tuple(offset_changes(span, zone)), midnights, (days[0] - EPOCH).days


def local_day(column: Any, span: Span, zone: ZoneInfo) -> ColumnElement[int]:
    """The local day number of `column`, a UTC instant inside `span`."""
    changes, midnights, first_day = _day_edges(span, zone.key)
    if len(changes) == 1:
        offset: ColumnElement[int] = literal(changes[0][1], Integer)
    else:
        offset = case(
            *(
                (column < since, literal(before, Integer))
                for (since, _), (_, before) in zip(changes[1:], changes, strict=False)
            ),
            else_=literal(changes[-1][1], Integer),
        )
    return local_day_number(
        column,
        literal(list(midnights), ARRAY(DateTime(timezone=True))),
        literal(first_day, Integer),
        offset,
    )


def date_of(number: int) -> date:
    """The date of a local day number (`local_day`)."""
    return EPOCH + timedelta(days=int(number))


class TrendRepository:
    """The per-day queries; each filters on the tenant and the period first, so each is a
    range scan of one (tenant, time) index."""

    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def _in_span(
        self, model: type[TenantScoped], at: Any, span: Span, *columns: Any
    ) -> Select[Any]:
        stmt: Select[Any] = select(*columns).where(model.tenant_id == self.tenant_id)
        return where_in_range(stmt, at, span.start, span.end)

    async def _rows(self, stmt: Select[Any]) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in (await self.session.execute(stmt)).all()]

    async def calls(self, span: Span, zone: ZoneInfo) -> list[tuple[Any, ...]]:
        """(day, the role that handled them, outcome, calls): the period's totals by role
        are sums of these, so the calls are read once."""
        day = local_day(Call.started_at, span, zone)
        stmt = self._in_span(
            Call, Call.started_at, span, day, Call.handled_by_role, Call.outcome, func.count()
        )
        return await self._rows(stmt.group_by(day, Call.handled_by_role, Call.outcome))

    async def leads(self, span: Span, zone: ZoneInfo) -> list[tuple[Any, ...]]:
        """(day, leads created)."""
        day = local_day(Lead.created_at, span, zone)
        stmt = self._in_span(Lead, Lead.created_at, span, day, func.count())
        return await self._rows(stmt.group_by(day))

    async def texts(self, span: Span, zone: ZoneInfo) -> list[tuple[Any, ...]]:
        """(day, outbound messages, written by Otto, handed to the carrier, delivered): the
        period's totals are sums of these, so the messages are read once."""
        day = local_day(Message.created_at, span, zone)
        stmt = self._in_span(
            Message,
            Message.created_at,
            span,
            day,
            func.count(),
            count_where(Message.sender == Sender.otto),
            count_where(Message.status.in_(SENT_STATUSES)),
            count_where(Message.status.in_(DELIVERED_STATUSES)),
        ).where(Message.direction == Direction.outbound)
        return await self._rows(stmt.group_by(day))

    async def conversations(self, span: Span, zone: ZoneInfo) -> list[tuple[Any, ...]]:
        """(day, assistant conversations started)."""
        day = local_day(Conversation.created_at, span, zone)
        stmt = self._in_span(Conversation, Conversation.created_at, span, day, func.count())
        return await self._rows(stmt.group_by(day))

    async def turns(self, span: Span, zone: ZoneInfo) -> list[tuple[Any, ...]]:
        """(day, model, answers, tokens) of the assistant's answers."""
        day = local_day(ChatMessage.created_at, span, zone)
        used = func.coalesce(ChatMessage.prompt_tokens, 0) + func.coalesce(
            ChatMessage.completion_tokens, 0
        )
        stmt = self._in_span(
            ChatMessage,
            ChatMessage.created_at,
            span,
            day,
            ChatMessage.model,
            func.count(),
            func.coalesce(func.sum(used), 0),
        ).where(ChatMessage.role == ChatRole.assistant)
        return await self._rows(stmt.group_by(day, ChatMessage.model))

    async def tool_calls(self, span: Span) -> list[list[dict[str, Any]]]:
        """The tool calls of the period's answers that made any (a JSON list per answer)."""
        stmt = self._in_span(
            ChatMessage, ChatMessage.created_at, span, ChatMessage.tool_calls
        ).where(ChatMessage.role == ChatRole.assistant)
        return [calls for (calls,) in await self._rows(stmt) if calls]

    async def top_questions(self, span: Span, limit: int) -> list[tuple[str, int]]:
        """The questions staff asked most often, word for word (case and edges aside)."""
        text = func.lower(func.trim(func.substr(ChatMessage.content, 1, QUESTION_CHARS)))
        stmt = (
            self._in_span(ChatMessage, ChatMessage.created_at, span, text, func.count())
            .where(ChatMessage.role == ChatRole.user)
            .group_by(text)
            .order_by(func.count().desc(), text)
            .limit(limit)
        )
        return [(str(q), int(n)) for q, n in await self._rows(stmt) if q]
