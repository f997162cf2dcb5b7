"""/dashboard: each role's numbers as tiles and server-drawn charts. The CSR's day and the
calls and texts waiting on them; a rep's own numbers; the manager's company over 7, 30 or
90 days with its trends and the assistant's use. The numbers come from the dashboards
service; this module only lays them out as charts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import Query, Request, Response

from switchboard.crm.models import CallOutcome, HandledByRole, LeadStatus
from switchboard.dashboards.aggregates import UNASSIGNED, RoleDashboards
from switchboard.dashboards.schemas import (
    CallOutcomes,
    CsrDashboard,
    ExecutiveDashboard,
    Period,
    RepDashboard,
)
from switchboard.dashboards.trends import NO_OUTCOME
from switchboard.kit.deps import Session
from switchboard.tasks.models import AssignedRole
from switchboard.tasks.service import TaskFilters, TaskService
from switchboard.tenancy.models import Role
from switchboard.web.auth import WebUser
from switchboard.web.charts import (
    Chart,
    Series,
    bar_chart,
    dollars,
    line_chart,
    percent,
    plain,
    stacked_bars,
)
from switchboard.web.pages.common import page_router
from switchboard.web.shell import render, shell_of

router = page_router()
QUEUE_TASKS = 8
OUTCOMES = (*(o.value for o in CallOutcome), NO_OUTCOME)
HANDLERS = {
    HandledByRole.csr: "CSRs",
    HandledByRole.rep: "Reps",
    HandledByRole.manager: "Managers",
    HandledByRole.ai: "AI",
    UNASSIGNED: "Nobody",
}


def words(key: str) -> str:
    return key.replace("_", " ").capitalize()


def day_labels(days: Sequence[date]) -> list[str]:
    return [f"{day:%b} {day.day}" for day in days]


def duration(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def outcome_bars(key: str, title: str, calls: CallOutcomes) -> Chart:
    return bar_chart(
        key,
        title,
        [(words(o.value), getattr(calls, o.value)) for o in CallOutcome],
    )


def executive_charts(board: ExecutiveDashboard) -> dict[str, list[Chart]]:
    trends, use = board.trends, board.assistant
    days = day_labels(trends.days)
    leads_by_status = [(words(s.value), board.leads.by_status[s]) for s in LeadStatus]
    return {
        "calls": [
            outcome_bars("calls-by-outcome", "Calls by outcome", board.calls),
            stacked_bars(
                "calls-per-day",
                "Calls per day",
                days,
                [Series(words(o), trends.calls_by_outcome[o]) for o in OUTCOMES],
            ),
            line_chart(
                "booking-rate",
                "Booking rate per day",
                days,
                [Series("booking rate", trends.booking_rate)],
                percent,
                peak=1.0,
            ),
            bar_chart(
                "calls-by-handler",
                "Calls by who handled them",
                [
                    (name, board.calls_by_handler_role[role].total)
                    for role, name in HANDLERS.items()
                ],
            ),
        ],
        "leads": [
            bar_chart(
                "leads-by-source",
                "Leads by source",
                [(s.source or "No source", s.total) for s in board.leads.by_source],
            ),
            bar_chart("leads-by-status", "Leads by status", leads_by_status),
            line_chart("leads-per-day", "Leads per day", days, [Series("leads", trends.leads)]),
            bar_chart(
                "won-value-by-source",
                "Won value by source",
                [(s.source or "No source", float(s.won_value)) for s in board.leads.by_source],
                dollars,
            ),
        ],
        "texts": [
            line_chart(
                "texts-per-day",
                "Texts sent and delivered per day",
                days,
                [Series("sent", trends.texts_sent), Series("delivered", trends.texts_delivered)],
            ),
        ],
        "assistant": [
            line_chart(
                "assistant-per-day",
                "Assistant conversations and answers per day",
                days,
                [Series("conversations", use.conversations), Series("answers", use.turns)],
            ),
            stacked_bars("tokens-per-day", "Tokens per day", days, [Series("tokens", use.tokens)]),
            stacked_bars(
                "models-per-day",
                "Answers by model per day",
                days,
                [Series(model, counts) for model, counts in use.models.items()],
            ),
        ],
    }


def rep_charts(board: RepDashboard) -> list[Chart]:
    return [
        bar_chart(
            "my-leads-by-status",
            "My leads by status",
            [(words(s.value), board.leads_by_status[s]) for s in LeadStatus],
        )
    ]


def csr_charts(board: CsrDashboard) -> list[Chart]:
    return [
        outcome_bars("team-calls-today", "CSR calls today by outcome", board.csr_calls),
        outcome_bars("my-calls-today", "My calls today by outcome", board.my_calls),
    ]


@router.get("/dashboard")
async def dashboard(
    request: Request,
    user: WebUser,
    session: Session,
    period: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    dashboards = RoleDashboards(session, user)
    chosen = Period(period) if period in {p.value for p in Period} else Period.week
    context: dict[str, Any] = {
        "period": chosen,
        "periods": list(Period),
        "duration": duration,
        "plain": plain,
    }
    if user.role in (Role.manager, Role.admin):
        board = await dashboards.executive(chosen)
        context.update(executive=board, chart_groups=executive_charts(board))
    elif user.role == Role.rep:
        rep = await dashboards.rep()
        context.update(rep=rep, chart_groups={"mine": rep_charts(rep)})
    else:
        csr = await dashboards.csr()
        queue, _ = await TaskService(session, user).most_urgent(
            TaskFilters(assigned_role=AssignedRole.csr),
            pending=True,
            limit=QUEUE_TASKS,
            with_total=False,
        )
        context.update(csr=csr, queue_tasks=queue, chart_groups={"today": csr_charts(csr)})
    return render(request, "dashboard.html", context, shell=await shell_of(session, user))
