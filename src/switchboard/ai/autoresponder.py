"""AI auto-replies: the `ai.auto_reply` job answers a customer's text from their real CRM
record, through the agent loop and the customer tools, unless a person has the
conversation, the customer opted out, auto-replies are off, or a newer message came in."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.ai.agent import ToolScope, run_agent
from switchboard.ai.builtin.customer import FALLBACK_REPLY
from switchboard.ai.customer_tools import (
    customer_toolbox,
    format_day,
    format_time,
    format_when,
    hand_off,
    upcoming_appointments,
)
from switchboard.ai.model import Audience, ChatModel, ModelError, ModelMessage
from switchboard.ai.providers import get_model
from switchboard.ai.toolbox import ToolContext, ToolOutcome
from switchboard.config import Settings
from switchboard.kit.clock import utcnow
from switchboard.kit.errors import NotFound, OptedOut
from switchboard.kit.jobs import Job, job_handler
from switchboard.kit.resources import Resources
from switchboard.messaging.models import (
    Direction,
    Message,
    MessageKind,
    MessagingSession,
    Sender,
)
from switchboard.messaging.outbound import queue_outbound
from switchboard.messaging.service import (
    AUTO_REPLY_JOB,
    get_session,
    recent_messages,
    should_auto_reply,
)
from switchboard.tenancy.models import Tenant
from switchboard.tenancy.service import get_tenant

log = logging.getLogger(__name__)

HISTORY_LIMIT = 20  # messages of the conversation the model reads
MAX_REPLY_CHARS = 640  # four SMS segments: anything longer is not a text message


@dataclass
class AutoReplyResult:
    """What the job did: the stored reply, or why it stayed quiet."""

    reply: Message | None = None
    skipped: str | None = None
    outcomes: list[ToolOutcome] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)  # what made us replace the model's text


# A few model calls of `llm_timeout_seconds` each, and tool rounds: past this it is stuck.
AUTO_REPLY_TIMEOUT = timedelta(minutes=2)


@job_handler(AUTO_REPLY_JOB, timeout=AUTO_REPLY_TIMEOUT)
async def run_auto_reply_job(session: AsyncSession, job: Job, resources: Resources) -> None:
    settings = resources.settings
    model = get_model(settings)
    try:
        result = await auto_reply(
            session,
            tenant_id=uuid.UUID(str(job.payload["tenant_id"])),
            session_id=uuid.UUID(str(job.payload["session_id"])),
            message_id=uuid.UUID(str(job.payload["message_id"])),
            settings=settings,
            model=model,
            last_attempt=job.attempts >= job.max_attempts,
        )
    finally:
        # A model of its own per job: an OpenAI client holds a connection pool to close.
        close = getattr(model, "aclose", None)
        if close is not None:
            await close()
    if result.skipped:
        log.info("auto-reply for message %s skipped: %s", job.payload["message_id"], result.skipped)


async def auto_reply(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    session_id: uuid.UUID,
    message_id: uuid.UUID,
    settings: Settings,
    model: ChatModel,
    last_attempt: bool = True,
) -> AutoReplyResult:
    """Answer the customer's message `message_id`, if it still should be answered.

    In steps, like an assistant turn: what the model needs is read in one short transaction
    and committed before the model answers, so none is open while it thinks (on SQLite that
    would hold the write lock of the whole service); each round of tool calls commits on its
    own; the reply is written in a last transaction that checks every condition again, since
    by then a person may have taken over, the customer opted out or sent more."""
    found = await _conversation(session, tenant_id, session_id, message_id)
    if isinstance(found, str):
        return AutoReplyResult(skipped=found)
    ctx = ToolContext(
        session=session,
        tenant=found.tenant,
        settings=settings,
        user=None,
        contact_id=found.conversation.contact_id,
        extras={"session_id": found.conversation.id},
    )
    messages = [
        ModelMessage(role="system", content=customer_system_prompt(found.tenant)),
        *(_as_model_message(m) for m in found.history),
    ]
    await session.commit()
    try:
        agent = await run_agent(
            model, messages, customer_toolbox(), _rounds_commit(ctx), audience=Audience.CUSTOMER
        )
    except ModelError as exc:
        if not last_attempt:
            raise  # the job is retried with backoff
        now = await _conversation_again(session, found)
        if isinstance(now, str):
            return AutoReplyResult(skipped=now)
        await _hand_off(ctx, f"The auto-reply could not reach the AI model ({exc}).", now.trigger)
        return AutoReplyResult(skipped="the model is unavailable; handed to the team")

    now = await _conversation_again(session, found)
    if isinstance(now, str):
        return AutoReplyResult(skipped=now, outcomes=agent.outcomes)
    result = AutoReplyResult(outcomes=agent.outcomes)
    text = " ".join(agent.text.split())
    result.withheld = await ungrounded_claims(ctx, text, now.history, agent.outcomes)
    if not text or result.withheld:
        problem = "; ".join(result.withheld) or "the model gave no answer"
        log.warning("auto-reply withheld for message %s: %s", now.trigger.id, problem)
        await _hand_off(ctx, f"The auto-reply was withheld: {problem}.", now.trigger)
        text = FALLBACK_REPLY
    try:
        result.reply = await queue_outbound(
            session,
            tenant=now.tenant,
            contact_id=now.conversation.contact_id,
            body=_clip(text),
            sender=Sender.otto,
            kind=MessageKind.automated,
            in_reply_to_id=now.trigger.id,
            session_id=now.conversation.id,
            channel=now.conversation.channel,
        )
    except OptedOut:
        return AutoReplyResult(skipped="the customer opted out", outcomes=agent.outcomes)
    return result


def customer_system_prompt(tenant: Tenant) -> str:
    zone = tenant.zone
    now = utcnow().astimezone(zone)
    return "\n".join(
        [
            f"You answer text messages from customers of {tenant.name}, a home-services "
            "company (roofing, HVAC, solar, windows), on behalf of its team.",
            f"Today is {format_day(now)}; it is {format_time(now)} in the company's time zone "
            f"({zone.key}). Give every time in that zone.",
            "",
            "Rules:",
            "- Look facts up with the tools. State an appointment time, address, rep name or "
            "price only if a tool returned it; otherwise say the team will follow up.",
            "- You cannot change, cancel or book appointments. For those, and for pricing or "
            "quote questions, create a task for the team and tell the customer someone will "
            "reach out to confirm. Never say a change has been made.",
            "- Never guess when a rep will arrive; say what the appointment record shows.",
            "- If you cannot help from the tools, call hand_to_human and tell the customer a "
            "person will get back to them.",
            "- Never share internal notes. Reply like a friendly person texting: one to three "
            "short sentences, no lists, no markdown.",
        ]
    )


# --- the conversation -----------------------------------------------------------------------


@dataclass
class _Conversation:
    """What the reply is written from: the company, the session, its last messages and the
    customer's message being answered."""

    tenant: Tenant
    conversation: MessagingSession
    history: list[Message]
    trigger: Message


