"""The task list in the browser: filters, creating with the company's local due time,
errors next to the field, editing, completing, cancelling, and who may touch what."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kit.clock import utcnow
from switchboard.tasks.models import AssignedRole, Task, TaskPriority, TaskSource, TaskStatus
from switchboard.tenancy.models import Role
from tests.factories import Factory
from tests.web.conftest import Browser


def _titles(html: str) -> list[str]:
    return [
        " ".join(re.sub(r"<[^>]+>", " ", title).split())
        for title in re.findall(r'<p class="task-title">(.*?)</p>', html, re.S)
    ]


async def test_new_task_form_creates_a_task_due_in_the_company_zone(
    factory: Factory, session: AsyncSession, sign_in: object
) -> None:
    tenant = await factory.tenant(timezone="America/Denver")
    csr = await factory.user(tenant, Role.csr)
    rep = await factory.user(tenant, Role.rep, name="Marcus Reyes")
    contact = await factory.contact(tenant, first_name="Lisa", last_name="Henderson")
    browser: Browser = await sign_in(csr)  # type: ignore[operator]

    form = await browser.get(f"/tasks/new?contact_id={contact.id}", headers={"HX-Request": "true"})
    for label in ("Title", "Due", "Priority", "Assignee"):
        assert re.search(rf'<label for="task-\w+">{label}', form.text), label
    assert ">Save</button>" in form.text
    assert f'name="contact_id" value="{contact.id}"' in form.text

    created = await browser.post(
        "/tasks",
        {
            "title": "Call the Hendersons",
            "description": "About the skylight",
            "due": "2026-12-03T17:00",
            "priority": "high",
            "assignee": f"user:{rep.id}",
            "contact_id": str(contact.id),
        },
        htmx=True,
    )
    assert created.status_code == 200, created.text
    assert created.headers["HX-Trigger"] == "sb:tasks-changed"
    assert "Task created: Call the Hendersons" in created.text
    task = (
        await session.execute(select(Task).where(Task.title == "Call the Hendersons"))
    ).scalar_one()
    assert task.due_at == datetime(2026, 12, 4, 0, 0, tzinfo=UTC)  # 17:00 in Denver
    assert (task.priority, task.assignee_id, task.assigned_role) == (
        TaskPriority.high,
        rep.id,
        AssignedRole.rep,
    )
    assert (task.contact_id, task.created_by_id, task.source) == (
        contact.id,
        csr.id,
        TaskSource.manual,
    )

    listing = await browser.get("/tasks")
    assert "Call the Hendersons" in _titles(listing.text)[0]
    assert f"Made by {csr.name}" in listing.text and "For Marcus Reyes" in listing.text
    assert "Thu Dec 3, 5:00 PM" in listing.text


async def test_a_bad_task_form_says_what_is_wrong_and_stores_nothing(
    factory: Factory, session: AsyncSession, sign_in: object
) -> None:
    tenant = await factory.tenant()
    browser: Browser = await sign_in(await factory.user(tenant, Role.csr))  # type: ignore[operator]
    response = await browser.post(
        "/tasks", {"title": " ", "due": "next tuesday-ish", "assignee": "user:nobody"}, htmx=True
    )
    assert response.status_code == 422
    assert 'class="error-summary"' in response.text
    for field in ("title", "due", "assignee"):
        assert f'id="task-{field}-error"' in response.text, field
    assert "next tuesday-ish" in response.text  # what was typed is kept
    assert (await session.execute(select(Task))).first() is None


async def test_overdue_stands_out_and_filters_narrow_the_list(
    factory: Factory, sign_in: object, frozen_clock: object
) -> None:
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    now = utcnow()
    await factory.task(
        tenant, title="Late callback", due_at=now - timedelta(hours=1), assignee_id=csr.id
    )
    await factory.task(tenant, title="Queue item", assigned_role=AssignedRole.csr)
    await factory.task(
        tenant, title="Otto follow-up", source=TaskSource.otto, assigned_role=AssignedRole.rep
    )
    await factory.task(tenant, title="Done already", status=TaskStatus.completed)
    browser: Browser = await sign_in(csr)  # type: ignore[operator]

    everything = await browser.get("/tasks")
    titles = _titles(everything.text)
    assert sorted(t.split(" overdue")[0] for t in titles) == [
        "Late callback",
        "Otto follow-up",
        "Queue item",
    ]
    assert "Late callback overdue" in titles
    assert re.search(r'class="task status-overdue', everything.text)

    async def only(query: str) -> list[str]:
        return _titles((await browser.get(f"/tasks?{query}")).text)

    assert await only("scope=mine") == ["Late callback overdue"]
    assert await only("scope=queue") == ["Queue item"]
    assert await only("status=overdue") == ["Late callback overdue"]
    assert await only("status=completed") == ["Done already completed"]
    assert await only("made_by=ai") == ["Otto follow-up"]
    assert "Otto follow-up" not in await only("made_by=person")
    assert await only("due=today") == ["Late callback overdue"]
    assert "Made by Otto (call AI)" in (await browser.get("/tasks?made_by=ai")).text


async def test_complete_cancel_and_edit(
    factory: Factory, session: AsyncSession, sign_in: object
) -> None:
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    one = await factory.task(tenant, title="One", assignee_id=csr.id)
    two = await factory.task(tenant, title="Two", assignee_id=csr.id)
    browser: Browser = await sign_in(csr)  # type: ignore[operator]
    await browser.get("/tasks")

    done = await browser.post(f"/tasks/{one.id}/complete", htmx=True)
    assert (
        done.status_code == 200
        and "status-completed" in done.text
        and ">Complete</button>" not in done.text
    )
    cancelled = await browser.post(f"/tasks/{two.id}/cancel", htmx=True)
    assert "status-cancelled" in cancelled.text
    again = await browser.post(f"/tasks/{two.id}/complete", htmx=True)
    assert again.status_code == 409 and "cancelled task cannot be completed" in again.text

    three = await factory.task(tenant, title="Three", assignee_id=csr.id)
    form = await browser.get(f"/tasks/{three.id}/edit", headers={"HX-Request": "true"})
    assert 'value="Three"' in form.text
    edited = await browser.post(
        f"/tasks/{three.id}",
        {"title": "Three, renamed", "priority": "low", "due": "", "assignee": "role:manager"},
        htmx=True,
    )
    assert edited.status_code == 200 and "Three, renamed" in edited.text
    await session.refresh(three)
    assert (three.title, three.priority, three.assigned_role, three.assignee_id) == (
        "Three, renamed",
        TaskPriority.low,
        AssignedRole.manager,
        None,
    )
    await session.refresh(one)
    assert one.status == TaskStatus.completed


async def test_a_rep_cannot_see_or_touch_another_reps_task(
    factory: Factory, session: AsyncSession, sign_in: object
) -> None:
    tenant = await factory.tenant()
    rep, other = await factory.user(tenant, Role.rep), await factory.user(tenant, Role.rep)
    theirs = await factory.task(tenant, title="Not yours", assignee_id=other.id)
    browser: Browser = await sign_in(rep)  # type: ignore[operator]
    assert "Not yours" not in (await browser.get("/tasks")).text
    assert (await browser.get(f"/tasks/{theirs.id}/edit")).status_code == 404
    assert (await browser.post(f"/tasks/{theirs.id}/complete")).status_code == 404
    await session.refresh(theirs)
    assert theirs.status == TaskStatus.open
