"""Inbox rules: inbound messages into per-contact sessions, opt-out keywords, the auto-reply
hook, the one outbound path, delivery status, takeover. Services flush but never commit;
sending, AI replies and live events happen after the commit (jobs and events).

The AI auto-reply contract (the handler lives in ai/autoresponder.py): after an inbound
customer message is stored, and when the tenant has auto-reply on, the session is not taken
over and the customer has not opted out, a job `ai.auto_reply` is enqueued with payload
{"tenant_id", "session_id", "message_id"} and `run_after` = now + auto_reply_debounce_seconds.
Each message of a burst enqueues its own job, so the handler must skip when a newer inbound
message exists in the session: `should_auto_reply()` checks that (and auto-reply, pause and
opt-out again, since they may change during the debounce) at run time, and the handler
replies through `queue_outbound(sender=Sender.otto, kind=MessageKind.automated,
in_reply_to_id=..., session_id=...)`."""

from __future__ import annotations

import builtins
import functools
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.config import Settings
from switchboard.crm.models import ContactCard, ContactPhone
from switchboard.crm.repository import ContactRepository
from switchboard.crm.service import ContactService
from switchboard.kit.clock import utcnow
from switchboard.kit.errors import Conflict, Forbidden, InvalidField, NotFound, OptedOut
from switchboard.kit.events import Event, emit
from switchboard.kit.jobs import enqueue
from switchboard.kit.pagination import PageParams
from switchboard.kit.phone import try_normalize_phone
from switchboard.kit.repository import where_equal
from switchboard.kit.schemas import Str
from switchboard.messaging.models import (
    Channel,
    DeliveryEvent,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    MessagingSession,
    OptOut,
    Sender,
    SessionStatus,
)
from switchboard.messaging.repository import (
    ChannelAccounts,
    InboxTenant,
    MessageRepository,
    OptOutRepository,
    SessionRepository,
    lock_counterpart,
    locked,
    message_by_id,
    message_by_provider_id,
)

# For other domains' queries: they ask messaging, never its repository.
from switchboard.messaging.repository import opted_out_where as opted_out_where
from switchboard.messaging.schemas import (
    MAX_BODY,
    DeliveryReport,
    MessageRead,
    SessionRead,
)
from switchboard.messaging.senders import OutboundMessage, SendError, SendResult
from switchboard.tenancy.models import WHATSAPP_PREFIX, ChannelKind, Role, Tenant, User
from switchboard.tenancy.scope import MANAGERS, ScopedService
from switchboard.tenancy.service import get_tenant

log = logging.getLogger(__name__)

AUTO_REPLY_JOB = "ai.auto_reply"
SEND_JOB = "messaging.send"
STATUS_JOB = "messaging.status"
SEND_ATTEMPTS = 6
TEXT_CHANNELS = (Channel.sms, Channel.whatsapp)
OPT_OUT_ERROR = "21610"  # Twilio: "Attempt to send to unsubscribed recipient"


class Keyword(StrEnum):
    opt_out = "opt_out"
    opt_in = "opt_in"
    help = "help"


KEYWORDS: dict[str, Keyword] = {
    **{
        word: Keyword.opt_out
        for word in ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT")
    },
    **{word: Keyword.opt_in for word in ("START", "YES", "UNSTOP")},
    "HELP": Keyword.help,
}


def keyword_of(body: str) -> tuple[Keyword, str] | None:
    """A message that is only a keyword, in any case, trimmed: `" Stop "` is; `"STOP please"`
    is an ordinary message."""
    word = body.strip().upper()
    kind = KEYWORDS.get(word)
    return (kind, word) if kind else None


def channel_group(channel: Channel | str) -> str:
    """Opt-outs are kept per channel group: WhatsApp, or SMS (which voice numbers share)."""
    return "whatsapp" if channel == Channel.whatsapp else "sms"


def bare_address(address: str) -> str:
    """`whatsapp:+15551234567` -> `+15551234567`: the number a contact card is found by."""
    return address[len(WHATSAPP_PREFIX) :] if address.startswith(WHATSAPP_PREFIX) else address


