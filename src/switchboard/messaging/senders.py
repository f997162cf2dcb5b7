"""The outbound sender interface and the embedded simulated sender.

Domain code sees only `MessageSender`. The Twilio REST sender lives in channels/twilio and
registers itself here under "twilio"; `build_sender(settings)` picks one by settings."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from switchboard.config import Settings
from switchboard.messaging.models import Channel, MessageStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboundMessage:
    message_id: uuid.UUID
    channel: Channel
    to_address: str
    from_address: str | None
    messaging_service_sid: str | None
    body: str
    media_urls: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    status: MessageStatus = MessageStatus.sending
    # Status steps the sender itself will report later as (delay_seconds, status): the
    # simulated sender's stand-in for the provider's delivery callbacks.
    scripted_statuses: list[tuple[float, MessageStatus]] = field(default_factory=list)


class SendError(Exception):
    """A send the provider refused or that did not get through.

    `transient`: worth retrying (5xx, 429, timeouts, refused connections). `maybe_sent`: the
    request may have reached the provider (a timeout after it was written), so a retry could
    send twice unless the provider's status callback has linked the message meanwhile."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        transient: bool = False,
        maybe_sent: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.transient = transient
        self.maybe_sent = maybe_sent


class MessageSender(Protocol):
    name: str

    async def send(self, message: OutboundMessage) -> SendResult: ...


class SimulatedSender:
    """Sends nothing: assigns an `SM…` id and scripts `sent` then `delivered`, which the
    worker feeds through the same status path as real delivery callbacks."""

    name = "simulated"

    def __init__(self, step_seconds: float = 1.0) -> None:
        self.step_seconds = step_seconds

    async def send(self, message: OutboundMessage) -> SendResult:
        return SendResult(
            provider_message_id=f"SM{uuid.uuid4().hex}",
            status=MessageStatus.sending,
            scripted_statuses=[
                (self.step_seconds, MessageStatus.sent),
                (2 * self.step_seconds, MessageStatus.delivered),
            ],
        )


SenderFactory = Callable[[Settings], MessageSender]
_factories: dict[str, SenderFactory] = {
    "simulated": lambda settings: SimulatedSender(settings.simulated_delivery_seconds)
}


def register_sender(name: str, factory: SenderFactory) -> None:
    _factories[name] = factory


def build_sender(settings: Settings) -> MessageSender:
    """`sms_sender=auto` sends through Twilio when an account SID is configured. The app
    builds its sender once, through its resources: `resources.get(build_sender)`."""
    name: str = settings.sms_sender
    if name == "auto":
        name = "twilio" if settings.twilio_account_sid and "twilio" in _factories else "simulated"
    if name not in _factories:
        raise RuntimeError(f"no sender named {name!r} is registered")
    return _factories[name](settings)
