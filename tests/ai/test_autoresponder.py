"""The `ai.auto_reply` job end to end on both databases: a customer's text in a session, the
job run by a real Worker, the stored otto reply and the tasks it opened; one reply for a
burst of texts; silence when a person has the conversation, the customer opted out or
auto-replies are off; and a guard that withholds anything the records do not back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.ai import autoresponder
from switchboard.ai.autoresponder import AUTO_REPLY_JOB, FALLBACK_REPLY, auto_reply
from switchboard.ai.builtin import BuiltinModel
from switchboard.ai.customer_tools import HANDOFF_TASK_TITLE
from switchboard.ai.model import (
    Audience,
    Completion,
    ModelError,
    ModelMessage,
    StreamItem,
    ToolSpec,
)
from switchboard.config import Settings
from switchboard.crm.models import Appointment, ContactCard
from switchboard.kit.clock import utcnow
from switchboard.kit.db import Database
from switchboard.kit.events import Event, LocalBus
from switchboard.kit.jobs import Job, JobStatus, Worker, enqueue
from switchboard.kit.resources import Resources
from switchboard.messaging.inbound import receive_message
from switchboard.messaging.models import (
    Channel,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    MessagingSession,
    Sender,
)
from switchboard.messaging.optouts import record_opt_out
from switchboard.messaging.schemas import InboundMessage
from switchboard.tasks.models import Task, TaskPriority, TaskSource
from switchboard.tenancy.models import Role, Tenant
from tests.factories import Factory

CUSTOMER = "+13125550142"
OUR_NUMBER = "+15555550100"
TUESDAY_2PM = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # 2:00 PM in Chicago
APPOINTMENT_REPLY = (
    "Your roof inspection is Tuesday, Nov 24 at 2:00 PM with Dana Ruiz at 123 Main St."
)


@dataclass
class Scene:
    tenant: Tenant
    contact: ContactCard
    appointment: Appointment
    conversation: MessagingSession


@pytest.fixture(autouse=True)
def _clock(frozen_clock: object) -> None:
    return None


async def scene(factory: Factory, session: AsyncSession, **tenant: Any) -> Scene:
    tenant.setdefault("name", "Summit Roofing")
    company = await factory.tenant(timezone="America/Chicago", **tenant)
    await factory.channel(company, OUR_NUMBER)
    rep = await factory.user(company, Role.rep, name="Dana Ruiz")
    contact = await factory.contact(company, phone=CUSTOMER, first_name="Pat", last_name="Lee")
    appointment = await factory.appointment(
        company,
        contact,
        rep,
        starts_at=TUESDAY_2PM,
        title="Roof inspection",
        address="123 Main St",
    )
    now = utcnow()
    conversation = MessagingSession(
        tenant_id=company.id,
        contact_id=contact.id,
        channel=Channel.sms,
        counterpart_address=CUSTOMER,
        our_address=OUR_NUMBER,
        first_message_at=now,
        last_message_at=now,
    )
    session.add(conversation)
    await session.flush()
    return Scene(company, contact, appointment, conversation)


async def text_in(
    session: AsyncSession, at: Scene, body: str, *, enqueue_job: bool = True
) -> Message:
    """The customer's message as the webhook stores it, and the job it enqueues."""
    message = Message(
        tenant_id=at.tenant.id,
        session_id=at.conversation.id,
        contact_id=at.contact.id,
        direction=Direction.inbound,
        sender=Sender.customer,
        kind=MessageKind.manual,
        channel=Channel.sms,
        from_address=CUSTOMER,
        to_address=OUR_NUMBER,
        body=body,
        status=MessageStatus.received,
    )
    session.add(message)
    await session.flush()
    if enqueue_job:
        payload = {
            "tenant_id": str(at.tenant.id),
            "session_id": str(at.conversation.id),
            "message_id": str(message.id),
        }
        enqueue(session, AUTO_REPLY_JOB, payload, tenant_id=at.tenant.id)
        await session.flush()
    return message