@functools.lru_cache(maxsize=65_536)
def person_number(address: str) -> str:
    """The number a person is known by: E.164 when it parses. Cached: customers write again
    and again from the same few numbers, and libphonenumber's parse costs more than a
    webhook's whole session lookup."""
    bare = bare_address(address.strip())
    return try_normalize_phone(bare) or bare


def clean_text(value: str) -> str:
    """PostgreSQL text cannot hold NUL; nothing a customer meant was ever in one."""
    return value.replace("\x00", "")


def preview_of(body: str, media: Sequence[object]) -> str:
    text = " ".join(body.split())
    if not text and media:
        text = f"[{len(media)} attachment{'s' if len(media) > 1 else ''}]"
    return text[:200]


def sender_for_role(role: Role) -> Sender:
    return {Role.csr: Sender.csr, Role.rep: Sender.rep}.get(role, Sender.manager)


def session_gap(tenant: Tenant | InboxTenant, settings: Settings) -> timedelta:
    seconds = tenant.session_gap_seconds
    return timedelta(seconds=settings.session_gap_seconds if seconds is None else seconds)


def help_text(tenant: Tenant | InboxTenant) -> str:
    return tenant.help_text or (
        f"{tenant.name}: reply to this number to reach our team. "
        "Msg & data rates may apply. Reply STOP to opt out."
    )


# --- events ------------------------------------------------------------------------------------


def announce_message(
    session: AsyncSession, message: Message | MessageRead, kind: str, tenant_id: uuid.UUID
) -> None:
    data = MessageRead.model_validate(message).model_dump(mode="json")
    emit(session, Event(kind, tenant_id, {"message": data}))


def announce_session(
    session: AsyncSession,
    conversation: MessagingSession | SessionRead,
    kind: str,
    tenant_id: uuid.UUID,
) -> None:
    data = SessionRead.model_validate(conversation).model_dump(mode="json")
    emit(session, Event(kind, tenant_id, {"session": data}))


# --- contacts and sessions ---------------------------------------------------------------------


async def find_or_create_contact(
    session: AsyncSession, tenant_id: uuid.UUID, number: str, name: str | None, source: str
) -> uuid.UUID:
    """The contact who owns `number`, or a new card for it (named by e.g. a WhatsApp profile).
    Callers hold `lock_counterpart` for the number, so two first messages make one card."""
    owner = await ContactRepository(session, tenant_id).phone_owner(number)
    if owner is not None:
        return owner
    contact_id = new_contact(session, tenant_id, number, name, source)
    # Now, not at the caller's flush: rows that point at the card without an ORM
    # relationship (a call, a session) are not ordered after it by the unit of work.
    await session.flush()
    return contact_id


def new_contact(
    session: AsyncSession, tenant_id: uuid.UUID, number: str, name: str | None, source: str
) -> uuid.UUID:
    """Add a card for a number nobody has (named by e.g. a WhatsApp profile) to the session,
    unflushed; the caller holds `lock_counterpart` for the number."""
    first, _, last = clean_text(name or "").strip().partition(" ")
    contact = ContactRepository(session, tenant_id).add(
        ContactCard(
            id=uuid.uuid4(),
            first_name=first or None,
            last_name=last.strip() or None,
            lead_source=source,
        )
    )
    session.add(
        ContactPhone(tenant_id=tenant_id, contact_id=contact.id, number=number, is_primary=True)
    )
    return contact.id


async def session_for_inbound(
    session: AsyncSession,
    *,
    tenant: Tenant,
    settings: Settings,
    channel: Channel,
    counterpart: str,
    our_address: str | None,
    contact_id: uuid.UUID,
    title: str | None,
    now: datetime,
) -> tuple[MessagingSession, bool]:
    """The counterpart's session on this channel if it spoke less than the gap ago, else a
    new one (the old one is closed). Returns (session, created)."""
    sessions = SessionRepository(session, tenant.id)
    latest = await sessions.latest_for_counterpart(channel, counterpart)
    if latest is not None and continues(
        latest.status, latest.last_message_at, tenant, settings, now
    ):
        return latest, False
    if latest is not None and latest.status == SessionStatus.open:
        latest.status = SessionStatus.closed
    opened = _new_session(sessions, contact_id, channel, counterpart, our_address, now, title)
    return opened, True


