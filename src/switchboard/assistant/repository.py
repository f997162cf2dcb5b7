"""Every assistant query. A conversation is only ever read through its owner, and a
conversation's messages are read by `seq` ranges, so a long chat costs what a short one does."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, Select, and_, func, literal_column, or_, select, table
from sqlalchemy.orm import InstrumentedAttribute

from switchboard.assistant.models import ChatMessage, Conversation
from switchboard.kit.pagination import PageParams, decode_values, encode_values
from switchboard.kit.repository import Repository

# The same expression as the GIN index (migration 0002), constant config inlined as a
# regconfig literal: a bound parameter would not match the index expression.
_PG_CONFIG: ColumnElement[Any] = literal_column("'english'::regconfig")
_FTS_TABLE = table("chat_messages_fts")
_WORD = re.compile(r"\w+", re.UNICODE)


def title_words(text: str) -> list[str]:
    """The words of a title search as LIKE patterns; `_` is a word character, so escaped."""
    words = (word.lower().replace("_", "\\_") for word in _WORD.findall(text))
    return ["%" + word + "%" for word in words][:32]


def fts5_query(text: str) -> str | None:
    """The user's words as FTS5 string tokens ("a" "b": every word must occur), so quotes,
    operators and column filters in the input are just text. None when there are no words."""
    words = _WORD.findall(text)
    if not words:
        return None
    return " ".join('"' + word.replace('"', '""') + '"' for word in words[:32])


class ConversationRepository(Repository[Conversation]):
    model = Conversation
    kind = "conversation"

    def sort_columns(self) -> list[InstrumentedAttribute[Any]]:
        # Pinned first, then most recent activity: the order of ix_conversations_owner_list.
        return [Conversation.pinned, Conversation.last_message_at, Conversation.id]

    async def lock_owned_even_if_deleted(
        self, ident: uuid.UUID, owner_id: uuid.UUID
    ) -> Conversation:
        """The owner's conversation, deleted or not, locked until the transaction ends."""
        stmt = self.select().where(Conversation.owner_id == owner_id).with_for_update()
        return await self.get(ident, stmt)

    def owned_by(self, owner_id: uuid.UUID) -> Select[Conversation]:
        return self.select().where(
            Conversation.owner_id == owner_id, Conversation.deleted_at.is_(None)
        )

    async def latest_owned(self, owner_id: uuid.UUID) -> Conversation | None:
        """The conversation with the most recent activity, pinned or not."""
        stmt = self.owned_by(owner_id).order_by(
            Conversation.last_message_at.desc(), Conversation.id.desc()
        )
        return (await self.session.execute(stmt.limit(1))).scalars().first()

    async def get_owned(
        self, ident: uuid.UUID, owner_id: uuid.UUID, *, for_update: bool = False
    ) -> Conversation:
        stmt = self.owned_by(owner_id)
        if for_update:
            # Appends to one conversation queue here, so each gets the next seq.
            stmt = stmt.with_for_update()
        return await self.get(ident, stmt)

    async def list_owned(
        self,
        owner_id: uuid.UUID,
        params: PageParams,
        title: str | None = None,
        *,
        descending: bool = True,
    ) -> tuple[list[Conversation], str | None]:
        """A page of the owner's list; with `title`, only titles holding every one of its
        words (a user has hundreds of conversations, not millions: LIKE is enough)."""
        stmt = self.owned_by(owner_id)
        for pattern in title_words(title or ""):
            stmt = stmt.where(func.lower(Conversation.title).like(pattern, escape="\\"))
        return await self.page(stmt, params, descending=descending)


