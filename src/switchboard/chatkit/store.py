"""ChatKit's `Store` over the assistant's conversations: each call is one short transaction
through `ConversationService`, as the request's own user, so ChatKit sees only that user's
live conversations. A thread is a conversation (same id); its items are its messages."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from chatkit.store import NotFoundError, Store, StoreItemType
from chatkit.types import Attachment, Page, ThreadItem, ThreadMetadata, UserMessageItem
from pydantic import ValidationError

from switchboard.assistant.models import ChatMessage, Conversation
from switchboard.assistant.schemas import MAX_HISTORY_PAGE, ConversationCreate, ConversationUpdate
from switchboard.assistant.service import Assistant, ConversationService, Turn
from switchboard.chatkit.items import (
    ItemRef,
    input_text,
    message_items,
    parse_item_id,
    position,
)
from switchboard.kit.errors import InvalidField, NotFound
from switchboard.kit.pagination import PageParams
from switchboard.tenancy.models import User

DEFAULT_PAGE = 20


@dataclass
class RequestContext:
    """One ChatKit request: who asks, the assistant that answers, and what this request
    started (threads it named, turns it opened) so the store and `respond` agree."""

    user: User
    assistant: Assistant
    admitted: bool = False  # the request's message was counted against the rate limit
    new_threads: set[str] = field(default_factory=set)
    turns: dict[str, Turn] = field(default_factory=dict)  # user message item id -> its turn
    running: Turn | None = None


def thread_uuid(thread_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(thread_id)
    except ValueError:
        raise NotFoundError(f"thread {thread_id} not found") from None


def thread_metadata(conversation: Conversation) -> ThreadMetadata:
    return ThreadMetadata(
        id=str(conversation.id), title=conversation.title, created_at=conversation.created_at
    )


def page_size(limit: int | None) -> int:
    return max(1, min(limit or DEFAULT_PAGE, MAX_HISTORY_PAGE))


class ConversationStore(Store[RequestContext]):
    def generate_thread_id(self, context: RequestContext) -> str:
        ident = str(uuid.uuid4())
        context.new_threads.add(ident)  # save_thread creates these, and only these
        return ident

    def generate_item_id(
        self, item_type: StoreItemType, thread: ThreadMetadata, context: RequestContext
    ) -> str:
        return str(uuid.uuid4())  # a user message item's id becomes its message's id

    @asynccontextmanager
    async def _service(self, context: RequestContext) -> AsyncIterator[ConversationService]:
        async with context.assistant.db.transaction() as session:
            yield ConversationService(session, context.user)

    @staticmethod
    async def _owned(service: ConversationService, thread_id: str) -> Conversation:
        try:
            return await service.get(thread_uuid(thread_id))
        except NotFound:
            raise NotFoundError(f"thread {thread_id} not found") from None

    # --- threads ---------------------------------------------------------------------------

    async def load_thread(self, thread_id: str, context: RequestContext) -> ThreadMetadata:
        async with self._service(context) as service:
            return thread_metadata(await self._owned(service, thread_id))

    async def save_thread(self, thread: ThreadMetadata, context: RequestContext) -> None:
        """Creates the thread this request named; otherwise a rename (the only change a
        ChatKit client can make to a thread)."""
        async with self._service(context) as service:
            if thread.id in context.new_threads:
                context.new_threads.discard(thread.id)
                await service.create(
                    ConversationCreate(title=thread.title), ident=thread_uuid(thread.id)
                )
                return
            conversation = await self._owned(service, thread.id)
            if thread.title is None or thread.title == conversation.title:
                return
            try:
                changes = ConversationUpdate(title=thread.title)
            except ValidationError as exc:
                raise InvalidField("title", exc.errors()[0]["msg"]) from None
            await service.update(conversation.id, changes)

    async def load_threads(
        self, limit: int, after: str | None, order: str, context: RequestContext
    ) -> Page[ThreadMetadata]:
        """The list the assistant page shows (pinned first, latest activity first); `asc`
        walks it from the other end. `after` is the previous page's cursor."""
        params = PageParams(limit=page_size(limit), cursor=after)
        async with self._service(context) as service:
            rows, cursor = await service.list_page(params, descending=order != "asc")
        return Page(
            data=[thread_metadata(row) for row in rows], has_more=cursor is not None, after=cursor
        )

    async def delete_thread(self, thread_id: str, context: RequestContext) -> None:
        async with self._service(context) as service:
            conversation = await self._owned(service, thread_id)
            await service.delete(conversation.id)  # soft: gone from every list

    # --- items -----------------------------------------------------------------------------

    async def load_thread_items(
        self,
        thread_id: str,
        after: str | None,
        limit: int,
        order: str,
        context: RequestContext,
    ) -> Page[ThreadItem]:
        """A page of items, oldest first (`asc`) or newest first (`desc`), after the item
        `after` names. Messages are read a page at a time by seq, never all at once."""
        limit = page_size(limit)
        ascending = order == "asc"
        async with self._service(context) as service:
            conversation = await self._owned(service, thread_id)
            items: list[ThreadItem] = []
            seq: int | None = None
            if after:
                message, ref = await self._message_of(service, conversation.id, after)
                own = message_items(thread_id, message)
                at = position(message, ref)
                items.extend(own[at + 1 :] if ascending else reversed(own[:at]))
                seq = message.seq
            while len(items) <= limit:
                if ascending:
                    rows, more = await service.history(
                        conversation.id, limit + 1, since=str(seq or 0)
                    )
                else:
                    rows, more = await service.history(
                        conversation.id, limit + 1, before=str(seq) if seq else None
                    )
                    rows.reverse()
                for row in rows:
                    expanded = message_items(thread_id, row)
                    items.extend(expanded if ascending else reversed(expanded))
                if not rows or more is None:
                    break
                seq = rows[-1].seq
        page = items[:limit]
        return Page(data=page, has_more=len(items) > limit, after=page[-1].id if page else None)

    @staticmethod
    async def _message_of(
        service: ConversationService, conversation_id: uuid.UUID, item_id: str
    ) -> tuple[ChatMessage, ItemRef]:
        ref = parse_item_id(item_id)
        if ref is None:
            raise NotFoundError(f"item {item_id} not found")
        try:
            message = await service.message(conversation_id, ref.message_id)
        except NotFound:
            raise NotFoundError(f"item {item_id} not found") from None
        return message, ref

    async def load_item(self, thread_id: str, item_id: str, context: RequestContext) -> ThreadItem:
        async with self._service(context) as service:
            conversation = await self._owned(service, thread_id)
            message, _ = await self._message_of(service, conversation.id, item_id)
        for item in message_items(thread_id, message):
            if item.id == item_id:
                return item
        raise NotFoundError(f"item {item_id} not found")

    async def add_thread_item(
        self, thread_id: str, item: ThreadItem, context: RequestContext
    ) -> None:
        """A user's message starts a turn: stored and committed here, before any model
        runs, and answered by `respond`. The items a turn streams are its own records,
        which the turn stores itself; anything else ChatKit would keep has no place here."""
        if not isinstance(item, UserMessageItem):
            return
        try:
            turn = await context.assistant.start(
                context.user,
                thread_uuid(thread_id),
                input_text(item),
                message_id=uuid.UUID(item.id),
                admitted=context.admitted,
            )
        except NotFound:
            raise NotFoundError(f"thread {thread_id} not found") from None
        context.admitted = False
        context.turns[item.id] = turn

    async def save_item(self, thread_id: str, item: ThreadItem, context: RequestContext) -> None:
        """Stored messages are history: a client cannot rewrite them."""

    async def delete_thread_item(
        self, thread_id: str, item_id: str, context: RequestContext
    ) -> None:
        """Stored messages are history: a client cannot remove them."""

    # --- attachments (not offered: the assistant reads text) -------------------------------

    async def save_attachment(self, attachment: Attachment, context: RequestContext) -> None:
        raise NotFoundError("attachments are not supported")

    async def load_attachment(self, attachment_id: str, context: RequestContext) -> Attachment:
        raise NotFoundError(f"attachment {attachment_id} not found")

    async def delete_attachment(self, attachment_id: str, context: RequestContext) -> None:
        raise NotFoundError(f"attachment {attachment_id} not found")