def continues(
    status: SessionStatus | str,
    last_message_at: datetime,
    tenant: Tenant | InboxTenant,
    settings: Settings,
    now: datetime,
) -> bool:
    """Whether a message at `now` joins a session: it is open and the counterpart spoke less
    than the tenant's gap ago."""
    return status == SessionStatus.open and now - last_message_at < session_gap(tenant, settings)


def _new_session(
    sessions: SessionRepository,
    contact_id: uuid.UUID,
    channel: Channel,
    counterpart: str,
    our_address: str | None,
    now: datetime,
    title: str | None = None,
) -> MessagingSession:
    return sessions.add(
        MessagingSession(
            id=uuid.uuid4(),
            contact_id=contact_id,
            channel=channel,
            counterpart_address=counterpart,
            our_address=our_address,
            status=SessionStatus.open,
            ai_paused=False,
            message_count=0,
            first_message_at=now,
            last_message_at=now,
            title=title,
        )
    )


async def touch_session(
    session: AsyncSession,
    conversation: MessagingSession,
    message: Message | MessageRead,
    now: datetime,
) -> None:
    """Count `message` in its (stored) session, and flush. The count is incremented in SQL,
    not set from the value loaded here: an inbound batch may be counting in the same session
    at the same moment (messaging/inbound.py), and one of the two counts would be lost."""
    conversation.last_message_at = now
    conversation.last_message_preview = preview_of(message.body, message.media)
    if message.direction == Direction.inbound:
        conversation.last_inbound_at = now
    if not conversation.title:
        conversation.title = conversation.last_message_preview[:80] or None
    conversation.message_count = MessagingSession.message_count + 1
    await session.flush()
    await session.refresh(conversation, ["message_count"])


# --- inbound -------------------------------------------------------------------------------------


class UnknownDestination(NotFound):
    """A webhook for a number (or messaging service) no tenant has."""


class DuplicateDelivery(Exception):
    """The provider delivered a message id already stored; the transaction must roll back."""


async def contact_label(session: AsyncSession, tenant_id: uuid.UUID, contact_id: uuid.UUID) -> str:
    contact = await ContactRepository(session, tenant_id).find(contact_id)
    if contact is None:
        return "a customer"
    phone = contact.phones[0].number if contact.phones else None
    name = contact.display_name
    return phone if name == "Unknown contact" and phone else name


# --- opt-out -------------------------------------------------------------------------------------


async def find_opt_out(
    session: AsyncSession, tenant_id: uuid.UUID, address: str, channel: Channel | str
) -> OptOut | None:
    """The opt-out of `address` (any form of the number) on `channel`'s group, if any."""
    return await OptOutRepository(session, tenant_id).find_for(
        person_number(address), channel_group(channel)
    )


async def is_opted_out(
    session: AsyncSession, tenant_id: uuid.UUID, address: str, channel: Channel | str
) -> bool:
    return await find_opt_out(session, tenant_id, address, channel) is not None


async def record_opt_out(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    address: str,
    channel: Channel | str,
    keyword: str,
    *,
    source: str,
) -> OptOut:
    found = await find_opt_out(session, tenant_id, address, channel)
    if found is None:
        found = OptOutRepository(session, tenant_id).add(
            OptOut(address=person_number(address), channel_group=channel_group(channel))
        )
    found.keyword = keyword[:32]
    found.opted_out_at = utcnow()
    found.source = source
    await session.flush()
    return found


async def clear_opt_out(
    session: AsyncSession, tenant_id: uuid.UUID, address: str, channel: Channel | str
) -> None:
    found = await find_opt_out(session, tenant_id, address, channel)
    if found is not None:
        await session.delete(found)
        await session.flush()


async def _refuse_if_opted_out(
    session: AsyncSession, tenant_id: uuid.UUID, address: str, channel: Channel
) -> None:
    found = await find_opt_out(session, tenant_id, address, channel)
    if found is None:
        return
    how = f"replied {found.keyword}" if found.source == "keyword" else "unsubscribed"
    raise OptedOut(
        f"{found.address} {how} on {found.opted_out_at:%Y-%m-%d %H:%M} UTC and has opted out of "
        f"{found.channel_group.upper()} messages; nothing can be sent until they reply START",
        address=found.address,
        channel_group=found.channel_group,
        keyword=found.keyword,
        opted_out_at=found.opted_out_at.isoformat(),
    )


