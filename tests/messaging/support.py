"""What the inbox and Twilio tests share: a tenant with numbers and staff, webhooks signed by
twilio's own RequestValidator, and a recorder for the events a transaction publishes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from twilio.request_validator import RequestValidator

from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.kit.events import Event
from switchboard.kit.jobs import Job
from switchboard.kit.resources import Resources
from switchboard.messaging.senders import MessageSender, SimulatedSender, build_sender
from switchboard.tenancy.models import ChannelAccount, ChannelKind, Role, Tenant, User
from tests.factories import Factory

OUR_NUMBER = "+15555550100"
CUSTOMER = "+13125550123"
SIGNATURE = "X-Twilio-Signature"


@dataclass
class Inbox:
    tenant: Tenant
    manager: User
    csr: User
    rep: User
    sms: ChannelAccount
    whatsapp: ChannelAccount


async def make_inbox(factory: Factory, number: str = OUR_NUMBER, **tenant: Any) -> Inbox:
    tenant.setdefault("name", "Summit Roofing")
    company = await factory.tenant(**tenant)
    return Inbox(
        tenant=company,
        manager=await factory.user(company, Role.manager),
        csr=await factory.user(company, Role.csr),
        rep=await factory.user(company, Role.rep),
        sms=await factory.channel(company, number),
        whatsapp=await factory.channel(company, f"whatsapp:{number}", ChannelKind.whatsapp),
    )


@pytest.fixture
async def inbox(factory: Factory) -> Inbox:
    return await make_inbox(factory)


def sign(settings: Settings, path: str, params: dict[str, str], query: str = "") -> str:
    url = settings.public_url.rstrip("/") + path + (f"?{query}" if query else "")
    return str(RequestValidator(settings.twilio_auth_token).compute_signature(url, params))


async def post_webhook(
    client: httpx.AsyncClient,
    settings: Settings,
    path: str,
    params: dict[str, str],
    *,
    query: str = "",
    signature: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST like Twilio: form-encoded, signed over public_url + path + query and the form."""
    sent_headers = {
        SIGNATURE: signature if signature is not None else sign(settings, path, params, query)
    }
    sent_headers.update(headers or {})
    url = path + (f"?{query}" if query else "")
    return await client.post(url, data=params, headers=sent_headers)


def sms_params(
    body: str = "Hi, is my roof inspection still on?",
    *,
    sender: str = CUSTOMER,
    to: str = OUR_NUMBER,
    sid: str | None = None,
    **extra: str,
) -> dict[str, str]:
    sid = sid or f"SM{uuid.uuid4().hex}"
    return {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": f"AC{'1' * 32}",
        "From": sender,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
        **extra,
    }


class EventRecorder:
    """Stands in for the bus: the events committed transactions publish."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    async def publish(self, event: Event) -> None:
        self.events.append(event)

    async def publish_many(self, events: Sequence[Event]) -> None:
        self.events.extend(events)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [event.data for event in self.events if event.type == kind]


@pytest.fixture
def events(client: httpx.AsyncClient, db: Database) -> EventRecorder:
    recorder = EventRecorder()
    db.bus = recorder  # type: ignore[assignment]
    return recorder


@pytest.fixture
def simulated(resources: Resources) -> SimulatedSender:
    sender = SimulatedSender(step_seconds=1.0)
    resources.provide(build_sender, sender)
    return sender


async def jobs_of(session: AsyncSession, kind: str) -> list[Job]:
    rows = await session.execute(select(Job).where(Job.kind == kind).order_by(Job.created_at))
    return list(rows.scalars())


async def count(session: AsyncSession, model: Any, *where: Any) -> int:
    stmt = select(func.count()).select_from(model)
    for condition in where:
        stmt = stmt.where(condition)
    return int((await session.execute(stmt)).scalar_one())


@pytest.fixture
def use_sender_for_test(resources: Resources) -> Callable[[MessageSender], MessageSender]:
    """`install(sender)`: the test app's sender (whoever made it closes it)."""

    def install(sender: MessageSender) -> MessageSender:
        resources.provide(build_sender, sender)
        return sender

    return install
