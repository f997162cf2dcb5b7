"""Staff assistant conversations: one row per message, so a long chat never gets slower."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from switchboard.kit import limits
from switchboard.kit.models import Base, TenantScoped
from switchboard.kit.types import JSONDoc


class ChatRole(StrEnum):
    user = "user"
    assistant = "assistant"


class ChatMessageStatus(StrEnum):
    ok = "ok"
    error = "error"
    stopped = "stopped"  # the user stopped the reply: it holds what was said until then


class Conversation(TenantScoped, Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index(
            "ix_conversations_owner_list",
            "tenant_id",
            "owner_id",
            "pinned",
            "last_message_at",
            "id",
        ),
    )

    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(limits.TITLE), default="New conversation")
    title_is_auto: Mapped[bool] = mapped_column(Boolean, default=True)
    context_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    last_message_at: Mapped[datetime]
    last_message_preview: Mapped[str | None] = mapped_column(String(limits.TITLE))
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime | None]


class ChatMessage(TenantScoped, Base):
    __tablename__ = "chat_messages"
    __table_args__ = (
        # `seq` orders a conversation's messages; the latest page is an index range scan.
        Index("ix_chat_messages_conversation_seq", "conversation_id", "seq", unique=True),
    )

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[ChatRole] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ChatMessageStatus] = mapped_column(String(16), default=ChatMessageStatus.ok)
    tool_calls: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    context: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    model: Mapped[str | None] = mapped_column(String(limits.NAME))
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