# --- outbound ------------------------------------------------------------------------------------


async def queue_outbound(
    session: AsyncSession,
    *,
    tenant: Tenant,
    contact_id: uuid.UUID,
    body: str,
    sender: Sender,
    kind: MessageKind,
    sender_user_id: uuid.UUID | None = None,
    in_reply_to_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
    channel: Channel | None = None,
    take_over: bool = False,
) -> Message:
    """The one outbound path (staff sends, AI replies, reminders, missed-call texts).

    Refuses opted-out recipients (OptedOut, 409), picks the session (`session_id`, else the
    contact's latest text session on `channel`, else a new SMS session from the tenant's SMS
    number), stores the message `queued` and enqueues `messaging.send` in the caller's
    transaction. Nothing is created when it raises. `take_over` pauses the AI in that session
    for `sender_user_id`, as a staff member's own message does."""
    body = clean_text(body).strip()
    if not body or len(body) > MAX_BODY:
        raise InvalidField("body", f"a message needs 1 to {MAX_BODY} characters")
    contact = await ContactRepository(session, tenant.id).get(contact_id)
    sessions = SessionRepository(session, tenant.id)
    conversation: MessagingSession | None = None
    if session_id is not None:
        conversation = await sessions.get(session_id)
        if conversation.contact_id != contact_id:
            raise InvalidField("session_id", "that session is with another contact")
        if conversation.channel not in TEXT_CHANNELS:
            channel, conversation = Channel.sms, None  # a voicemail is answered by text
    if conversation is None:
        channels = (channel,) if channel is not None and channel in TEXT_CHANNELS else TEXT_CHANNELS
        conversation = await sessions.latest_for_contact(contact_id, channels)

    now = utcnow()
    created = False
    if conversation is not None:
        await _refuse_if_opted_out(
            session, tenant.id, conversation.counterpart_address, conversation.channel
        )
    else:
        conversation, created = await _outbound_session(session, tenant, contact, channel, now)
    conversation.status = SessionStatus.open  # writing into a closed session reopens it
    if take_over:
        conversation.ai_paused = True
        # Writing into a conversation someone has taken over leaves it theirs.
        conversation.taken_over_by_id = conversation.taken_over_by_id or sender_user_id

    message = Message(
        id=uuid.uuid4(),
        tenant_id=tenant.id,
        session_id=conversation.id,
        contact_id=contact_id,
        direction=Direction.outbound,
        sender=sender,
        sender_user_id=sender_user_id,
        kind=kind,
        channel=conversation.channel,
        from_address=conversation.our_address,
        to_address=conversation.counterpart_address,
        body=body,
        media=[],
        status=MessageStatus.queued,
        in_reply_to_id=in_reply_to_id,
    )
    session.add(message)
    await touch_session(session, conversation, message, now)
    enqueue(
        session,
        SEND_JOB,
        {"tenant_id": str(tenant.id), "message_id": str(message.id)},
        tenant_id=tenant.id,
        max_attempts=SEND_ATTEMPTS,
    )
    announce_message(session, message, "message.created", message.tenant_id)
    announce_session(
        session, conversation, "session.created" if created else "session.updated", tenant.id
    )
    return message


async def send_staff_message(
    session: AsyncSession,
    user: User,
    contact_id: uuid.UUID,
    body: str,
    *,
    session_id: uuid.UUID | None = None,
) -> Message:
    """A staff member's text to a contact they can see, in `session_id` when they answer a
    conversation (else the contact's latest). It pauses the AI in that session (taken over
    by them) until someone releases it or a new session starts."""
    await ContactService(session, user).get(contact_id)  # 404 unless visible to the user
    return await queue_outbound(
        session,
        tenant=await get_tenant(session, user.tenant_id),
        contact_id=contact_id,
        body=body,
        sender=sender_for_role(user.role),
        kind=MessageKind.manual,
        sender_user_id=user.id,
        session_id=session_id,
        take_over=True,
    )


