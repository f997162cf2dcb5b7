"""Which open task a description names ("the Garcia follow-up"): the rule the assistant's
task tools ask `TaskService` for."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.tasks.models import Task, TaskSource, TaskStatus
from switchboard.tasks.service import TaskService, find_open_task
from switchboard.tenancy.models import Role
from tests.factories import Factory


async def test_the_contact_name_counts_more_than_the_title(
    factory: Factory, session: AsyncSession
) -> None:
    tenant = await factory.tenant()
    manager = await factory.user(tenant, Role.manager)
    garcia = await factory.contact(tenant, first_name="Ana", last_name="Garcia")
    named = await factory.task(tenant, title="Call back about the roof", contact_id=garcia.id)
    await factory.task(tenant, title="Send Garcia Roofing the invoice")
    await factory.task(tenant, title="Garcia follow-up", status=TaskStatus.completed)

    fit = await TaskService(session, manager).best_open_fits("the Garcia call")
    assert fit.words == {"garcia", "call"}
    assert fit.tasks == [named]
    assert fit.contact_names == {garcia.id: "Ana Garcia"}


async def test_ties_say_each_task_and_nothing_telling_says_no_words(
    factory: Factory, session: AsyncSession
) -> None:
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    first = await factory.task(tenant, title="Quote for the Lees")
    second = await factory.task(tenant, title="Quote the Lees again")
    service = TaskService(session, csr)

    tied = await service.best_open_fits("lees quote")
    assert {task.id for task in tied.tasks} == {first.id, second.id}
    assert (await service.best_open_fits("mark the task done")).words == frozenset()
    unmatched = await service.best_open_fits("Hendersons")
    assert unmatched.words == {"hendersons"} and unmatched.tasks == []


async def test_find_open_task_matches_source_title_and_appointment(
    factory: Factory, session: AsyncSession
) -> None:
    tenant = await factory.tenant()
    rep = await factory.user(tenant, Role.rep)
    contact = await factory.contact(tenant)
    appointment = await factory.appointment(tenant, contact, rep)
    plain = await factory.task(
        tenant, title="Reply", contact_id=contact.id, source=TaskSource.auto_reply
    )
    booked = await factory.task(
        tenant,
        title="Reply",
        contact_id=contact.id,
        source=TaskSource.auto_reply,
        appointment_id=appointment.id,
    )
    await factory.task(tenant, title="Other", contact_id=contact.id, source=TaskSource.auto_reply)

    async def find(title: str, appointment_id: uuid.UUID | None = None) -> Task | None:
        return await find_open_task(
            session,
            tenant.id,
            contact_id=contact.id,
            source=TaskSource.auto_reply,
            title=title,
            appointment_id=appointment_id,
        )

    assert await find(title="Reply") == plain
    assert await find(title="Reply", appointment_id=appointment.id) == booked
    assert await find(title="Nothing like it") is None
    assert (
        await find_open_task(
            session, tenant.id, contact_id=contact.id, source=TaskSource.manual, title="Reply"
        )
        is None
    )
