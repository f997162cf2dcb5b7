"""The CSR, rep and executive dashboards: the numbers each role works from, shaped from the
queries of `repository.roles` and `repository.trends` (a fixed handful each, filtered on
the tenant, and on the rep for a rep's view); days and periods are whole days of the
tenant's time zone."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.crm.models import (
    AppointmentStatus,
    CallOutcome,
    ContactCard,
    HandledByRole,
    LeadStatus,
)
from switchboard.dashboards.digest import AI_SOURCES, WAITING_WINDOW, waiting_item
from switchboard.dashboards.repository import DashboardRepository, WaitingReply
from switchboard.dashboards.repository.roles import (  # OPEN_LEAD_STATUSES: for the AI tools
    OPEN_LEAD_STATUSES as OPEN_LEAD_STATUSES,
)
from switchboard.dashboards.repository.roles import AggregateRepository, Record
from switchboard.dashboards.repository.trends import TrendRepository
from switchboard.dashboards.schemas import (
    AiShare,
    AppointmentItem,
    AppointmentSummary,
    Backlog,
    CallOutcomes,
    CsrDashboard,
    CsrQueue,
    ExecutiveDashboard,
    LeadSummary,
    MessageDelivery,
    Period,
    Pipeline,
    RecordingCount,
    Ref,
    RepDashboard,
    ShiftItem,
    SourceLeads,
    TaskCounts,
    TaskFlow,
    UnansweredCall,
    WaitingText,
    Window,
    WinRate,
)
from switchboard.dashboards.timeframe import Span, clock_span, days_span, minutes_between
from switchboard.dashboards.trends import assistant_use, calls_by_role, daily_trends
from switchboard.kit.clock import utcnow
from switchboard.kit.errors import Forbidden, NotFound
from switchboard.tasks.models import TaskSource
from switchboard.tenancy.models import Role, User
from switchboard.tenancy.service import find_user, get_tenant

# Older unanswered calls have gone cold: the CSR queue leaves them out, as the digest does
# with customers waiting on a text.
CALLBACK_WINDOW = WAITING_WINDOW
WIN_RATE_DAYS = 30
UNASSIGNED = "unassigned"
QUEUE_ITEMS = 10  # the CSR's lists of unanswered calls and customers waiting

# --- shaping the numbers --------------------------------------------------------------------


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def backlog(count: int, oldest: datetime | None, now: datetime) -> Backlog:
    return Backlog(
        count=count,
        oldest_at=oldest,
        oldest_wait_minutes=minutes_between(oldest, now) if oldest is not None else None,
    )


def waiting_text(
    waiting: WaitingReply, contacts: Mapping[uuid.UUID, ContactCard], item: dict[str, Any]
) -> WaitingText:
    message = waiting.message
    contact = contacts.get(message.contact_id)
    return WaitingText(
        session_id=message.session_id,
        contact=Ref(
            id=message.contact_id,
            name=contact.display_name if contact else waiting.thread.counterpart_address,
        ),
        channel=message.channel,
        received_at=message.created_at,
        waiting_minutes=item["waiting_minutes"],
        last_message=item["last_message"],
        waiting_on=item["waiting_on"],
    )


def task_counts(counts: tuple[int, int]) -> TaskCounts:
    return TaskCounts(open=counts[0], overdue=counts[1])


def call_outcomes(counts: Mapping[str | None, int]) -> CallOutcomes:
    booked = counts.get(CallOutcome.booked, 0)
    unbooked = counts.get(CallOutcome.unbooked, 0)
    return CallOutcomes(
        total=sum(counts.values()),
        booked=booked,
        unbooked=unbooked,
        missed=counts.get(CallOutcome.missed, 0),
        voicemail=counts.get(CallOutcome.voicemail, 0),
        abandoned=counts.get(CallOutcome.abandoned, 0),
        booking_rate=rate(booked, booked + unbooked),
    )


def pipeline(open_leads: int, value: Any) -> Pipeline:
    return Pipeline(open_leads=open_leads, value=money(value))


def window(span: Span) -> Window:
    return Window(start=span.start, end=span.end)


def by_status(counts: Iterable[tuple[str, int]]) -> dict[LeadStatus, int]:
    """Every lead status, with zero for the ones that have no leads."""
    tally = Counter[str]()
    for status, n in counts:
        tally[status] += n
    return {status: tally[status] for status in LeadStatus}


def lead_summary(rows: Iterable[Record]) -> LeadSummary:
    sources: dict[str | None, list[tuple[str, int, Decimal]]] = {}
    for source, status, n, value in rows:
        sources.setdefault(source, []).append((status, int(n), money(value)))
    by_source = [
        SourceLeads(
            source=source,
            total=sum(n for _, n, _ in counts),
            by_status=by_status((status, n) for status, n, _ in counts),
            won_value=sum((v for s, _, v in counts if s == LeadStatus.won), Decimal("0.00")),
        )
        for source, counts in sources.items()
    ]
    by_source.sort(key=lambda s: (-s.total, s.source or ""))
    statuses = by_status((s, n) for counts in sources.values() for s, n, _ in counts)
    won, lost = statuses[LeadStatus.won], statuses[LeadStatus.lost]
    return LeadSummary(
        total=sum(statuses.values()),
        by_status=statuses,
        won=won,
        lost=lost,
        won_value=sum((s.won_value for s in by_source), Decimal("0.00")),
        win_rate=rate(won, won + lost),
        by_source=by_source,
    )


# --- the dashboards -------------------------------------------------------------------------


class RoleDashboards:
    """The numbers each role works from, read on `user`'s behalf."""

    def __init__(self, session: AsyncSession, user: User) -> None:
        self.session = session
        self.user = user
        self.repo = AggregateRepository(session, user.tenant_id)

    async def _zone(self) -> ZoneInfo:
        return (await get_tenant(self.session, self.user.tenant_id)).zone

    @staticmethod
    def _day_span(day: date | None, now: datetime, zone: ZoneInfo) -> Span:
        first = day if day is not None else now.astimezone(zone).date()
        return days_span(first.isoformat(), first, 1, zone)

    async def csr(self, day: date | None = None) -> CsrDashboard:
        """The day's calls and bookings, and what is waiting on the CSRs right now: the
        calls nobody answered and the customers waiting, as lists to act on."""
        tenant = await get_tenant(self.session, self.user.tenant_id)
        zone = tenant.zone
        now = utcnow()
        span = self._day_span(day, now, zone)
        csr_calls, my_calls = await self.repo.csr_call_outcomes(span, self.user.id)
        lookups = DashboardRepository(self.session, self.user)
        waiting, waiting_total = await lookups.unanswered_messages(
            now - WAITING_WINDOW, limit=QUEUE_ITEMS
        )
        waiting_contacts = await lookups.contacts_by_id(w.message.contact_id for w in waiting)
        holders = await lookups.users_by_id(w.thread.taken_over_by_id for w in waiting)
        calls = await self.repo.unanswered_calls(now - CALLBACK_WINDOW, now, QUEUE_ITEMS)
        tasks = await self.repo.csr_open_tasks(now, self.user.id)
        return CsrDashboard(
            day=span.start.astimezone(zone).date(),
            timezone=zone.key,
            window=window(span),
            as_of=now,
            csr_calls=call_outcomes(csr_calls),
            my_calls=call_outcomes(my_calls),
            appointments_booked=await self.repo.appointments_created(span),
            speed_to_lead=await self.repo.speed_to_lead(span),
            queue=CsrQueue(
                unanswered_calls=backlog(
                    *await self.repo.calls_not_called_back(now - CALLBACK_WINDOW, now), now
                ),
                waiting_on_reply=backlog(
                    waiting_total, waiting[0].message.created_at if waiting else None, now
                ),
                csr_tasks=task_counts(tasks["csr"]),
                my_tasks=task_counts(tasks["mine"]),
                calls=[
                    UnansweredCall(
                        id=call.id,
                        started_at=call.started_at,
                        outcome=call.outcome,
                        from_number=call.from_number,
                        contact=Ref(id=contact.id, name=contact.display_name) if contact else None,
                        session_id=session_id,
                    )
                    for call, contact, session_id in calls
                ],
                texts=[
                    waiting_text(w, waiting_contacts, waiting_item(w, now, tenant, holders))
                    for w in waiting
                ],
            ),
        )

    async def _rep(self, rep_id: uuid.UUID | None) -> User:
        """Whose dashboard: a rep's own; a manager's or admin's pick of the reps."""
        if rep_id is None or rep_id == self.user.id:
            return self.user
        if not self.user.sees_whole_tenant:
            raise Forbidden("a rep can only see their own dashboard")
        rep = await find_user(self.session, self.user.tenant_id, rep_id)
        if rep is None or rep.role not in (Role.rep, Role.manager):
            raise NotFound.of("rep", rep_id)
        return rep

    async def rep(self, day: date | None = None, rep_id: uuid.UUID | None = None) -> RepDashboard:
        """A rep's day: appointments and shifts, open work, leads, recordings, win rate."""
        rep = await self._rep(rep_id)
        zone = await self._zone()
        now = utcnow()
        span = self._day_span(day, now, zone)
        local_day = span.start.astimezone(zone).date()
        week = days_span("week", local_day - timedelta(days=local_day.weekday()), 7, zone)
        decided = days_span(
            "win rate", local_day - timedelta(days=WIN_RATE_DAYS - 1), WIN_RATE_DAYS, zone
        )
        appointments = await self.repo.rep_appointments(rep.id, span)
        shifts = await self.repo.rep_shifts(rep.id, span)
        tasks = await self.repo.assigned_open_tasks(now, rep.id)
        leads = await self.repo.rep_leads(rep.id, decided)
        decided_counts = Counter({status: int(n) for status, _, n in leads})
        won, lost = decided_counts[LeadStatus.won], decided_counts[LeadStatus.lost]
        return RepDashboard(
            day=local_day,
            timezone=zone.key,
            window=window(span),
            rep=Ref(id=rep.id, name=rep.name),
            appointments=[
                AppointmentItem(
                    id=a.id,
                    starts_at=a.starts_at,
                    ends_at=a.ends_at,
                    time=clock_span(a.starts_at, a.ends_at, zone),
                    title=a.title,
                    contact=Ref(id=contact.id, name=contact.display_name),
                    address=a.address or contact.address,
                    status=a.status,
                )
                for a, contact in appointments
            ],
            shifts=[
                ShiftItem(
                    id=s.id,
                    starts_at=s.starts_at,
                    ends_at=s.ends_at,
                    time=clock_span(s.starts_at, s.ends_at, zone),
                    territory=s.territory,
                    status=s.status,
                )
                for s in shifts
            ],
            tasks=task_counts(tasks),
            leads_by_status=by_status((status, int(n)) for status, n, _ in leads),
            recordings_this_week=RecordingCount(
                window=window(week), count=await self.repo.rep_recordings(rep.id, week)
            ),
            win_rate=WinRate(
                window=window(decided), won=won, lost=lost, rate=rate(won, won + lost)
            ),
        )

    async def executive(self, period: Period = Period.week) -> ExecutiveDashboard:
        """The company over the last `period`: calls, leads, pipeline, appointments, tasks,
        how much the AI carries, and whether texts arrive."""
        zone = await self._zone()
        today = utcnow().astimezone(zone).date()
        span = days_span(period, today - timedelta(days=period.days - 1), period.days, zone)

        trend_repo = TrendRepository(self.session, self.user.tenant_id)
        call_rows = await trend_repo.calls(span, zone)
        by_role = {role or UNASSIGNED: counts for role, counts in calls_by_role(call_rows).items()}
        all_calls: Counter[str | None] = Counter()
        for counts in by_role.values():
            all_calls.update(counts)
        appointments = await self.repo.appointment_statuses(span)
        completed = appointments[AppointmentStatus.completed]
        no_show = appointments[AppointmentStatus.no_show]
        flow = await self.repo.task_flow(span)
        created_by_source = Counter({source: int(created) for source, created, _ in flow})
        tasks_created = sum(created_by_source.values())
        ai_tasks = sum(created_by_source[source] for source in AI_SOURCES)
        text_rows = await trend_repo.texts(span, zone)
        outbound, auto_replies, sent, delivered = (
            sum(int(row[i]) for row in text_rows) for i in range(1, 5)
        )
        return ExecutiveDashboard(
            period=period,
            timezone=zone.key,
            window=window(span),
            calls=call_outcomes(all_calls),
            calls_by_handler_role={
                role: call_outcomes(by_role.get(role, Counter()))
                for role in (*HandledByRole, UNASSIGNED)
            },
            leads=lead_summary(await self.repo.lead_cohort(span)),
            pipeline=pipeline(*await self.repo.pipeline()),
            speed_to_lead=await self.repo.speed_to_lead(span),
            appointments=AppointmentSummary(
                total=sum(appointments.values()),
                by_status={status: appointments[status] for status in AppointmentStatus},
                show_rate=rate(completed, completed + no_show),
            ),
            tasks=TaskFlow(
                created=tasks_created,
                completed=sum(int(done) for _, _, done in flow),
                created_by_source={source: created_by_source[source] for source in TaskSource},
            ),
            ai=AiShare(
                tasks=ai_tasks,
                task_share=rate(ai_tasks, tasks_created),
                auto_replies_sent=int(auto_replies),
                auto_reply_share=rate(int(auto_replies), int(outbound)),
            ),
            messages=MessageDelivery(
                outbound=int(outbound),
                sent=int(sent),
                delivered=int(delivered),
                delivery_rate=rate(int(delivered), int(sent)),
            ),
            trends=await daily_trends(trend_repo, span, zone, call_rows, text_rows),
            assistant=await assistant_use(trend_repo, span, zone),
        )
