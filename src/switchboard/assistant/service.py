"""The staff assistant: conversations and their history (`ConversationService`, which never
commits), and the chat turn (`Assistant`), which runs the agent loop over the staff tools.

A turn is the one place that commits on its own, in steps: the user's message first (so a
model failure loses nothing), each round of tool calls, then the reply. No transaction is
held open while the model thinks, and nothing is kept in memory between requests: every
turn reads its history and the day's operations from the database. A turn can be stopped
from any process: the request travels over the event bus to the turn, wherever it runs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic_core import to_jsonable_python
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.ai.agent import (
    AgentDone,
    AgentEvent,
    AgentResult,
    ToolFinished,
    ToolScope,
    ToolStarted,
    stream_agent,
)
from switchboard.ai.model import (
    Audience,
    ChatModel,
    ModelError,
    ModelMessage,
    TextDelta,
    ToolCall,
    Usage,
    estimate_tokens,
)
from switchboard.ai.prompts import staff_system_prompt
from switchboard.ai.toolbox import Toolbox, ToolContext, ToolOutcome
from switchboard.assistant.models import ChatMessage, ChatMessageStatus, ChatRole, Conversation
from switchboard.assistant.repository import ChatMessageRepository, ConversationRepository
from switchboard.assistant.schemas import ChatMessageRead, ConversationCreate, ConversationUpdate
from switchboard.config import Settings
from switchboard.crm.service import AppointmentFilters, AppointmentService
from switchboard.dashboards.digest import build_digest
from switchboard.dashboards.timeframe import named_span
from switchboard.kit.clock import utcnow
from switchboard.kit.db import Database, dialect_of
from switchboard.kit.errors import InvalidField, NotFound
from switchboard.kit.events import Event
from switchboard.kit.pagination import PageParams
from switchboard.kit.ratelimit import RateLimiter
from switchboard.tenancy.models import Tenant, User
from switchboard.tenancy.service import get_tenant

log = logging.getLogger(__name__)

TITLE_CHARS = 60
PREVIEW_CHARS = 140
SNIPPET_CHARS = 160
HISTORY_MAX_MESSAGES = 40
HISTORY_TOKEN_BUDGET = 6_000
HISTORY_TOOL_RESULT_CHARS = 1_500
MAX_SEQ = 2**31 - 1  # seq is a 32-bit integer column
STOP_EVENT = "assistant.turn.stop"  # on the event bus: {"message_id": the turn's question}


# --- text helpers -------------------------------------------------------------------------


def _flat(text: str) -> str:
    return " ".join(text.split())


def shorten(text: str, chars: int) -> str:
    """At most `chars` characters, cut at a word boundary with an ellipsis."""
    flat = _flat(text)
    if len(flat) <= chars:
        return flat
    cut = flat[: chars - 1]
    if " " in cut[chars // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-") + "…"


def title_from(message: str) -> str:
    """A chat's title from its first message: the first line, about six words' worth."""
    first_line = next((line for line in message.splitlines() if line.strip()), message)
    title = shorten(first_line, TITLE_CHARS).rstrip("?!.")
    title = title[:1].upper() + title[1:]
    return title or "New conversation"


def preview_of(content: str) -> str:
    return shorten(content, PREVIEW_CHARS)


def snippet(content: str, query: str, chars: int = SNIPPET_CHARS) -> str:
    """The part of `content` around the first word of `query` it contains."""
    flat = _flat(content)
    if len(flat) <= chars:
        return flat
    lowered = flat.lower()
    positions = [lowered.find(word[:5].lower()) for word in re.findall(r"\w+", query)]
    found = [p for p in positions if p >= 0]
    start = max(0, min(found) - chars // 3) if found else 0
    if start and " " in flat[start : start + 20]:
        start = flat.index(" ", start) + 1
    piece = shorten(flat[start:], chars)
    return ("…" + piece) if start else piece


def jsonable(value: Any) -> Any:
    """Tool results and the digest hold datetimes, UUIDs, enums: stored as JSON."""
    return to_jsonable_python(value, fallback=str)


# --- conversations ------------------------------------------------------------------------


class ConversationService:
    """A user's own conversations. Someone else's (or a deleted one) is NotFound."""

    def __init__(self, session: AsyncSession, user: User) -> None:
        self.session = session
        self.user = user
        self.repo = ConversationRepository(session, user.tenant_id)
        self.messages = ChatMessageRepository(session, user.tenant_id)

    async def get(self, ident: uuid.UUID, *, for_update: bool = False) -> Conversation:
        return await self.repo.get_owned(ident, self.user.id, for_update=for_update)

    async def list_page(
        self, params: PageParams, title: str | None = None, *, descending: bool = True
    ) -> tuple[list[Conversation], str | None]:
        """Pinned first, then latest activity (`descending=False`: the reverse order);
        `title`: only titles holding all its words."""
        return await self.repo.list_owned(self.user.id, params, title, descending=descending)

    async def most_recent(self) -> Conversation | None:
        return await self.repo.latest_owned(self.user.id)

    async def create(
        self, data: ConversationCreate, *, ident: uuid.UUID | None = None
    ) -> Conversation:
        """A new conversation; `ident` when the caller chose its id (a ChatKit thread's)."""
        conversation = self.repo.add(
            Conversation(
                **({"id": ident} if ident is not None else {}),
                owner_id=self.user.id,
                title=data.title or "New conversation",
                title_is_auto=data.title is None,
                message_count=0,
                last_message_at=utcnow(),
                pinned=False,
            )
        )
        await self.session.flush()
        return conversation

    async def update(self, ident: uuid.UUID, data: ConversationUpdate) -> Conversation:
        conversation = await self.get(ident)
        changes = data.changes()
        if "title" in changes:
            conversation.title = changes["title"]
            conversation.title_is_auto = False
        if "pinned" in changes:
            conversation.pinned = changes["pinned"]
        await self.session.flush()
        return conversation

    async def delete(self, ident: uuid.UUID) -> None:
        conversation = await self.get(ident)
        conversation.deleted_at = utcnow()
        await self.session.flush()

    async def append(
        self, conversation: Conversation, role: ChatRole, content: str, **fields: Any
    ) -> ChatMessage:
        """Add the next message (seq = max + 1) and keep the conversation's count, last
        activity and preview current, without reading its history. The caller holds the
        conversation row (`get(for_update=True)`) so concurrent appends take turns."""
        seq = await self.messages.next_seq(conversation.id)
        message = self.messages.add(
            ChatMessage(
                conversation_id=conversation.id, seq=seq, role=role, content=content, **fields
            )
        )
        if role == ChatRole.user and conversation.title_is_auto and seq == 1:
            conversation.title = title_from(content)
        conversation.message_count = conversation.message_count + 1
        conversation.last_message_at = utcnow()
        conversation.last_message_preview = preview_of(content) or None
        await self.session.flush()
        return message

    async def history(
        self,
        ident: uuid.UUID,
        limit: int,
        before: str | None = None,
        since: str | None = None,
    ) -> tuple[list[ChatMessage], str | None]:
        """A page of messages, oldest first: the latest, those before `before`, or (polling)
        those after `since`. Both take a message id or a seq."""
        conversation = await self.get(ident)
        if before is not None and since is not None:
            raise InvalidField("since", "give before or since, not both", location="query")
        if since is not None:
            since_seq = await self._seq(conversation.id, since, "since")
            rows, more = await self.messages.after(conversation.id, since_seq, limit)
            return rows, (str(rows[-1].seq) if more else None)
        before_seq = await self._seq(conversation.id, before, "before") if before else None
        rows, more = await self.messages.before(conversation.id, limit, before_seq)
        return rows, (str(rows[0].seq) if more and rows else None)

    async def message(self, ident: uuid.UUID, message_id: uuid.UUID) -> ChatMessage:
        """One message of one of the user's conversations."""
        conversation = await self.get(ident)
        found = await self.messages.find(message_id, self.messages.of(conversation.id))
        if found is None:
            raise NotFound.of("message", message_id)
        return found

    async def _seq(self, conversation_id: uuid.UUID, raw: str, field: str) -> int:
        value = raw.strip()
        if value.isdigit():
            return min(int(value), MAX_SEQ)
        try:
            message_id = uuid.UUID(value)
        except ValueError:
            raise InvalidField(field, "a message id or seq", location="query") from None
        seq = await self.messages.seq_of(conversation_id, message_id)
        if seq is None:
            raise InvalidField(field, "no such message in this conversation", location="query")
        return seq

    async def search(
        self, text: str, params: PageParams
    ) -> tuple[list[tuple[ChatMessage, str]], str | None]:
        """Messages matching every word of `text`, best first, with their conversation's
        title, a page at a time."""
        dialect = dialect_of(self.session)
        return await self.messages.search(self.user.id, text, dialect, params)

    async def export(self, ident: uuid.UUID) -> tuple[Conversation, list[ChatMessage]]:
        conversation = await self.get(ident)
        return conversation, await self.messages.all_of(conversation.id)

    async def suggestions(self) -> list[str]:
        """Questions worth asking right now, from the user's own digest."""
        operations = await build_digest(self.session, self.user)
        tomorrow = await self._appointments_tomorrow()
        return suggest_questions(operations, tomorrow)

    async def _appointments_tomorrow(self) -> int:
        tenant = await get_tenant(self.session, self.user.tenant_id)
        day = named_span("tomorrow", utcnow(), tenant.zone)
        rows, more = await AppointmentService(self.session, self.user).list_page(
            AppointmentFilters(starts_after=day.start, starts_before=day.end), PageParams(limit=1)
        )
        return len(rows) + (1 if more else 0)


def _count(operations: dict[str, Any], *path: str) -> int:
    value: Any = operations
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if isinstance(value, list):
        return len(value)
    return value if isinstance(value, int) else 0


STANDING_QUESTIONS = (
    "What's most urgent today?",
    "Who do I need to follow up with?",
    "What appointments do I have tomorrow?",
    "Help me plan my next 2 hours",
    "Create a task to call a customer back tomorrow at 10am",
)


def suggest_questions(operations: dict[str, Any], appointments_tomorrow: int) -> list[str]:
    """Four to six questions: the situation's first, then standing ones to fill up."""
    overdue = _count(operations, "tasks", "overdue")
    waiting = _count(operations, "unanswered_messages", "count")
    leads = _count(operations, "follow_ups_due", "leads_not_contacted", "count")
    due_tasks = _count(operations, "follow_ups_due", "tasks")
    today = _count(operations, "appointments_today", "count")
    open_tasks = _count(operations, "tasks", "open") + overdue
    role = str((operations.get("for") or {}).get("role", ""))

    picked: list[str] = []
    if overdue:
        picked.append("Which of my overdue tasks should I tackle first?")
    if waiting:
        picked.append("Which customers are waiting on a reply?")
    if leads or due_tasks:
        picked.append("Who do I need to follow up with?")
    if today:
        picked.append("Help me plan my next 2 hours")
    if appointments_tomorrow:
        picked.append("What appointments do I have tomorrow?")
    if open_tasks >= 5 and role in ("manager", "admin", "csr"):
        picked.append("What can I delegate?")
    for question in STANDING_QUESTIONS:
        if len(picked) >= 4:
            break
        if question not in picked:
            picked.append(question)
    return picked[:6]


def export_markdown(conversation: Conversation, messages: list[ChatMessage]) -> str:
    """A conversation as a Markdown document: each message with its time and tool calls."""
    lines = [
        f"# {conversation.title}",
        "",
        f"_{conversation.message_count} messages, exported "
        f"{utcnow().strftime('%Y-%m-%d %H:%M')} UTC._",
    ]
    for message in messages:
        who = "You" if message.role == ChatRole.user else "Assistant"
        when = message.created_at.strftime("%Y-%m-%d %H:%M UTC")
        lines += ["", f"## {who} · {when}", ""]
        for call in message.tool_calls:
            arguments = json.dumps(call.get("arguments") or {}, default=str)
            lines.append(
                f"- tool `{call.get('name')}` {arguments} → {call.get('status')} "
                f"({call.get('duration_ms', 0)} ms)"
            )
        if message.tool_calls:
            lines.append("")
        lines.append(message.content)
        if message.status == ChatMessageStatus.error:
            lines += ["", f"_(failed: {message.error})_"]
    return "\n".join(lines) + "\n"


# --- the chat turn -----------------------------------------------------------------------


@dataclass(frozen=True)
class TurnEvent:
    """One step of a turn, as sent to a streaming client."""

    type: Literal[
        "user_message", "tool_call_started", "tool_call_finished", "text_delta", "error", "done"
    ]
    data: dict[str, Any]


@dataclass
class TurnResult:
    user_message: ChatMessage
    assistant_message: ChatMessage


@dataclass
class _Prepared:
    messages: list[ModelMessage]
    context: dict[str, Any]
    tenant: Tenant
    digest: dict[str, Any]  # the user's operations, as the system prompt states them


@dataclass
class _Progress:
    shown: list[str] = field(default_factory=list)
    outcomes: list[ToolOutcome] = field(default_factory=list)
    context: dict[str, Any] | None = None
    result: AgentResult | None = None
    error: str | None = None
    stopped: bool = False


class TurnStopped(Exception):
    """The user stopped the turn; what was said until then is its reply."""


class Assistant:
    """Runs chat turns for staff: one per message sent."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        model: ChatModel,
        toolbox: Toolbox,
        *,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.model = model
        self.toolbox = toolbox
        self.limiter = limiter

    async def start(
        self,
        user: User,
        conversation_id: uuid.UUID,
        content: str,
        *,
        message_id: uuid.UUID | None = None,
        admitted: bool = False,
    ) -> Turn:
        """Count the message against the user's limit and commit it, before any model runs.
        `admitted`: the caller already counted it (`admit`); `message_id`: the id the
        caller announced for it (a ChatKit item's)."""
        if not admitted:
            await self.admit(user)
        async with self.db.transaction() as session:
            service = ConversationService(session, user)
            conversation = await service.get(conversation_id, for_update=True)
            fields = {"id": message_id} if message_id is not None else {}
            message = await service.append(conversation, ChatRole.user, content, **fields)
        return Turn(self, user, conversation_id, message)

    async def create(
        self, user: User, data: ConversationCreate
    ) -> tuple[Conversation, Turn | None]:
        """A new conversation, and the turn of its first message when it has one."""
        if data.message:
            await self.admit(user)
        async with self.db.transaction() as session:
            service = ConversationService(session, user)
            conversation = await service.create(data)
            if not data.message:
                return conversation, None
            message = await service.append(conversation, ChatRole.user, data.message)
        return conversation, Turn(self, user, conversation.id, message)

    async def open_conversation(
        self, user: User, data: ConversationCreate
    ) -> tuple[Conversation, TurnResult | None]:
        """A new conversation, with the answer to its first message when it has one."""
        conversation, turn = await self.create(user, data)
        if turn is None:
            return conversation, None
        result = await turn.run()
        # Read back: the first turn named the conversation and counted its messages.
        return await self.conversation(user, conversation.id), result

    async def conversation(self, user: User, conversation_id: uuid.UUID) -> Conversation:
        async with self.db.transaction() as session:
            return await ConversationService(session, user).get(conversation_id)

    async def stop(self, user: User, conversation_id: uuid.UUID, message_id: uuid.UUID) -> None:
        """Ask the turn answering `message_id` (the user's question) to stop, in whichever
        process runs it. A turn that already ended is left as it is."""
        async with self.db.transaction() as session:
            service = ConversationService(session, user)
            conversation = await service.get(conversation_id)
            if await service.messages.seq_of(conversation.id, message_id) is None:
                raise NotFound.of("message", message_id)
        if self.db.bus is not None:
            data = {"message_id": str(message_id)}
            await self.db.bus.publish(Event(STOP_EVENT, user.tenant_id, data))

    async def admit(self, user: User) -> None:
        """Count one message against the user's rate limit, or raise RateLimited."""
        if self.limiter is not None:
            await self.limiter.hit(str(user.id))


# Turns whose streaming client went away: they finish anyway and keep a reference here.
_DETACHED: set[asyncio.Task[None]] = set()


class Turn:
    def __init__(
        self, assistant: Assistant, user: User, conversation_id: uuid.UUID, message: ChatMessage
    ) -> None:
        self.assistant = assistant
        self.user = user
        self.conversation_id = conversation_id
        self.user_message = message
        # The reply's id, chosen now so a client can name the reply while it streams.
        self.reply_id = uuid.uuid4()
        self.assistant_message: ChatMessage | None = None
        self._stop = asyncio.Event()
        self._in_tools = False  # a round of tool calls is running (in its transaction)

    def stop(self) -> None:
        """Stop at once, or when the running round of tool calls has committed."""
        self._stop.set()

    async def run(self) -> TurnResult:
        """The whole turn; the reply (or the stored error) once it is done."""
        async for _ in self.events():
            pass
        return self._result()

    async def stream(self) -> AsyncIterator[TurnEvent]:
        """The turn's events as they happen. The turn runs on its own task, so a client that
        disconnects mid-answer still finds the reply stored when it comes back."""
        queue: asyncio.Queue[TurnEvent | None] = asyncio.Queue()

        async def produce() -> None:
            try:
                async for event in self.events():
                    queue.put_nowait(event)
            finally:
                queue.put_nowait(None)

        task = asyncio.create_task(produce(), name=f"assistant-turn-{self.conversation_id}")
        try:
            while (event := await queue.get()) is not None:
                yield event
        finally:
            if not task.done():
                _DETACHED.add(task)
                task.add_done_callback(_DETACHED.discard)
            else:
                await task  # re-raise what the turn raised, if anything

    async def events(self) -> AsyncIterator[TurnEvent]:
        with self._stoppable():
            async for event in self._events():
                yield event

    @contextlib.contextmanager
    def _stoppable(self) -> Iterator[None]:
        """Listen on the event bus for a stop request naming this turn while it runs."""
        bus = self.assistant.db.bus
        if bus is None:
            yield
            return
        subscription = bus.subscribe(self.user.tenant_id)
        wanted = str(self.user_message.id)

        async def listen() -> None:
            async for event in subscription:
                if event.type == STOP_EVENT and event.data.get("message_id") == wanted:
                    self.stop()

        listener = asyncio.create_task(listen(), name=f"assistant-stop-{wanted}")
        try:
            yield
        finally:
            bus.unsubscribe(subscription)  # ends `listen`
            listener.cancel()

    async def _until_stopped(self, agent: AsyncIterator[AgentEvent]) -> AsyncIterator[AgentEvent]:
        """The agent's events until it ends or the user stops the turn. The model's work is
        cancelled at once; a round of tool calls finishes and commits first (the tool scope
        raises TurnStopped then), so what a listed tool did is really done."""
        stopping = asyncio.ensure_future(self._stop.wait())
        step: asyncio.Future[AgentEvent] | None = None
        try:
            while True:
                step = asyncio.ensure_future(anext(agent))
                await asyncio.wait({step, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not step.done() and not self._in_tools:
                    step.cancel()
                    await asyncio.wait({step})
                    if not step.cancelled():
                        step.exception()  # it ended meanwhile; the stop still wins
                    raise TurnStopped
                try:
                    event = await step
                except StopAsyncIteration:
                    return
                yield event
        finally:
            stopping.cancel()
            if step is not None and not step.done():  # this turn itself was cancelled
                step.cancel()
                await asyncio.wait({step})
            aclose = getattr(agent, "aclose", None)
            if aclose is not None:
                await aclose()

    async def _events(self) -> AsyncIterator[TurnEvent]:
        assistant = self.assistant
        yield TurnEvent("user_message", _message_data(self.user_message))
        started = time.perf_counter()
        progress = _Progress()
        try:
            prepared = await self._prepare()
            progress.context = prepared.context
            scope = self._tool_scope(prepared.tenant, prepared.digest)
            agent = stream_agent(
                assistant.model,
                prepared.messages,
                assistant.toolbox,
                scope,
                audience=Audience.STAFF,
            )
            async for event in self._until_stopped(agent):
                if isinstance(event, TextDelta):
                    progress.shown.append(event.text)
                    yield TurnEvent("text_delta", {"text": event.text})
                elif isinstance(event, ToolStarted):
                    yield TurnEvent("tool_call_started", _call_data(event.call))
                elif isinstance(event, ToolFinished):
                    progress.outcomes.append(event.outcome)
                    yield TurnEvent("tool_call_finished", jsonable(event.outcome.as_record()))
                elif isinstance(event, AgentDone):
                    progress.result = event.result
        except TurnStopped:
            progress.stopped = True
        except ModelError as exc:
            progress.error = str(exc)
        except TimeoutError:
            progress.error = "the model took too long to answer"
        except Exception:
            log.exception("assistant turn failed in conversation %s", self.conversation_id)
            progress.error = "something went wrong on our side while answering"
        latency_ms = int((time.perf_counter() - started) * 1000)
        stored = self.assistant_message = await self._store(progress, latency_ms)
        if progress.error:
            yield TurnEvent("error", {"message": stored.content, "error": progress.error})
        yield TurnEvent("done", self._done_data(progress))

    def _result(self) -> TurnResult:
        assert self.assistant_message is not None, "a finished turn has stored its reply"
        return TurnResult(self.user_message, self.assistant_message)

    async def _prepare(self) -> _Prepared:
        """Read what the model needs, in one short transaction: the recent history within
        the token budget and the user's operations right now."""
        user = self.user
        async with self.assistant.db.transaction() as session:
            tenant = await get_tenant(session, user.tenant_id)
            recent, _ = await ChatMessageRepository(session, tenant.id).before(
                self.conversation_id, HISTORY_MAX_MESSAGES
            )
            operations = jsonable(await build_digest(session, user))
        history, used_tokens, first_seq = model_history(recent, HISTORY_TOKEN_BUDGET)
        zone = tenant.zone
        now_local = utcnow().astimezone(zone)
        prompt = staff_system_prompt(
            user_name=user.name,
            role=str(user.role),
            company=tenant.name,
            now_local=now_local,
            timezone=zone.key,
            operations=operations,
        )
        context = {
            "user": {"id": str(user.id), "name": user.name, "role": str(user.role)},
            "company": tenant.name,
            "timezone": zone.key,
            "now": now_local.isoformat(timespec="minutes"),
            "today": now_local.date().isoformat(),
            "operations": operations,
            "history": {
                "messages": len(history),
                "from_seq": first_seq,
                "tokens": used_tokens,
                "budget": HISTORY_TOKEN_BUDGET,
            },
            "system_prompt_tokens": estimate_tokens(prompt),
        }
        return _Prepared([ModelMessage("system", prompt), *history], context, tenant, operations)

    def _tool_scope(self, tenant: Tenant, digest: dict[str, Any]) -> ToolScope:
        """Rounds of tool calls read the digest `_prepare` built, until a tool writes."""
        assistant, user = self.assistant, self.user
        current: dict[str, Any] | None = digest

        @asynccontextmanager
        async def scope() -> AsyncIterator[ToolContext]:
            nonlocal current
            if self._stop.is_set():
                raise TurnStopped
            # Each round of tool calls commits on its own: what a tool did stays done even
            # if the model fails afterwards, and the reply lists it.
            self._in_tools = True
            try:
                async with assistant.db.transaction() as session:
                    ctx = ToolContext(
                        session=session,
                        tenant=tenant,
                        settings=assistant.settings,
                        user=user,
                        digest=current,
                    )
                    try:
                        yield ctx
                    finally:
                        current = ctx.digest  # dropped if a tool in this round wrote
            finally:
                self._in_tools = False
            if self._stop.is_set():
                raise TurnStopped  # after the commit: the round's work stays done

        return scope

    async def _store(self, progress: _Progress, latency_ms: int) -> ChatMessage:
        result = progress.result
        if progress.error:
            status = ChatMessageStatus.error
            content = (
                f"Sorry, I couldn't answer that: {progress.error}. Your message is saved; "
                "send it again to retry."
            )
        elif progress.stopped:
            status = ChatMessageStatus.stopped
            content = "".join(progress.shown).strip()
        else:
            status = ChatMessageStatus.ok
            content = "".join(progress.shown) or (result.full_text if result else "")
        usage = result.usage if result else Usage()
        async with self.assistant.db.transaction() as session:
            service = ConversationService(session, self.user)
            # Found even if deleted meanwhile: the answer belongs with its question.
            conversation = await service.repo.lock_owned_even_if_deleted(
                self.conversation_id, self.user.id
            )
            if progress.context is not None:
                conversation.context_snapshot = progress.context
            return await service.append(
                conversation,
                ChatRole.assistant,
                content,
                id=self.reply_id,
                status=status,
                tool_calls=[jsonable(o.as_record()) for o in progress.outcomes],
                context=progress.context,
                model=(result.model if result else None) or self.assistant.model.name,
                prompt_tokens=usage.prompt_tokens if result else None,
                completion_tokens=usage.completion_tokens if result else None,
                latency_ms=latency_ms,
                error=progress.error,
            )

    def _done_data(self, progress: _Progress) -> dict[str, Any]:
        message = self.assistant_message
        assert message is not None
        usage = progress.result.usage if progress.result else Usage()
        return {
            "conversation_id": str(self.conversation_id),
            "user_message_id": str(self.user_message.id),
            "assistant_message_id": str(message.id),
            "seq": message.seq,
            "status": str(message.status),
            "model": message.model,
            "usage": {
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "estimated": usage.estimated,
            },
            "latency_ms": message.latency_ms,
            "tool_calls": len(progress.outcomes),
        }


def _message_data(message: ChatMessage) -> dict[str, Any]:
    data: dict[str, Any] = ChatMessageRead.model_validate(message).model_dump(mode="json")
    return data


def _call_data(call: ToolCall) -> dict[str, Any]:
    return {"id": call.id, "name": call.name, "arguments": jsonable(call.arguments)}


# --- history for the model ------------------------------------------------------------------


def _message_tokens(message: ChatMessage) -> int:
    tools = json.dumps(message.tool_calls, default=str)[: 2 * HISTORY_TOOL_RESULT_CHARS]
    return estimate_tokens(message.content) + (estimate_tokens(tools) if message.tool_calls else 0)


def model_history(
    recent: list[ChatMessage], budget: int
) -> tuple[list[ModelMessage], int, int | None]:
    """The newest messages that fit `budget` tokens (the newest always does), as model
    messages with their tool calls and results; failed exchanges are left out. Returns the
    messages, the tokens they take and the first seq used."""
    kept: list[ChatMessage] = []
    for index, message in enumerate(recent):
        answer = recent[index + 1] if index + 1 < len(recent) else None
        if message.status == ChatMessageStatus.error:
            continue
        if (
            message.role == ChatRole.user
            and answer is not None
            and answer.role == ChatRole.assistant
            and answer.status == ChatMessageStatus.error
        ):
            continue
        kept.append(message)
    chosen: list[ChatMessage] = []
    used = 0
    for message in reversed(kept):
        cost = _message_tokens(message)
        if chosen and used + cost > budget:
            break
        chosen.append(message)
        used += cost
    chosen.reverse()
    converted: list[ModelMessage] = []
    for message in chosen:
        converted.extend(_as_model_messages(message))
    return converted, used, (chosen[0].seq if chosen else None)


def _shrunk(value: Any, items: int, chars: int) -> Any:
    if isinstance(value, dict):
        return {key: _shrunk(item, items, chars) for key, item in value.items()}
    if isinstance(value, list):
        kept = [_shrunk(item, items, chars) for item in value[:items]]
        return kept + ([f"... and {len(value) - items} more"] if len(value) > items else [])
    if isinstance(value, str) and len(value) > chars:
        return value[: chars - 1] + "…"
    return value


def fit_json(value: Any, chars: int) -> str:
    """`value` as JSON in at most about `chars` characters, and still JSON: long lists keep
    their first items (the ones the reply showed, so "the second one" still resolves) and
    long strings are cut, rather than the text being cut mid-record."""
    text = json.dumps(value, default=str)
    for items, length in ((10, 300), (5, 160), (5, 60), (3, 40), (1, 40)):
        if len(text) <= chars:
            return text
        text = json.dumps(_shrunk(value, items, length), default=str)
    return text if len(text) <= chars else text[:chars]


def _as_model_messages(message: ChatMessage) -> list[ModelMessage]:
    if message.role == ChatRole.user:
        return [ModelMessage("user", message.content)]
    out: list[ModelMessage] = []
    if message.tool_calls:
        calls = tuple(
            ToolCall(
                id=str(record.get("id") or f"call_{message.seq}_{index}"),
                name=str(record.get("name", "")),
                arguments=record.get("arguments") or {},
            )
            for index, record in enumerate(message.tool_calls)
        )
        out.append(ModelMessage("assistant", "", tool_calls=calls))
        for call, record in zip(calls, message.tool_calls, strict=True):
            out.append(
                ModelMessage(
                    "tool",
                    fit_json(record.get("result"), HISTORY_TOOL_RESULT_CHARS),
                    tool_call_id=call.id,
                    name=call.name,
                )
            )
    if message.content:
        out.append(ModelMessage("assistant", message.content))
    return out