async def _outbound_session(
    session: AsyncSession,
    tenant: Tenant,
    contact: ContactCard,
    channel: Channel | None,
    now: datetime,
) -> tuple[MessagingSession, bool]:
    """A session to text a contact who has none on the channel yet: a new one from the
    tenant's number, or the one the customer opened while we waited for the lock. Returns
    (session, created)."""
    channel = channel if channel in TEXT_CHANNELS else Channel.sms
    assert channel is not None
    if not contact.phones:
        raise Conflict(f"{contact.display_name} has no phone number to text")
    phone = next((p.number for p in contact.phones if p.is_primary), contact.phones[0].number)
    account = await ChannelAccounts(session, tenant.id).sending_account(ChannelKind(channel))
    if account is None:
        raise Conflict(f"this company has no {channel} number to send from")
    counterpart = f"{WHATSAPP_PREFIX}{phone}" if channel == Channel.whatsapp else phone
    await _refuse_if_opted_out(session, tenant.id, counterpart, channel)
    await lock_counterpart(session, tenant.id, person_number(phone))
    # The customer may have written while we waited for the lock.
    latest = await SessionRepository(session, tenant.id).latest_for_counterpart(
        channel, counterpart
    )
    if latest is not None:
        return latest, False
    sessions = SessionRepository(session, tenant.id)
    opened = _new_session(sessions, contact.id, channel, counterpart, account.address, now)
    await session.flush()
    return opened, True


# --- the send pipeline (run by the messaging.send job) ------------------------------------------


async def begin_send(
    session: AsyncSession, tenant_id: uuid.UUID, message_id: uuid.UUID
) -> OutboundMessage | None:
    """Mark a queued message `sending` and say what to send; None when there is nothing to
    do: already accepted by the provider (a retry never sends twice), failed, or gone."""
    messages = MessageRepository(session, tenant_id)
    message = await messages.find(message_id, locked(messages.select()))
    if message is None or message.direction != Direction.outbound:
        return None
    if message.provider_message_id is not None:
        return None
    if message.status not in (MessageStatus.queued, MessageStatus.sending):
        return None
    to_address, from_address = message.to_address, message.from_address
    if to_address is None:  # a nullable column; queue_outbound always fills it
        conversation = await SessionRepository(session, tenant_id).get(message.session_id)
        to_address = conversation.counterpart_address
        from_address = from_address or conversation.our_address
    if await is_opted_out(session, tenant_id, to_address, message.channel):
        _fail(message, "opted_out", "the recipient opted out after this was queued; not sent")
        announce_message(session, message, "message.updated", message.tenant_id)
        return None
    account = await ChannelAccounts(session, tenant_id).by_address(from_address or "")
    if message.status != MessageStatus.sending:
        message.status = MessageStatus.sending
        announce_message(session, message, "message.updated", message.tenant_id)
    await session.flush()
    return OutboundMessage(
        message_id=message.id,
        channel=message.channel,
        to_address=to_address,
        from_address=from_address,
        messaging_service_sid=account.messaging_service_sid if account else None,
        body=message.body,
        media_urls=[item["url"] for item in message.media if item.get("url")],
    )


async def record_sent(
    session: AsyncSession, tenant_id: uuid.UUID, message_id: uuid.UUID, result: SendResult
) -> Message:
    """The provider accepted the message: keep its id, then schedule any scripted steps.
    Its status moves forward only: a callback may have told more while the send ran."""
    message = await MessageRepository(session, tenant_id).lock(message_id)
    message.provider_message_id = result.provider_message_id
    message.status = MessageStatus(message.status).advanced_by(result.status)
    if not message.status.is_final:
        message.error_code = message.error_message = None
    await session.flush()
    announce_message(session, message, "message.updated", message.tenant_id)
    now = utcnow()
    for delay, status in result.scripted_statuses:
        enqueue(
            session,
            STATUS_JOB,
            {"provider_message_id": result.provider_message_id, "status": status.value},
            tenant_id=tenant_id,
            run_after=now + timedelta(seconds=delay),
        )
    return message


async def record_send_failure(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    message_id: uuid.UUID,
    error: SendError,
    *,
    final: bool,
) -> Message:
    """A refused send ends `failed` with the provider's code (21610 also records the
    opt-out); a transient one waits for the job's retry."""
    message = await MessageRepository(session, tenant_id).lock(message_id)
    if final:
        _fail(message, error.code or "send_failed", error.message)
        if error.code == OPT_OUT_ERROR and message.to_address:
            await record_opt_out(
                session, tenant_id, message.to_address, message.channel, "21610",
                source="provider_error",
            )  # fmt: skip
    else:
        message.error_message = f"will retry: {error.message}"[:500]
        if not error.maybe_sent:
            message.status = MessageStatus.queued
    await session.flush()
    announce_message(session, message, "message.updated", message.tenant_id)
    return message