async def otto_replies(session: AsyncSession, at: Scene) -> list[Message]:
    stmt = (
        select(Message)
        .where(Message.session_id == at.conversation.id, Message.sender == Sender.otto)
        .order_by(Message.created_at)
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(stmt)).scalars())


async def tasks_of(session: AsyncSession, at: Scene) -> list[Task]:
    stmt = select(Task).where(Task.contact_id == at.contact.id).order_by(Task.created_at)
    return list((await session.execute(stmt)).scalars())


async def auto_reply_jobs(session: AsyncSession) -> list[Job]:
    stmt = (
        select(Job)
        .where(Job.kind == AUTO_REPLY_JOB)
        .order_by(Job.created_at)
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(stmt)).scalars())


# --- end to end -----------------------------------------------------------------------------


async def test_answers_from_the_real_appointment(
    db: Database, session: AsyncSession, factory: Factory, resources: Resources
) -> None:
    at = await scene(factory, session)
    question = await text_in(session, at, "Hi! What time is my appointment?")

    assert await Worker(db, concurrency=1, resources=resources).drain() >= 1

    [reply] = await otto_replies(session, at)
    assert reply.body == APPOINTMENT_REPLY
    assert (reply.direction, reply.kind, reply.in_reply_to_id) == (
        Direction.outbound,
        MessageKind.automated,
        question.id,
    )
    assert (reply.from_address, reply.to_address, reply.channel) == (
        OUR_NUMBER,
        CUSTOMER,
        Channel.sms,
    )
    assert [j.status for j in await auto_reply_jobs(session)] == [JobStatus.done]
    assert await tasks_of(session, at) == []


async def test_a_reschedule_request_opens_an_urgent_task(
    db: Database, session: AsyncSession, factory: Factory, resources: Resources
) -> None:
    at = await scene(factory, session)
    question = await text_in(session, at, "Something came up, can we reschedule?")

    await Worker(db, concurrency=1, resources=resources).drain()

    [reply] = await otto_replies(session, at)
    assert reply.body == (
        "Got it. I've asked our team to reschedule your roof inspection on Tuesday, Nov 24 at "
        "2:00 PM. Someone will reach out shortly to confirm a new time."
    )
    assert reply.in_reply_to_id == question.id
    [task] = await tasks_of(session, at)
    assert (task.title, task.priority, task.source, task.appointment_id, task.created_by_id) == (
        "Reschedule request",
        TaskPriority.high,
        TaskSource.auto_reply,
        at.appointment.id,
        None,
    )


async def test_a_question_it_cannot_answer_goes_to_a_person(
    db: Database, session: AsyncSession, factory: Factory, resources: Resources
) -> None:
    at = await scene(factory, session)
    db.bus = bus = LocalBus()
    subscription = bus.subscribe(at.tenant.id)
    await text_in(session, at, "Do you guys do gutter cleaning too?")

    await Worker(db, concurrency=1, resources=resources).drain()

    [reply] = await otto_replies(session, at)
    assert "passed it to our team" in reply.body
    [task] = await tasks_of(session, at)
    assert (task.title, task.priority) == (HANDOFF_TASK_TITLE, TaskPriority.high)
    # Staff screens hear of it once the job's transaction has committed.
    seen: list[Event] = []
    while len(seen) < 10:
        try:
            seen.append(await asyncio.wait_for(anext(subscription), 0.1))
        except TimeoutError:
            break
    kinds = [e.type for e in seen]
    assert {"task.created", "session.needs_human", "message.created"} <= set(kinds)
    flagged = next(e for e in seen if e.type == "session.needs_human")
    assert flagged.data["session_id"] == str(at.conversation.id)
    assert flagged.data["task_id"] == str(task.id)


# --- one reply for a burst ------------------------------------------------------------------