class ChatMessageRepository(Repository[ChatMessage]):
    model = ChatMessage
    kind = "message"

    def of(self, conversation_id: uuid.UUID) -> Select[ChatMessage]:
        return self.select().where(ChatMessage.conversation_id == conversation_id)

    async def next_seq(self, conversation_id: uuid.UUID) -> int:
        """max(seq) + 1: one probe of the (conversation_id, seq) index."""
        stmt = select(func.max(ChatMessage.seq)).where(
            ChatMessage.conversation_id == conversation_id
        )
        return ((await self.session.execute(stmt)).scalar() or 0) + 1

    async def seq_of(self, conversation_id: uuid.UUID, message_id: uuid.UUID) -> int | None:
        stmt = select(ChatMessage.seq).where(
            ChatMessage.tenant_id == self.tenant_id,
            ChatMessage.conversation_id == conversation_id,
            ChatMessage.id == message_id,
        )
        return (await self.session.execute(stmt)).scalar()

    async def before(
        self, conversation_id: uuid.UUID, limit: int, before_seq: int | None = None
    ) -> tuple[list[ChatMessage], bool]:
        """The `limit` messages just before `before_seq` (or the latest), oldest first, and
        whether older ones remain."""
        stmt = self.of(conversation_id)
        if before_seq is not None:
            stmt = stmt.where(ChatMessage.seq < before_seq)
        stmt = stmt.order_by(ChatMessage.seq.desc()).limit(limit + 1)
        rows = list((await self.session.execute(stmt)).scalars())
        more = len(rows) > limit
        return list(reversed(rows[:limit])), more

    async def after(
        self, conversation_id: uuid.UUID, since_seq: int, limit: int
    ) -> tuple[list[ChatMessage], bool]:
        """The `limit` messages after `since_seq`, oldest first, and whether newer remain."""
        stmt = (
            self.of(conversation_id)
            .where(ChatMessage.seq > since_seq)
            .order_by(ChatMessage.seq)
            .limit(limit + 1)
        )
        rows = list((await self.session.execute(stmt)).scalars())
        return rows[:limit], len(rows) > limit

    async def all_of(self, conversation_id: uuid.UUID) -> list[ChatMessage]:
        stmt = self.of(conversation_id).order_by(ChatMessage.seq)
        return list((await self.session.execute(stmt)).scalars())

    def search_statement(
        self, owner_id: uuid.UUID, text: str, dialect: str, params: PageParams
    ) -> Select[ChatMessage, str, float] | None:
        """Messages of the owner's live conversations matching every word of `text`, best
        first, with their conversation's title and rank; after `params.cursor` when given.
        None when `text` has no words to look for.

        The order is (rank, newest, id), lower rank being better on both databases, and the
        cursor is the last hit's key: the database ranks every match for any page anyway,
        and a keyset never repeats or skips a hit when the owner writes between pages."""
        rank: ColumnElement[float]
        base = (
            select(ChatMessage, Conversation.title)
            .join(Conversation, Conversation.id == ChatMessage.conversation_id)
            .where(
                ChatMessage.tenant_id == self.tenant_id,
                Conversation.tenant_id == self.tenant_id,
                Conversation.owner_id == owner_id,
                Conversation.deleted_at.is_(None),
            )
        )
        if dialect == "postgresql":
            document = func.to_tsvector(_PG_CONFIG, ChatMessage.content)
            query = func.plainto_tsquery(_PG_CONFIG, text)
            base = base.where(document.bool_op("@@")(query))
            rank = -func.ts_rank(document, query, type_=Float)
        else:
            match = fts5_query(text)
            if match is None:
                return None
            rowid: ColumnElement[Any] = literal_column("chat_messages_fts.rowid")
            base = base.join(_FTS_TABLE, rowid == literal_column("chat_messages.rowid")).where(
                literal_column("chat_messages_fts").op("MATCH")(match)
            )
            rank = literal_column("chat_messages_fts.rank", Float)  # bm25: lower is better
        stmt = base.add_columns(rank.label("rank"))
        if params.cursor:
            after_rank, after_at, after_id = decode_values(
                params.cursor, [float, datetime, uuid.UUID]
            )
            stmt = stmt.where(
                or_(
                    rank > after_rank,
                    and_(
                        rank == after_rank,
                        or_(
                            ChatMessage.created_at < after_at,
                            and_(ChatMessage.created_at == after_at, ChatMessage.id > after_id),
                        ),
                    ),
                )
            )
        order = (rank, ChatMessage.created_at.desc(), ChatMessage.id)
        return stmt.order_by(*order).limit(params.limit + 1)

    async def search(
        self, owner_id: uuid.UUID, text: str, dialect: str, params: PageParams
    ) -> tuple[list[tuple[ChatMessage, str]], str | None]:
        """A page of hits, best first, and the cursor of the next page (None at the end)."""
        stmt = self.search_statement(owner_id, text, dialect, params)
        if stmt is None:
            return [], None
        rows = (await self.session.execute(stmt)).all()
        page = rows[: params.limit]
        cursor = None
        if len(rows) > params.limit:
            last, _, last_rank = page[-1]
            cursor = encode_values([last_rank, last.created_at, last.id])
        return [(row[0], row[1]) for row in page], cursor