def _fail(message: Message, code: str, reason: str) -> None:
    if MessageStatus(message.status).advanced_by(MessageStatus.failed) != MessageStatus.failed:
        return  # a delivery receipt arrived first: the message went out after all
    message.status = MessageStatus.failed
    message.error_code = code[:16]
    message.error_message = reason[:500]


# --- delivery status -----------------------------------------------------------------------------


async def record_delivery(session: AsyncSession, report: DeliveryReport) -> Message | None:
    """Keep every report as a DeliveryEvent and move the message forward only. The message
    is read locked, so two callbacks at once (`sent` and `delivered`) take turns and the
    second moves on from what the first wrote."""
    message = await message_by_provider_id(session, report.provider_message_id)
    if message is None and report.message_id is not None:
        # Our id rode on the callback URL: this links a message whose send timed out after
        # the provider took it, so the job's retry sees the id and does not send again.
        candidate = await message_by_id(session, report.message_id)
        if (
            candidate is not None
            and candidate.direction == Direction.outbound
            and candidate.provider_message_id is None
        ):
            candidate.provider_message_id = report.provider_message_id
            message = candidate
    if message is None:
        log.info(
            "delivery report %s for unknown message %s",
            report.raw_status,
            report.provider_message_id,
        )
        return None
    session.add(
        DeliveryEvent(
            tenant_id=message.tenant_id,
            message_id=message.id,
            provider_message_id=report.provider_message_id,
            status=report.raw_status,
            error_code=report.error_code,
            payload=report.payload,
        )
    )
    if report.status is not None:
        before = MessageStatus(message.status)
        after = before.advanced_by(report.status)
        if after != before:
            _apply_status(message, after, report)
            announce_message(session, message, "message.updated", message.tenant_id)
        if report.error_code == OPT_OUT_ERROR and message.to_address:
            await record_opt_out(
                session, message.tenant_id, message.to_address, message.channel, "21610",
                source="provider_error",
            )  # fmt: skip
    await session.flush()
    return message


def _apply_status(message: Message, status: MessageStatus, report: DeliveryReport) -> None:
    now = utcnow()
    message.status = status
    if status in (MessageStatus.sent, MessageStatus.delivered, MessageStatus.read):
        message.sent_at = message.sent_at or now
    if status in (MessageStatus.delivered, MessageStatus.read):
        message.delivered_at = message.delivered_at or now
    if status.is_final:
        message.error_code = report.error_code or status.value
        message.error_message = report.error_message or f"the carrier reported {status}"


# --- auto-reply helpers (for ai/autoresponder.py) ----------------------------------------------


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


# --- takeover and the inbox ----------------------------------------------------------------------


class InboxView(StrEnum):
    """The inbox's tabs: who the conversation is waiting on."""

    waiting = "waiting"  # the customer wrote last and may still be answered
    ai = "ai"  # the AI handles it
    taken_over = "taken_over"  # a person took it over from the AI
    all = "all"


@dataclass
class SessionFilters:
    contact_id: uuid.UUID | None = None
    channel: Channel | None = None
    status: SessionStatus | None = None
    ai_paused: bool | None = None
    taken_over_by_id: uuid.UUID | None = None
    view: InboxView | None = None
    q: Str | None = None