async def test_a_burst_of_texts_gets_one_reply(
    db: Database,
    session: AsyncSession,
    factory: Factory,
    settings: Settings,
    frozen_clock: Any,
    resources: Resources,
) -> None:
    at = await scene(factory, session)
    texts = []
    for sid, body in (("SM1", "hey"), ("SM2", "what time is my appt?")):
        outcome = await receive_message(
            session,
            settings,
            at.tenant,
            InboundMessage(sid, Channel.sms, CUSTOMER, OUR_NUMBER, body),
        )
        assert outcome.message is not None
        texts.append(outcome.message)
        frozen_clock.advance(0.5)
    assert len(await auto_reply_jobs(session)) == 2  # one per text, both debounced

    assert (
        await Worker(db, concurrency=1, resources=resources).drain() == 0
    )  # not due yet: the debounce
    frozen_clock.advance(settings.auto_reply_debounce_seconds + 1)
    await Worker(db, concurrency=1, resources=resources).drain()

    [reply] = await otto_replies(session, at)
    assert reply.in_reply_to_id == texts[-1].id
    assert reply.body == APPOINTMENT_REPLY
    assert [j.status for j in await auto_reply_jobs(session)] == [JobStatus.done] * 2


async def test_an_older_job_never_answers_after_a_reply(
    db: Database, session: AsyncSession, factory: Factory, frozen_clock: Any, resources: Resources
) -> None:
    at = await scene(factory, session)
    await text_in(session, at, "what time is my appointment?")
    await Worker(db, concurrency=1, resources=resources).drain()
    frozen_clock.advance(1)
    # The same job runs again (say, retried after a lost ack): the reply is already there.
    [job] = await auto_reply_jobs(session)
    job.status, job.run_after = JobStatus.queued, utcnow()
    await session.flush()
    await Worker(db, concurrency=1, resources=resources).drain()
    assert len(await otto_replies(session, at)) == 1


# --- silence --------------------------------------------------------------------------------


async def _taken_over(session: AsyncSession, at: Scene, factory: Factory) -> None:
    csr = await factory.user(at.tenant, Role.csr)
    at.conversation.ai_paused = True
    at.conversation.taken_over_by_id = csr.id


async def _opted_out(session: AsyncSession, at: Scene, factory: Factory) -> None:
    await record_opt_out(session, at.tenant.id, CUSTOMER, Channel.sms, "STOP", source="keyword")


async def _auto_reply_off(session: AsyncSession, at: Scene, factory: Factory) -> None:
    at.tenant.auto_reply_enabled = False


async def _staff_answered(session: AsyncSession, at: Scene, factory: Factory) -> None:
    session.add(
        Message(
            tenant_id=at.tenant.id,
            session_id=at.conversation.id,
            contact_id=at.contact.id,
            direction=Direction.outbound,
            sender=Sender.csr,
            kind=MessageKind.manual,
            channel=Channel.sms,
            body="Hi Pat, it's Jo from Summit: 2pm Tuesday!",
            status=MessageStatus.queued,
        )
    )


@pytest.mark.parametrize(
    "change", [_taken_over, _opted_out, _auto_reply_off, _staff_answered], ids=lambda f: f.__name__
)
async def test_no_reply_when_things_changed_before_the_job_ran(
    db: Database,
    session: AsyncSession,
    factory: Factory,
    frozen_clock: Any,
    change: Any,
    resources: Resources,
) -> None:
    at = await scene(factory, session)
    await text_in(session, at, "what time is my appointment?")
    frozen_clock.advance(1)
    await change(session, at, factory)
    await session.flush()

    await Worker(db, concurrency=1, resources=resources).drain()

    assert await otto_replies(session, at) == []
    assert await tasks_of(session, at) == []
    assert [j.status for j in await auto_reply_jobs(session)] == [JobStatus.done]


# --- grounding and failures -----------------------------------------------------------------