async def _conversation(
    session: AsyncSession, tenant_id: uuid.UUID, session_id: uuid.UUID, message_id: uuid.UUID
) -> _Conversation | str:
    """The conversation as it stands, or why the message should not be answered (now)."""
    try:
        wanted = await should_auto_reply(session, tenant_id, session_id, message_id)
    except NotFound:
        return "the message is gone"
    if not wanted:
        return "off, taken over, opted out or superseded by a newer text"
    tenant = await get_tenant(session, tenant_id)
    conversation = await get_session(session, tenant_id, session_id)
    history = await _recent_messages(session, conversation)
    trigger = next((m for m in history if m.id == message_id), None)
    if trigger is None or trigger.direction != Direction.inbound:
        return "not a customer message of this conversation"
    if _answered(trigger, history):
        return "already answered"
    return _Conversation(tenant, conversation, history, trigger)


async def _conversation_again(session: AsyncSession, before: _Conversation) -> _Conversation | str:
    """`_conversation` once the model has answered, in the reply's own transaction. The
    company and the session are read afresh (the session keeps what it loaded before)."""
    await session.refresh(before.tenant)
    await session.refresh(before.conversation)
    return await _conversation(session, before.tenant.id, before.conversation.id, before.trigger.id)


def _rounds_commit(ctx: ToolContext) -> ToolScope:
    """Each round of tool calls commits on its own (a task a tool opened stays open), so no
    transaction is left open while the model reads the results."""

    @asynccontextmanager
    async def scope() -> AsyncIterator[ToolContext]:
        try:
            yield ctx
        except BaseException:
            await ctx.session.rollback()
            raise
        await ctx.session.commit()

    return scope


