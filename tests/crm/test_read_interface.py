"""What crm's service offers other domains for work done without an acting user (a job,
a webhook): reads and link checks scoped to the tenant, never beyond it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.crm.models import CallTranscript
from switchboard.crm.service import (
    drop_call_transcript,
    find_contact,
    fresh_call,
    fresh_recording,
    lead_of_call,
    require_links,
)
from switchboard.kit.clock import utcnow
from switchboard.kit.errors import InvalidField
from switchboard.tenancy.models import Role
from tests.factories import Factory


async def test_the_lead_of_a_call_is_its_own_else_the_contacts_latest(
    session: AsyncSession, factory: Factory
) -> None:
    tenant = await factory.tenant()
    contact = await factory.contact(tenant)
    older = await factory.lead(tenant, contact, created_at=utcnow() - timedelta(days=2))
    latest = await factory.lead(tenant, contact, created_at=utcnow() - timedelta(days=1))
    linked = await factory.call(tenant, contact, lead_id=older.id)
    unlinked = await factory.call(tenant, contact)
    nobody = await factory.call(tenant)

    assert (await lead_of_call(session, linked)) is older
    assert (await lead_of_call(session, unlinked)) is latest
    assert await lead_of_call(session, nobody) is None


async def test_system_reads_stay_inside_the_tenant(session: AsyncSession, factory: Factory) -> None:
    tenant, other = await factory.tenant(), await factory.tenant()
    contact = await factory.contact(other)
    call = await factory.call(other, contact)
    recording = await factory.recording(other, await factory.user(other, Role.rep))

    assert await find_contact(session, tenant.id, contact.id) is None
    assert await fresh_call(session, tenant.id, call.id) is None
    assert await fresh_recording(session, tenant.id, recording.id) is None
    assert (await find_contact(session, other.id, contact.id)) is contact
    assert (await fresh_call(session, other.id, call.id, lock=True)) is call
    assert (await fresh_recording(session, other.id, recording.id, lock=True)) is recording

    await require_links(session, other.id, {"contact_id": contact.id, "call_id": call.id})
    with pytest.raises(InvalidField) as refused:
        await require_links(session, tenant.id, {"contact_id": None, "call_id": call.id})
    assert refused.value.field == "call_id"


async def test_dropping_a_transcript_leaves_other_calls_alone(
    session: AsyncSession, factory: Factory
) -> None:
    tenant = await factory.tenant()
    calls = [await factory.call(tenant), await factory.call(tenant)]
    for call in calls:
        session.add(CallTranscript(tenant_id=tenant.id, call_id=call.id, text="Hello"))
    await session.flush()

    await drop_call_transcript(session, calls[0])
    assert (await fresh_call(session, tenant.id, calls[0].id)).transcript is None  # type: ignore[union-attr]
    kept = await fresh_call(session, tenant.id, calls[1].id)
    assert kept is not None and kept.transcript is not None
