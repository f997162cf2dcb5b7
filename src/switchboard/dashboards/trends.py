"""The per-day series of the executive dashboard, shaped from the rows of
`repository.trends.TrendRepository`: every local day of the period, zero where nothing
happened."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from switchboard.crm.models import CallOutcome
from switchboard.dashboards.repository.trends import TrendRepository, date_of
from switchboard.dashboards.schemas import AskedQuestion, AssistantUse, DailyTrends
from switchboard.dashboards.timeframe import Span, days_of

NO_OUTCOME = "no_outcome"
TOP_QUESTIONS = 5


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _series(days: list[date], counts: dict[date, int]) -> list[int]:
    return [counts.get(day, 0) for day in days]


def calls_by_role(rows: list[tuple[Any, ...]]) -> dict[str | None, Counter[str | None]]:
    """Outcome counts by the role that handled the calls, from `TrendRepository.calls`."""
    by_role: dict[str | None, Counter[str | None]] = {}
    for _, role, outcome, n in rows:
        by_role.setdefault(role, Counter())[outcome] += int(n)
    return by_role


async def daily_trends(
    repo: TrendRepository,
    span: Span,
    zone: ZoneInfo,
    call_rows: list[tuple[Any, ...]],
    text_rows: list[tuple[Any, ...]],
) -> DailyTrends:
    """The series, from the calls' and the texts' rows (TrendRepository.calls and .texts)
    and the leads per day."""
    days = days_of(span, zone)
    by_outcome: dict[str, Counter[date]] = {o.value: Counter() for o in CallOutcome}
    by_outcome[NO_OUTCOME] = Counter()
    for number, _, outcome, n in call_rows:
        by_outcome[outcome or NO_OUTCOME][date_of(number)] += int(n)
    leads = {date_of(number): int(n) for number, n in await repo.leads(span, zone)}
    sent = {date_of(row[0]): int(row[1]) for row in text_rows}
    delivered = {date_of(row[0]): int(row[4]) for row in text_rows}
    booked = _series(days, by_outcome[CallOutcome.booked])
    unbooked = _series(days, by_outcome[CallOutcome.unbooked])
    return DailyTrends(
        days=days,
        calls_by_outcome={key: _series(days, counts) for key, counts in by_outcome.items()},
        booking_rate=[_rate(b, b + u) for b, u in zip(booked, unbooked, strict=True)],
        leads=_series(days, leads),
        texts_sent=_series(days, sent),
        texts_delivered=_series(days, delivered),
    )


async def assistant_use(repo: TrendRepository, span: Span, zone: ZoneInfo) -> AssistantUse:
    days = days_of(span, zone)
    conversations = {date_of(number): int(n) for number, n in await repo.conversations(span, zone)}
    turns: Counter[date] = Counter()
    tokens: Counter[date] = Counter()
    models: dict[str, Counter[date]] = {}
    for number, model, n, used in await repo.turns(span, zone):
        day = date_of(number)
        turns[day] += int(n)
        tokens[day] += int(used or 0)
        models.setdefault(model or "unknown", Counter())[day] += int(n)
    calls = [call for answer in await repo.tool_calls(span) for call in answer]
    failed = [call for call in calls if call.get("status") not in (None, "ok")]
    failed_by_tool = Counter(str(call.get("name") or "unknown") for call in failed)
    return AssistantUse(
        days=days,
        conversations=_series(days, conversations),
        turns=_series(days, turns),
        tokens=_series(days, tokens),
        models={name: _series(days, counts) for name, counts in sorted(models.items())},
        tool_calls=len(calls),
        failed_tool_calls=len(failed),
        failed_by_tool=dict(failed_by_tool.most_common()),
        top_questions=[
            AskedQuestion(text=q, times=n) for q, n in await repo.top_questions(span, TOP_QUESTIONS)
        ],
    )