async def _recent_messages(session: AsyncSession, conversation: MessagingSession) -> list[Message]:
    """The conversation's last messages, oldest first."""
    return await recent_messages(session, conversation, HISTORY_LIMIT)


def _answered(trigger: Message, history: list[Message]) -> bool:
    """This job already replied (a re-run), or a person wrote after the customer. An AI reply
    to an earlier text that landed after this one does not count: it did not see this text."""
    return any(
        m.direction == Direction.outbound
        and (
            m.in_reply_to_id == trigger.id
            or (m.kind == MessageKind.manual and m.created_at >= trigger.created_at)
        )
        for m in history
    )


def _as_model_message(message: Message) -> ModelMessage:
    text = message.body or ""
    if message.media:
        text = f"{text} [sent {len(message.media)} attachment(s)]".strip()
    if message.direction == Direction.inbound:
        return ModelMessage(role="user", content=text)
    return ModelMessage(role="assistant", content=text)


async def _hand_off(ctx: ToolContext, reason: str, trigger: Message) -> None:
    """The team answers instead, as if the model had called `hand_to_human`."""
    await hand_off(ctx, reason, f'The customer wrote: "{trigger.body[:500]}"')


def _clip(text: str) -> str:
    if len(text) <= MAX_REPLY_CHARS:
        return text
    cut = text[:MAX_REPLY_CHARS]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    return cut[: end + 1] if end > 0 else cut.rstrip() + "\u2026"


# --- grounding ------------------------------------------------------------------------------
# The built-in model only ever repeats what tools returned; any other model might not. So
# before a reply goes out, every clock time and money amount in it must appear in the
# contact's records, a tool result or the customer's own words, and it must not claim an
# appointment was changed. Otherwise the customer gets a neutral reply and the team a task.

_TIME = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s?m\b\.?|\b(\d{1,2}):(\d{2})\b", re.I)
_MONEY = re.compile(
    r"\$\s?(\d[\d,]*(?:\.\d{1,2})?)|\b(\d[\d,]*(?:\.\d{1,2})?)\s*(?:dollars|usd)\b", re.I
)
_DONE_CLAIM = re.compile(
    r"\b(?:i'?ve|i have|we'?ve|we have|has been|have been|it'?s been|is now|are now)\s+"
    r"(?:now\s+|been\s+|all\s+|just\s+)?(?:rescheduled|cancell?ed|moved|booked)\b",
    re.I,
)


def _times(text: str) -> set[str]:
    found = set()
    for match in _TIME.finditer(text):
        if match.group(1):
            hour, minute, half = int(match.group(1)), match.group(2) or "00", match.group(3)
            found.add(f"{hour % 12 or 12}:{minute} {half.upper()}M")
        else:
            # A bare 14:00 or 2:00: compare on the 12-hour clock face.
            hour, minute = int(match.group(4)), match.group(5)
            found.add(f"{hour % 12 or 12}:{minute}")
    return found


def _amounts(text: str) -> set[str]:
    found = set()
    for match in _MONEY.finditer(text):
        raw = (match.group(1) or match.group(2)).replace(",", "")
        found.add(f"{float(raw):.2f}")
    return found


def _face(time: str) -> str:
    return time.split(" ")[0]


async def ungrounded_claims(
    ctx: ToolContext, text: str, history: list[Message], outcomes: list[ToolOutcome]
) -> list[str]:
    """What in `text` the records do not back: times, amounts, claims of a change made."""
    problems = []
    if _DONE_CLAIM.search(text):
        problems.append("it claimed an appointment was changed")
    said_times, said_amounts = _times(text), _amounts(text)
    if not said_times and not said_amounts:
        return problems
    known = [str(o.result) for o in outcomes]
    known += [m.body for m in history if m.direction == Direction.inbound]
    if ctx.contact_id is not None:
        zone = ctx.tenant.zone
        for appointment in await upcoming_appointments(ctx, ctx.contact_id):
            known += [
                format_when(appointment.starts_at, zone),
                format_when(appointment.ends_at, zone),
            ]
    corpus = " ".join(known)
    known_times, known_amounts = _times(corpus), _amounts(corpus)
    known_faces = {_face(t) for t in known_times}
    for time in sorted(said_times):
        if time not in known_times and (" " in time or time not in known_faces):
            problems.append(f"the time {time} is not in the records")
    for amount in sorted(said_amounts - known_amounts):
        problems.append(f"the amount ${amount} is not in the records")
    return problems