class ScriptedModel:
    """An LLM stand-in that says one thing, whatever it is asked."""

    name = "scripted"

    def __init__(self, text: str) -> None:
        self.text = text
        self.seen: list[list[ModelMessage]] = []

    async def complete(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> Completion:
        self.seen.append(messages)
        return Completion(text=self.text, model=self.name)

    async def stream(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> AsyncIterator[StreamItem]:
        yield await self.complete(messages, tools, audience=audience)


class DownModel(ScriptedModel):
    async def complete(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> Completion:
        raise ModelError("connection refused")


@pytest.mark.parametrize(
    ("said", "problem"),
    [
        ("A new roof runs about $4,999 installed.", "the amount $4999.00"),
        ("Your inspection is Tuesday at 3:30 PM.", "the time 3:30 PM"),
        ("Done! I've rescheduled you to Wednesday.", "claimed an appointment was changed"),
    ],
)
async def test_an_ungrounded_reply_is_withheld(
    session: AsyncSession, factory: Factory, settings: Settings, said: str, problem: str
) -> None:
    at = await scene(factory, session)
    question = await text_in(session, at, "hi, quick question", enqueue_job=False)
    result = await auto_reply(
        session,
        tenant_id=at.tenant.id,
        session_id=at.conversation.id,
        message_id=question.id,
        settings=settings,
        model=ScriptedModel(said),
    )
    assert result.reply is not None and result.reply.body == FALLBACK_REPLY
    assert any(problem in p for p in result.withheld), result.withheld
    [task] = await tasks_of(session, at)
    assert task.title == HANDOFF_TASK_TITLE and said not in (task.description or "x")


async def test_a_grounded_reply_from_another_model_goes_out_as_written(
    session: AsyncSession, factory: Factory, settings: Settings
) -> None:
    at = await scene(factory, session)
    question = await text_in(session, at, "is it still 2pm tuesday?", enqueue_job=False)
    model = ScriptedModel("Yes, Tuesday at 2:00 PM with Dana Ruiz. See you then!")
    result = await auto_reply(
        session,
        tenant_id=at.tenant.id,
        session_id=at.conversation.id,
        message_id=question.id,
        settings=settings,
        model=model,
    )
    assert result.withheld == [] and result.reply is not None
    assert result.reply.body == "Yes, Tuesday at 2:00 PM with Dana Ruiz. See you then!"
    system, *history = model.seen[0]
    assert system.role == "system" and "Summit Roofing" in system.content
    assert "America/Chicago" in system.content
    assert [(m.role, m.content) for m in history] == [("user", "is it still 2pm tuesday?")]


async def test_an_unreachable_model_retries_then_hands_off(
    db: Database,
    session: AsyncSession,
    factory: Factory,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    resources: Resources,
) -> None:
    at = await scene(factory, session)
    question = await text_in(session, at, "what time is my appointment?", enqueue_job=False)
    with pytest.raises(ModelError):
        await auto_reply(
            session,
            tenant_id=at.tenant.id,
            session_id=at.conversation.id,
            message_id=question.id,
            settings=settings,
            model=DownModel(""),
            last_attempt=False,
        )

    monkeypatch.setattr(autoresponder, "get_model", lambda _settings: DownModel(""))
    payload = {
        "tenant_id": str(at.tenant.id),
        "session_id": str(at.conversation.id),
        "message_id": str(question.id),
    }
    enqueue(session, AUTO_REPLY_JOB, payload, tenant_id=at.tenant.id, max_attempts=1)
    await session.flush()
    await Worker(db, concurrency=1, resources=resources).drain()

    assert await otto_replies(session, at) == []
    [task] = await tasks_of(session, at)
    assert task.title == HANDOFF_TASK_TITLE and "could not reach the AI model" in (
        task.description or ""
    )
    assert [j.status for j in await auto_reply_jobs(session)] == [JobStatus.done]


class ClosableDownModel(DownModel):
    """Like the OpenAI model, holds a connection pool the job must close."""

    closed = False

    async def aclose(self) -> None:
        self.closed = True


async def test_the_job_closes_its_model_even_when_it_fails(
    db: Database,
    session: AsyncSession,
    factory: Factory,
    monkeypatch: pytest.MonkeyPatch,
    resources: Resources,
) -> None:
    at = await scene(factory, session)
    question = await text_in(session, at, "what time is my appointment?", enqueue_job=False)
    model = ClosableDownModel("")
    monkeypatch.setattr(autoresponder, "get_model", lambda _settings: model)
    payload = {
        "tenant_id": str(at.tenant.id),
        "session_id": str(at.conversation.id),
        "message_id": str(question.id),
    }
    enqueue(session, AUTO_REPLY_JOB, payload, tenant_id=at.tenant.id, max_attempts=3)
    await session.flush()
    await Worker(db, concurrency=1, resources=resources).drain()

    assert model.closed  # the first attempt raised ModelError for a retry
    [job] = await auto_reply_jobs(session)
    assert job.attempts == 1 and job.status != JobStatus.done


# --- no transaction while the model answers -------------------------------------------------


class WatchingModel:
    """The built-in model, noting at each call how many connections the worker's engine
    has checked out; `meanwhile` runs during the first call, as a person acting while the
    model thinks."""

    name = "watching"

    def __init__(self, db: Database, meanwhile: Any = None) -> None:
        self.db = db
        self.meanwhile = meanwhile
        self.inner = BuiltinModel()
        self.checked_out: list[int] = []

    async def complete(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> Completion:
        self.checked_out.append(self.db.engine.pool.checkedout())  # type: ignore[attr-defined]
        if self.meanwhile is not None:
            meanwhile, self.meanwhile = self.meanwhile, None
            await meanwhile()
        return await self.inner.complete(messages, tools, audience=audience)

    async def stream(
        self, messages: list[ModelMessage], tools: list[ToolSpec], *, audience: Audience
    ) -> AsyncIterator[StreamItem]:
        yield await self.complete(messages, tools, audience=audience)


@dataclass
class LiveScene:
    db: Database
    at: Scene
    question: Message


@pytest.fixture
async def live(database_url: str, settings: Settings) -> AsyncIterator[LiveScene]:
    """The scene committed on its own Database (the rolled-back `db` shares one connection,
    so it cannot show whether a transaction is open); deleted afterwards."""
    db = Database.from_url(database_url)
    async with db.transaction() as session:
        at = await scene(factory=Factory(session, settings), session=session)
        question = await text_in(session, at, "Hi! What time is my appointment?")
    try:
        yield LiveScene(db, at, question)
    finally:
        async with db.transaction() as session:
            await session.execute(delete(Tenant).where(Tenant.id == at.tenant.id))
        await db.dispose()


async def test_no_transaction_is_open_while_the_model_answers(
    live: LiveScene, monkeypatch: pytest.MonkeyPatch, resources: Resources
) -> None:
    model = WatchingModel(live.db)
    monkeypatch.setattr(autoresponder, "get_model", lambda _settings: model)

    assert await Worker(live.db, concurrency=1, resources=resources).drain() >= 1

    # Two calls (the appointment tool, then the answer), neither with a connection held.
    assert model.checked_out == [0, 0]
    async with live.db.transaction() as session:
        [reply] = await otto_replies(session, live.at)
        assert reply.body == APPOINTMENT_REPLY and reply.in_reply_to_id == live.question.id
        assert [j.status for j in await auto_reply_jobs_of(session, live.at)] == [JobStatus.done]


async def test_a_takeover_while_the_model_answers_stops_the_reply(
    live: LiveScene, database_url: str, monkeypatch: pytest.MonkeyPatch, resources: Resources
) -> None:
    staff_db = Database.from_url(database_url)  # a CSR's request, in another process

    async def take_over() -> None:
        async with staff_db.transaction() as session:
            await session.execute(
                update(MessagingSession)
                .where(MessagingSession.id == live.at.conversation.id)
                .values(ai_paused=True)
            )

    model = WatchingModel(live.db, meanwhile=take_over)
    monkeypatch.setattr(autoresponder, "get_model", lambda _settings: model)
    try:
        await Worker(live.db, concurrency=1, resources=resources).drain()
    finally:
        await staff_db.dispose()

    async with live.db.transaction() as session:
        assert await otto_replies(session, live.at) == []
        assert [j.status for j in await auto_reply_jobs_of(session, live.at)] == [JobStatus.done]


async def auto_reply_jobs_of(session: AsyncSession, at: Scene) -> list[Job]:
    return [j for j in await auto_reply_jobs(session) if j.tenant_id == at.tenant.id]
