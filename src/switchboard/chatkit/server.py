"""The ChatKit server: ChatKit's requests answered by the assistant's own turn (the same
agent loop, tools, storage and rules as `POST /api/chat/conversations/{id}/messages`), its
events streamed as ChatKit thread events.

A message is checked before anything is stored: its length (the JSON API's limit) and the
user's rate limit; the thread it names must be the user's own (else ChatKit's not-found
error). ChatKit's stop button stops the turn, which keeps what it had said."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator

from chatkit.errors import CustomStreamError
from chatkit.server import ChatKitServer, NonStreamingResult, StreamingResult
from chatkit.types import (
    AssistantMessageContent,
    AssistantMessageContentPartAdded,
    AssistantMessageContentPartDone,
    AssistantMessageContentPartTextDelta,
    AttachmentsCreateReq,
    AttachmentsDeleteReq,
    ChatKitReq,
    ErrorEvent,
    InputTranscribeReq,
    ItemsFeedbackReq,
    ThreadItem,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemRemovedEvent,
    ThreadItemUpdatedEvent,
    ThreadMetadata,
    ThreadsAddClientToolOutputReq,
    ThreadsAddStructuredInputReq,
    ThreadsAddUserMessageReq,
    ThreadsCreateReq,
    ThreadsCustomActionReq,
    ThreadsRetryAfterItemReq,
    ThreadsSyncCustomActionReq,
    ThreadStreamEvent,
    UserMessageInput,
    UserMessageItem,
)
from pydantic import TypeAdapter, ValidationError

from switchboard.assistant.schemas import MAX_MESSAGE_CHARS, MessageCreate
from switchboard.assistant.service import Turn
from switchboard.chatkit.items import input_text, reply_item, tool_item
from switchboard.chatkit.store import ConversationStore, RequestContext
from switchboard.kit.clock import utcnow
from switchboard.kit.errors import NotFound, RateLimited, SwitchboardError

REQUEST = TypeAdapter[ChatKitReq](ChatKitReq)
RETRY_REFUSED = "Retrying an answer is not supported here: send your message again."
UNSUPPORTED = "This assistant answers text messages only."


class Unsupported(SwitchboardError):
    """A ChatKit request for something the assistant does not offer (files, dictation)."""


def refusal_of_message(message: UserMessageInput) -> str | None:
    """Why a message cannot be sent, in words for the user; None when it can."""
    if message.attachments:
        return "Attachments are not supported: send the message as text."
    text = input_text(message)
    try:
        MessageCreate(content=text)
    except ValidationError as exc:
        if not text:
            return "Type a message first."
        if len(text) > MAX_MESSAGE_CHARS:
            return (
                f"That message is too long: at most {MAX_MESSAGE_CHARS:,} characters "
                f"(this one has {len(text):,})."
            )
        return f"That message cannot be sent: {exc.errors()[0]['msg']}."
    return None


class AssistantChatKitServer(ChatKitServer[RequestContext]):
    def __init__(self) -> None:
        super().__init__(ConversationStore())

    async def process(
        self, request: str | bytes | bytearray, context: RequestContext
    ) -> StreamingResult | NonStreamingResult:
        """Check the request first (ownership, length, rate limit) so that a refused one
        stores nothing, then let ChatKit's own dispatch run it."""
        refusal = await self._check(REQUEST.validate_json(request), context)
        if refusal is not None:
            return StreamingResult(self._only(refusal))
        return await super().process(request, context)

    async def _only(self, event: ErrorEvent) -> AsyncGenerator[bytes, None]:
        yield b"data: " + self._serialize(event) + b"\n\n"

    async def _check(self, request: ChatKitReq, context: RequestContext) -> ErrorEvent | None:
        """An error event to answer instead (a streamed request ChatKit shows the user);
        raises NotFoundError for another user's thread and Unsupported for files."""
        match request:
            case ThreadsCreateReq() | ThreadsAddUserMessageReq():
                if isinstance(request, ThreadsAddUserMessageReq):
                    await self.store.load_thread(request.params.thread_id, context)
                reason = refusal_of_message(request.params.input)
                if reason is not None:
                    return ErrorEvent(message=reason, allow_retry=False)
                try:
                    await context.assistant.admit(context.user)
                except RateLimited as exc:
                    return ErrorEvent(message=exc.message, allow_retry=True)
                context.admitted = True
            case ThreadsRetryAfterItemReq():
                await self.store.load_thread(request.params.thread_id, context)
                return ErrorEvent(message=RETRY_REFUSED, allow_retry=False)
            case (
                ThreadsAddClientToolOutputReq()
                | ThreadsAddStructuredInputReq()
                | ThreadsCustomActionReq()
            ):
                await self.store.load_thread(request.params.thread_id, context)
                return ErrorEvent(message=UNSUPPORTED, allow_retry=False)
            case ThreadsSyncCustomActionReq():
                await self.store.load_thread(request.params.thread_id, context)
                raise Unsupported(UNSUPPORTED)
            case ItemsFeedbackReq():
                await self.store.load_thread(request.params.thread_id, context)
            case AttachmentsCreateReq() | AttachmentsDeleteReq() | InputTranscribeReq():
                raise Unsupported(UNSUPPORTED)
        return None

    async def respond(
        self,
        thread: ThreadMetadata,
        input_user_message: UserMessageItem | None,
        context: RequestContext,
    ) -> AsyncIterator[ThreadStreamEvent]:
        turn = context.turns.pop(input_user_message.id, None) if input_user_message else None
        if turn is None:
            raise CustomStreamError(RETRY_REFUSED)
        context.running = turn
        async for event in turn_events(thread.id, turn):
            yield event
        context.running = None
        try:
            # The first message names the conversation: ChatKit hears of the new title.
            conversation = await context.assistant.conversation(context.user, turn.conversation_id)
        except NotFound:
            return  # deleted while it answered
        thread.title = conversation.title

    async def handle_stream_cancelled(
        self, thread: ThreadMetadata, pending_items: list[ThreadItem], context: RequestContext
    ) -> None:
        """ChatKit's stop: the turn stops and stores what it had said (status `stopped`),
        as the web app's Stop does; nothing half-streamed is stored from here."""
        if context.running is not None:
            context.running.stop()


