"""References across stored turns: the built-in model reads back what earlier replies
listed from the stored tool calls (the history the assistant replays), so "the second
one" is the second task shown, even when the stored result is too long to replay whole."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx

from switchboard.assistant.service import HISTORY_TOOL_RESULT_CHARS, fit_json
from switchboard.kit.clock import utcnow
from switchboard.tasks.models import TaskPriority
from switchboard.tenancy.models import Role
from tests.assistant.conftest import new_conversation, send
from tests.factories import Factory


async def test_the_second_one_from_a_stored_turn(
    client: httpx.AsyncClient, factory: Factory, as_user: object
) -> None:
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr, name="Casey CSR")
    headers = as_user(csr)  # type: ignore[operator]
    now = utcnow()
    titles = [f"Task number {n} with a longer title to fill the stored result" for n in range(12)]
    made = [
        await factory.task(
            tenant,
            title=title,
            priority=TaskPriority.high if n == 0 else TaskPriority.medium,
            due_at=now + timedelta(hours=n + 1),
            description="details " * 30,
        )
        for n, title in enumerate(titles)
    ]
    conversation = await new_conversation(client, headers)
    listed = (await send(client, headers, conversation["id"], "list my tasks"))["assistant_message"]
    assert "2. “Task number 1 " in listed["content"]
    done = (await send(client, headers, conversation["id"], "the second one is done"))[
        "assistant_message"
    ]
    assert [(c["name"], c["arguments"]) for c in done["tool_calls"]] == [
        ("complete_task", {"task_id": str(made[1].id)})
    ]
    assert done["content"].startswith("Marked “Task number 1 ")


def test_a_long_result_is_shortened_record_by_record() -> None:
    result = {
        "total": 40,
        "tasks": [{"id": f"{n:036d}", "title": "t" * 200, "notes": "n" * 500} for n in range(40)],
    }
    text = fit_json(result, HISTORY_TOOL_RESULT_CHARS)
    assert len(text) <= HISTORY_TOOL_RESULT_CHARS
    kept = json.loads(text)
    assert kept["total"] == 40 and kept["tasks"][0]["id"] == f"{0:036d}"
    assert [task["id"] for task in kept["tasks"] if isinstance(task, dict)][:2] == [
        f"{0:036d}",
        f"{1:036d}",
    ]
