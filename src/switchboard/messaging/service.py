"""The inbox as staff see it: sessions and their messages within a user's scope, the
inbox's tabs and search, taking a conversation over from the AI and handing it back; and
what the auto-responder reads. Services flush but never commit; sending, AI replies and
live events happen after the commit (jobs and events).

The rest of the inbox: which session a message belongs to in messaging/sessions.py,
STOP/START and opt-outs in messaging/optouts.py, the outbound pipeline and delivery status
in messaging/outbound.py, inbound texts in messaging/inbound.py and calls in
messaging/voice.py.

The AI auto-reply contract (the handler lives in ai/autoresponder.py): after an inbound
customer message is stored, and when the tenant has auto-reply on, the session is not taken
over and the customer has not opted out, a job `ai.auto_reply` is enqueued with payload
{"tenant_id", "session_id", "message_id"} and `run_after` = now + auto_reply_debounce_seconds.
Each message of a burst enqueues its own job, so the handler must skip when a newer inbound
message exists in the session: `should_auto_reply()` checks that (and auto-reply, pause and
opt-out again, since they may change during the debounce) at run time, and the handler
replies through `queue_outbound(sender=Sender.otto, kind=MessageKind.automated,
in_reply_to_id=..., session_id=...)` (messaging/outbound.py)."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.crm.service import ContactService
from switchboard.kit.errors import Forbidden
from switchboard.kit.pagination import PageParams
from switchboard.messaging.models import Message, MessagingSession, OptOut
from switchboard.messaging.optouts import find_opt_out, is_opted_out
from switchboard.messaging.repository import MessageRepository, SessionRepository
from switchboard.messaging.schemas import SessionFilters
from switchboard.messaging.sessions import announce_session
from switchboard.tenancy.models import User
from switchboard.tenancy.scope import MANAGERS, ScopedService
from switchboard.tenancy.service import get_tenant

AUTO_REPLY_JOB = "ai.auto_reply"


class InboxService(ScopedService[MessagingSession]):
    """Sessions and messages as one staff member may see them (a rep: their contacts')."""

    repository = SessionRepository

    @property
    def messages(self) -> MessageRepository:
        return MessageRepository(self.session, self.user.tenant_id)

    async def list(
        self, filters: SessionFilters, params: PageParams
    ) -> tuple[list[MessagingSession], str | None]:
        return await self.page(
            self.repo.filtered(self.repo.with_contact(self.visible()), filters), params
        )

    async def waiting_count(self) -> int:
        """Conversations whose customer is waiting on a reply: the count in the tab title."""
        counted: int = await self.repo.count(self.repo.waiting(self.visible()))
        return counted

    async def opt_out_of(self, conversation: MessagingSession) -> OptOut | None:
        """The opt-out that keeps us from texting this session's customer, if any."""
        return await find_opt_out(
            self.session,
            self.user.tenant_id,
            conversation.counterpart_address,
            conversation.channel,
        )

    async def messages_after(
        self, ident: uuid.UUID, after_id: uuid.UUID, limit: int = 200
    ) -> builtins.list[Message]:
        """The session's messages newer than `after_id` (a message of that session)."""
        anchor = await self.message(ident, after_id)
        return await self.messages.after(ident, anchor, limit)

    async def messages_by_id(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Message]:
        """Those of `ids` that are messages of this company, by id, in one query (a
        contact timeline's page, which names them: who sent each one)."""
        messages = self.messages
        found: dict[uuid.UUID, Message] = await messages.among(ids, messages.select())
        return found

    async def message(self, ident: uuid.UUID, message_id: uuid.UUID) -> Message:
        """One message of a session the user can see."""
        conversation = await self.get(ident)
        return await self.messages.get_in_session(conversation.id, message_id)

    async def get_with_contact(self, ident: uuid.UUID) -> MessagingSession:
        found: MessagingSession = await self.repo.get(ident, self.repo.with_contact(self.visible()))
        return found

    async def session_messages(
        self, ident: uuid.UUID, params: PageParams
    ) -> tuple[builtins.list[Message], str | None]:
        """A page of the session's messages; pages walk back in time from the newest, each
        reads oldest to newest."""
        conversation = await self.get(ident)
        rows, cursor = await self.messages.newest_first_page(params, session_id=conversation.id)
        return rows[::-1], cursor

    async def contact_messages(
        self, contact_id: uuid.UUID, params: PageParams
    ) -> tuple[builtins.list[Message], str | None]:
        """A page of the contact's messages, every session, as `session_messages` pages."""
        await ContactService(self.session, self.user).get(contact_id)
        rows, cursor = await self.messages.newest_first_page(params, contact_id=contact_id)
        return rows[::-1], cursor

    async def set_paused(self, ident: uuid.UUID, paused: bool) -> MessagingSession:
        """Take a session over or hand it back. One a person has taken over stays theirs:
        only they or a manager hand it back to the AI or take it from them."""
        conversation = await self.get(ident)
        holder = conversation.taken_over_by_id
        if holder not in (None, self.user.id) and self.user.role not in MANAGERS:
            person = await self.users.find(holder) if holder else None
            name = person.name if person else "someone else"
            raise Forbidden(
                f"{name} has taken this conversation over; only they or a manager may "
                + ("take it from them" if paused else "hand it back to the AI"),
                taken_over_by_id=str(holder),
            )
        conversation.ai_paused = paused
        conversation.taken_over_by_id = self.user.id if paused else None
        await self.session.flush()
        announce_session(self.session, conversation, "session.updated", conversation.tenant_id)
        return conversation


async def take_over(session: AsyncSession, user: User, session_id: uuid.UUID) -> MessagingSession:
    """Pause the AI in a session: staff answer from now on."""
    return await InboxService(session, user).set_paused(session_id, True)


async def release(session: AsyncSession, user: User, session_id: uuid.UUID) -> MessagingSession:
    """Hand a session back to the AI."""
    return await InboxService(session, user).set_paused(session_id, False)


# --- for the auto-responder (ai/autoresponder.py): the company's, not a user's ------------------


async def newer_inbound_exists(
    session: AsyncSession, tenant_id: uuid.UUID, message_id: uuid.UUID
) -> bool:
    messages = MessageRepository(session, tenant_id)
    message = await messages.get(message_id)
    return await messages.newer_inbound_exists(message)


async def should_auto_reply(
    session: AsyncSession, tenant_id: uuid.UUID, session_id: uuid.UUID, message_id: uuid.UUID
) -> bool:
    """Re-checked when the debounced job runs: auto-reply still on, the session not taken
    over, the customer not opted out, and `message_id` still the newest inbound message."""
    tenant = await get_tenant(session, tenant_id)
    conversation = await SessionRepository(session, tenant_id).find(session_id)
    if conversation is None or not tenant.auto_reply_enabled or conversation.ai_paused:
        return False
    if await is_opted_out(
        session, tenant_id, conversation.counterpart_address, conversation.channel
    ):
        return False
    return not await newer_inbound_exists(session, tenant_id, message_id)


async def get_session(
    session: AsyncSession, tenant_id: uuid.UUID, session_id: uuid.UUID
) -> MessagingSession:
    """A session of the company; NotFound (404) when it has none by that id."""
    found: MessagingSession = await SessionRepository(session, tenant_id).get(session_id)
    return found


async def recent_messages(
    session: AsyncSession, conversation: MessagingSession, limit: int
) -> builtins.list[Message]:
    """The conversation's last `limit` messages, oldest first."""
    messages = MessageRepository(session, conversation.tenant_id)
    return (await messages.latest_in_session(conversation.id, limit))[::-1]