async def turn_events(thread_id: str, turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
    """The turn's events as ChatKit items: each tool call a task item (added running, done
    with its result), the reply an assistant message streamed as text deltas and done with
    the text as stored (on a model failure, the stored apology)."""
    reply_id = str(turn.reply_id)
    text_open = False
    tools = 0
    async for event in turn.stream():
        data = event.data
        if event.type == "text_delta":
            if not text_open:
                text_open = True
                yield ThreadItemAddedEvent(item=reply_item(thread_id, turn.reply_id, utcnow(), ""))
                yield ThreadItemUpdatedEvent(
                    item_id=reply_id,
                    update=AssistantMessageContentPartAdded(
                        content_index=0, content=AssistantMessageContent(text="")
                    ),
                )
            yield ThreadItemUpdatedEvent(
                item_id=reply_id,
                update=AssistantMessageContentPartTextDelta(content_index=0, delta=data["text"]),
            )
        elif event.type == "tool_call_started":
            item = tool_item(
                thread_id, turn.reply_id, tools, utcnow(), data["name"], data["arguments"]
            )
            yield ThreadItemAddedEvent(item=item)
        elif event.type == "tool_call_finished":
            # Tool calls run one at a time: this one finishes the call that started last.
            yield ThreadItemDoneEvent(
                item=tool_item(
                    thread_id,
                    turn.reply_id,
                    tools,
                    utcnow(),
                    str(data.get("name", "")),
                    data.get("arguments") or {},
                    data,
                )
            )
            tools += 1
        elif event.type == "done":
            stored = turn.assistant_message
            assert stored is not None, "a finished turn has stored its reply"
            if stored.content:
                done = reply_item(thread_id, stored.id, stored.created_at, stored.content)
                if text_open:
                    yield ThreadItemUpdatedEvent(
                        item_id=reply_id,
                        update=AssistantMessageContentPartDone(
                            content_index=0, content=done.content[0]
                        ),
                    )
                yield ThreadItemDoneEvent(item=done)
            elif text_open:
                yield ThreadItemRemovedEvent(item_id=reply_id)
