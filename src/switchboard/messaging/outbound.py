"""The one outbound path: a text queued in its session (staff sends, AI replies, reminders,
missed-call texts), then sent by the `messaging.send` job (`begin_send`, `record_sent`,
`record_send_failure`), and its delivery reports (`record_delivery`). Nothing is sent
before the transaction that queued it commits."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.crm.models import ContactCard
from switchboard.crm.service import CompanyRecords, ContactService
from switchboard.kit.clock import utcnow
from switchboard.kit.errors import Conflict, InvalidField
from switchboard.kit.jobs import enqueue
from switchboard.messaging.models import (
    Channel,
    DeliveryEvent,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    MessagingSession,
    Sender,
    SessionStatus,
)
from switchboard.messaging.optouts import is_opted_out, record_opt_out, refuse_if_opted_out
from switchboard.messaging.repository import (
    ChannelAccounts,
    MessageRepository,
    SessionRepository,
    lock_counterpart,
    locked,
    message_by_id,
    message_by_provider_id,
)
from switchboard.messaging.schemas import MAX_BODY, DeliveryReport
from switchboard.messaging.senders import OutboundMessage, SendError, SendResult
from switchboard.messaging.sessions import (
    announce_message,
    announce_session,
    new_session,
    opening,
    touch_session,
)
from switchboard.messaging.text import clean_text, person_number
from switchboard.tenancy.models import WHATSAPP_PREFIX, ChannelKind, Role, Tenant, User
from switchboard.tenancy.service import get_tenant

log = logging.getLogger(__name__)

SEND_JOB = "messaging.send"
STATUS_JOB = "messaging.status"
SEND_ATTEMPTS = 6
TEXT_CHANNELS = (Channel.sms, Channel.whatsapp)
OPT_OUT_ERROR = "21610"  # Twilio: "Attempt to send to unsubscribed recipient"


def sender_for_role(role: Role) -> Sender:
    return {Role.csr: Sender.csr, Role.rep: Sender.rep}.get(role, Sender.manager)


# --- queueing ------------------------------------------------------------------------------------


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
    contact = await CompanyRecords(session, tenant.id).contact(contact_id)
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
        await refuse_if_opted_out(
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
    await refuse_if_opted_out(session, tenant.id, counterpart, channel)
    await lock_counterpart(session, tenant.id, person_number(phone))
    # The customer may have written while we waited for the lock.
    latest = await SessionRepository(session, tenant.id).latest_for_counterpart(
        channel, counterpart
    )
    if latest is not None:
        return latest, False
    row = opening(
        tenant_id=tenant.id,
        contact_id=contact.id,
        channel=channel,
        counterpart=counterpart,
        our_address=account.address,
        now=now,
    )
    opened = new_session(session, row)
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