class InboxService(ScopedService[MessagingSession]):
    """Sessions and messages as one staff member may see them (a rep: their contacts')."""

    repository = SessionRepository

    async def list(
        self, filters: SessionFilters, params: PageParams
    ) -> tuple[list[MessagingSession], str | None]:
        stmt = self.repo.with_contact(self.visible())
        stmt = where_equal(
            stmt,
            (MessagingSession.contact_id, filters.contact_id),
            (MessagingSession.channel, filters.channel),
            (MessagingSession.status, filters.status),
            (MessagingSession.ai_paused, filters.ai_paused),
            (MessagingSession.taken_over_by_id, filters.taken_over_by_id),
        )
        if filters.view == InboxView.waiting:
            stmt = stmt.where(self.repo.waiting_on_reply())
        elif filters.view == InboxView.ai:
            stmt = stmt.where(MessagingSession.ai_paused.is_(False))
        elif filters.view == InboxView.taken_over:
            stmt = stmt.where(MessagingSession.ai_paused.is_(True))
        if filters.q and filters.q.strip():
            stmt = self.repo.matching(stmt, filters.q)
        return await self.page(stmt, params)

    async def waiting_count(self) -> int:
        """Conversations whose customer is waiting on a reply: the count in the tab title."""
        counted: int = await self.repo.count(self.visible().where(self.repo.waiting_on_reply()))
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
        messages = MessageRepository(self.session, self.user.tenant_id)
        return await messages.after(ident, anchor, limit)

    async def messages_by_id(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Message]:
        """Those of `ids` that are messages of this company, by id, in one query (a
        contact timeline's page, which names them: who sent each one)."""
        wanted = set(ids)
        if not wanted:
            return {}
        messages = MessageRepository(self.session, self.user.tenant_id)
        rows = await self.session.execute(messages.select().where(Message.id.in_(wanted)))
        return {row.id: row for row in rows.scalars()}

    async def message(self, ident: uuid.UUID, message_id: uuid.UUID) -> Message:
        """One message of a session the user can see."""
        conversation = await self.get(ident)
        messages = MessageRepository(self.session, self.user.tenant_id)
        found: Message = await messages.get(
            message_id, messages.select().where(Message.session_id == conversation.id)
        )
        return found

    async def get_with_contact(self, ident: uuid.UUID) -> MessagingSession:
        found: MessagingSession = await self.repo.get(ident, self.repo.with_contact(self.visible()))
        return found

    async def session_messages(
        self, ident: uuid.UUID, params: PageParams
    ) -> tuple[builtins.list[Message], str | None]:
        conversation = await self.get(ident)
        messages = MessageRepository(self.session, self.user.tenant_id)
        return await _newest_first_pages(
            messages, messages.select().where(Message.session_id == conversation.id), params
        )

    async def contact_messages(
        self, contact_id: uuid.UUID, params: PageParams
    ) -> tuple[builtins.list[Message], str | None]:
        await ContactService(self.session, self.user).get(contact_id)
        messages = MessageRepository(self.session, self.user.tenant_id)
        return await _newest_first_pages(
            messages, messages.select().where(Message.contact_id == contact_id), params
        )

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


async def _newest_first_pages(
    messages: MessageRepository, stmt: Any, params: PageParams
) -> tuple[list[Message], str | None]:
    """Pages walk back in time from the newest message; each page reads oldest to newest."""
    rows, cursor = await messages.page(stmt, params, descending=True)
    return list(reversed(rows)), cursor


async def take_over(session: AsyncSession, user: User, session_id: uuid.UUID) -> MessagingSession:
    """Pause the AI in a session: staff answer from now on."""
    return await InboxService(session, user).set_paused(session_id, True)


async def release(session: AsyncSession, user: User, session_id: uuid.UUID) -> MessagingSession:
    """Hand a session back to the AI."""
    return await InboxService(session, user).set_paused(session_id, False)


async def opted_out_numbers(
    session: AsyncSession, tenant_id: uuid.UUID, numbers: Iterable[str], channel: Channel | str
) -> dict[str, OptOut]:
    """The opt-outs among `numbers` on `channel`'s group, by number, in one query: which of
    a page's contacts nothing can be sent to."""
    wanted = {person_number(number) for number in numbers}
    if not wanted:
        return {}
    return await OptOutRepository(session, tenant_id).find_many(wanted, channel_group(channel))


def opt_out_reason(found: OptOut) -> str:
    """Why nothing can be sent, in the words the inbox uses."""
    how = f"replied {found.keyword}" if found.source == "keyword" else "unsubscribed"
    return f"{found.address} {how} and has opted out of {found.channel_group.upper()} messages"


async def refuse_if_opted_out(
    session: AsyncSession, tenant_id: uuid.UUID, address: str, channel: Channel
) -> None:
    """OptedOut (409) when `address` opted out of `channel`'s group: for a send that names
    the person's number rather than a conversation."""
    await _refuse_if_opted_out(session, tenant_id, address, channel)
