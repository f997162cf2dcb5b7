"""Conversations waiting on a reply (the inbox's view and the count in every page's title):
the customer wrote last and may still be answered, and an opt-out is found by its key."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.crm.models import ContactPhone
from switchboard.kit.clock import utcnow
from switchboard.kit.pagination import PageParams
from switchboard.messaging.models import Channel, MessagingSession, OptOut
from switchboard.messaging.repository import SessionRepository
from switchboard.messaging.schemas import InboxView, SessionFilters
from switchboard.messaging.service import InboxService
from switchboard.tenancy.models import Role, Tenant
from tests.factories import Factory


async def _conversation(
    factory: Factory, tenant: Tenant, number: str, channel: Channel, *, customer_last: bool = True
) -> MessagingSession:
    """A conversation on `channel` with the customer at `number` (one contact per number)."""
    phone = await factory.session.scalar(
        select(ContactPhone).where(
            ContactPhone.tenant_id == tenant.id, ContactPhone.number == number
        )
    )
    contact_id = phone.contact_id if phone else (await factory.contact(tenant, phone=number)).id
    now = utcnow()
    counterpart = f"whatsapp:{number}" if channel == Channel.whatsapp else number
    conversation = MessagingSession(
        tenant_id=tenant.id,
        contact_id=contact_id,
        channel=channel,
        counterpart_address=counterpart,
        first_message_at=now - timedelta(minutes=5),
        last_message_at=now,
        last_inbound_at=now if customer_last else now - timedelta(minutes=5),
    )
    return await factory._add(conversation)  # type: ignore[no-any-return]


async def _opt_out(factory: Factory, tenant: Tenant, number: str, group: str) -> None:
    await factory._add(
        OptOut(
            tenant_id=tenant.id,
            address=number,
            channel_group=group,
            keyword="STOP",
            opted_out_at=utcnow(),
        )
    )


async def test_an_opt_out_takes_a_conversation_out_of_waiting_in_its_channel_group_only(
    session: AsyncSession, factory: Factory
) -> None:
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    a, b, c, d = "+13125550101", "+13125550102", "+13125550103", "+13125550104"
    await _opt_out(factory, tenant, a, "sms")
    await _opt_out(factory, tenant, b, "whatsapp")
    await _opt_out(factory, tenant, c, "whatsapp")
    await _opt_out(factory, tenant, d, "sms")
    await _conversation(factory, tenant, a, Channel.sms)  # opted out of SMS
    a_whatsapp = await _conversation(factory, tenant, a, Channel.whatsapp)
    b_sms = await _conversation(factory, tenant, b, Channel.sms)
    await _conversation(factory, tenant, c, Channel.whatsapp)  # opted out of WhatsApp
    await _conversation(factory, tenant, d, Channel.voice)  # voice shares SMS's opt-out
    await _conversation(factory, tenant, "+13125550105", Channel.sms, customer_last=False)

    inbox = InboxService(session, csr)
    assert await inbox.waiting_count() == 2
    rows, _ = await inbox.list(SessionFilters(view=InboxView.waiting), PageParams(limit=10))
    assert {row.id for row in rows} == {a_whatsapp.id, b_sms.id}
    everything, _ = await inbox.list(SessionFilters(), PageParams(limit=10))
    waiting = {row.id for row in everything if row.awaiting_reply}
    assert len(everything) == 6 and waiting == {a_whatsapp.id, b_sms.id}


async def test_the_waiting_count_looks_an_opt_out_up_by_its_key(
    session: AsyncSession, factory: Factory, backend: str
) -> None:
    """One index probe per conversation, not a comparison with every opt-out: matched on an
    expression of the opt-out's address, 10,000 conversations and 100 opt-outs made the
    count in every page's title take 200 ms (bench/web_pages.py)."""
    tenant = await factory.tenant()
    await _opt_out(factory, tenant, "+13125550101", "sms")
    await _conversation(factory, tenant, "+13125550102", Channel.sms)
    counted = (
        select(func.count())
        .select_from(MessagingSession)
        .where(MessagingSession.tenant_id == tenant.id, SessionRepository.waiting_on_reply())
    )
    dialect = session.get_bind().dialect
    sql = str(counted.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if backend == "postgres":
        # Tiny tables: steer the planner to a hash join, whose condition shows the key used.
        for setting in ("enable_nestloop", "enable_mergejoin"):
            await session.execute(text(f"SET LOCAL {setting} = off"))
        plan = [str(row[0]) for row in await session.execute(text(f"EXPLAIN {sql}"))]
        keyed = [line for line in plan if "Hash Cond" in line and "opt_outs.address" in line]
    else:
        plan = [str(row[-1]) for row in await session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
        keyed = [line for line in plan if "SEARCH opt_outs" in line and "address=?" in line]
    assert keyed, "\n".join(plan)
