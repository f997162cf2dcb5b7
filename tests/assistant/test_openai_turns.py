"""Chat turns through the API with the `openai` provider: the app's OpenAIModel talks to a
fake OpenAI-compatible server over loopback through the real SDK. Multi-round tool use,
history across turns, and every failure stored so the user can retry."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.tasks.models import Task
from switchboard.tenancy.models import Role
from tests.ai.openai_fake import FakeOpenAI, Reply, text, tools
from tests.assistant.conftest import new_conversation, parse_sse, send
from tests.factories import Factory
from tests.kit.helpers import AsUser


def roles(request: dict[str, Any]) -> list[str]:
    return [message["role"] for message in request["body"]["messages"]]


async def test_multi_round_tool_conversation(
    openai_client: httpx.AsyncClient,
    llm: FakeOpenAI,
    factory: Factory,
    as_user: AsUser,
    session: AsyncSession,
) -> None:
    tenant = await factory.tenant(name="Acme Roofing", timezone="America/Denver")
    user = await factory.user(tenant, Role.csr, name="Dana Whitfield")
    headers = as_user(user)
    llm.reply(
        tools(("create_task", {"title": "Call the Hendersons", "due": "tomorrow at 5pm"})),
        tools(("list_tasks", {"status": "pending"}), ("get_daily_digest", {})),
        text("I created the task and you now have 1 open task."),
    )
    conversation = await new_conversation(openai_client, headers)
    reply = await send(
        openai_client, headers, conversation["id"], "Remind me to call the Hendersons tomorrow"
    )

    answer = reply["assistant_message"]
    assert answer["status"] == "ok" and answer["model"] == "fake-gpt"
    assert answer["content"] == "I created the task and you now have 1 open task."
    assert [c["name"] for c in answer["tool_calls"]] == [
        "create_task",
        "list_tasks",
        "get_daily_digest",
    ]
    assert all(c["status"] == "ok" for c in answer["tool_calls"])
    assert answer["tool_calls"][1]["result"]["count"] == 1
    assert (answer["prompt_tokens"], answer["completion_tokens"]) == (3 * 42, 3 * 17)
    task = (await session.execute(select(Task).where(Task.tenant_id == tenant.id))).scalar_one()
    assert task.title == "Call the Hendersons"

    assert len(llm.requests) == 3
    first, _, last = llm.requests
    system = first["body"]["messages"][0]
    assert system["role"] == "system"
    assert "Dana Whitfield" in system["content"] and "csr" in system["content"]
    assert "Acme Roofing" in system["content"] and "America/Denver" in system["content"]
    assert {t["function"]["name"] for t in first["body"]["tools"]} >= {"create_task", "send_sms"}
    assert first["headers"]["authorization"].startswith("Bearer sk-test")
    assert roles(last) == ["system", "user", "assistant", "tool", "assistant", "tool", "tool"]
    assert '"created"' in last["body"]["messages"][3]["content"]


async def test_next_turn_reads_history_from_the_database(
    openai_client: httpx.AsyncClient, llm: FakeOpenAI, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.manager))
    llm.reply(tools(("list_tasks", {"status": "overdue"})), text("Nothing is overdue."))
    conversation = await new_conversation(openai_client, headers, message="anything overdue?")
    assert conversation["reply"]["assistant_message"]["content"] == "Nothing is overdue."
    llm.reply(text("You're welcome."))
    await send(openai_client, headers, conversation["id"], "thanks")
    follow_up = llm.requests[-1]["body"]["messages"]
    assert [m["role"] for m in follow_up] == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
    ]
    assert follow_up[1]["content"] == "anything overdue?"
    assert follow_up[2]["tool_calls"][0]["function"]["name"] == "list_tasks"
    assert follow_up[4]["content"] == "Nothing is overdue." and follow_up[5]["content"] == "thanks"


async def test_server_error_is_stored_and_the_retry_works(
    openai_client: httpx.AsyncClient, llm: FakeOpenAI, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.csr))
    conversation = await new_conversation(openai_client, headers)
    llm.reply(Reply(status=500), Reply(status=500))
    failed = await send(openai_client, headers, conversation["id"], "what's urgent?")
    assert len(llm.requests) == 2  # the SDK's one retry
    assert failed["user_message"]["content"] == "what's urgent?"
    error = failed["assistant_message"]
    assert error["status"] == "error" and "HTTP 500" in error["error"]
    assert "send it again to retry" in error["content"]
    assert error["tool_calls"] == [] and error["prompt_tokens"] is None

    llm.reply(text("Two overdue tasks."))
    retried = await send(openai_client, headers, conversation["id"], "what's urgent?")
    assert retried["assistant_message"]["status"] == "ok"
    assert retried["assistant_message"]["content"] == "Two overdue tasks."
    # The failed exchange is left out of what the model reads.
    assert roles(llm.requests[-1]) == ["system", "user"]
    history = await openai_client.get(
        f"/api/chat/conversations/{conversation['id']}/messages", headers=headers
    )
    assert [(m["role"], m["status"]) for m in history.json()["items"]] == [
        ("user", "ok"),
        ("assistant", "error"),
        ("user", "ok"),
        ("assistant", "ok"),
    ]


async def test_timeout_is_stored_as_an_error(
    settings: Any, db: Any, llm: FakeOpenAI, factory: Factory, as_user: AsUser
) -> None:
    from switchboard.app import create_app

    slow = settings.model_copy(
        update={
            "llm_provider": "openai",
            "llm_base_url": llm.base_url,
            "openai_api_key": "sk-test-switchboard",
            "llm_timeout_seconds": 0.3,
        }
    )
    app = create_app(slow, db=db)
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.csr))
    llm.reply(text("late", delay=1.5), text("late", delay=1.5))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        created = await new_conversation(client, headers, message="plan my day")
    answer = created["reply"]["assistant_message"]
    assert answer["status"] == "error" and "did not answer within 0.3 s" in answer["error"]
    assert created["message_count"] == 2


async def test_bad_tool_arguments_are_a_failed_call_the_model_reads(
    openai_client: httpx.AsyncClient, llm: FakeOpenAI, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.csr))
    llm.reply(
        tools(("create_task", '{"title": "Call back"')),
        tools(("complete_task", {"task_id": str(uuid.uuid4())}), ("no_such_tool", {})),
        text("Sorry, I could not do that."),
    )
    conversation = await new_conversation(openai_client, headers, message="make a task")
    answer = conversation["reply"]["assistant_message"]
    assert answer["status"] == "ok"
    calls = answer["tool_calls"]
    assert [(c["name"], c["status"]) for c in calls] == [
        ("create_task", "error"),
        ("complete_task", "error"),
        ("no_such_tool", "error"),
    ]
    assert "not valid JSON" in calls[0]["result"]["error"]
    assert "not found" in calls[1]["result"]["error"]
    assert "unknown tool" in calls[2]["result"]["error"]
    tool_messages = [m for m in llm.requests[1]["body"]["messages"] if m["role"] == "tool"]
    assert "not valid JSON" in tool_messages[0]["content"]


async def test_missing_usage_is_estimated_and_flagged(
    openai_client: httpx.AsyncClient, llm: FakeOpenAI, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.rep))
    conversation = await new_conversation(openai_client, headers)
    llm.reply(text("Your next appointment is at 2 PM.", usage=False))
    response = await openai_client.post(
        f"/api/chat/conversations/{conversation['id']}/messages",
        json={"content": "when is my next appointment?"},
        headers={**headers, "Accept": "text/event-stream"},
    )
    done = parse_sse(response.text)[-1]
    assert done.event == "done" and done.data["usage"]["estimated"] is True
    assert done.data["usage"]["prompt_tokens"] > 0 and done.data["usage"]["completion_tokens"] > 0
    history = await openai_client.get(
        f"/api/chat/conversations/{conversation['id']}/messages", headers=headers
    )
    stored = history.json()["items"][-1]
    assert stored["prompt_tokens"] == done.data["usage"]["prompt_tokens"]


async def test_bad_key_is_stored_as_a_clear_error(
    openai_client: httpx.AsyncClient, factory: Factory, as_user: AsUser, db: Any, settings: Any
) -> None:
    from switchboard.app import create_app

    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.csr))
    base_url = str(openai_client._transport.app.state.settings.llm_base_url)  # type: ignore[attr-defined]
    wrong = settings.model_copy(
        update={"llm_provider": "openai", "llm_base_url": base_url, "openai_api_key": "sk-nope"}
    )
    transport = httpx.ASGITransport(app=create_app(wrong, db=db))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        created = await new_conversation(client, headers, message="hello")
    answer = created["reply"]["assistant_message"]
    assert answer["status"] == "error"
    assert "refused the API key (401)" in answer["content"] and "OPENAI_API_KEY" in answer["error"]


async def test_event_stream_with_tools_and_deltas(
    openai_client: httpx.AsyncClient, llm: FakeOpenAI, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.manager))
    conversation = await new_conversation(openai_client, headers)
    llm.reply(
        tools(("get_daily_digest", {}), ("list_unanswered_messages", {"limit": 5})),
        text("Quiet day: nothing overdue and nobody waiting."),
    )
    response = await openai_client.post(
        f"/api/chat/conversations/{conversation['id']}/messages",
        json={"content": "what's going on today?"},
        headers={**headers, "Accept": "text/event-stream"},
    )
    assert response.status_code == 200
    events = parse_sse(response.text)
    kinds = [e.event for e in events]
    assert kinds[:5] == [
        "user_message",
        "tool_call_started",
        "tool_call_finished",
        "tool_call_started",
        "tool_call_finished",
    ]
    deltas = [e.data["text"] for e in events if e.event == "text_delta"]
    assert deltas[:3] == ["Quiet", " day:", " nothing"]
    assert "".join(deltas) == "Quiet day: nothing overdue and nobody waiting."
    assert kinds[-1] == "done" and events[-1].data["tool_calls"] == 2
    assert events[-1].data["usage"] == {
        "prompt_tokens": 84,
        "completion_tokens": 34,
        "estimated": False,
    }


async def test_event_stream_reports_a_model_failure(
    openai_client: httpx.AsyncClient, llm: FakeOpenAI, factory: Factory, as_user: AsUser
) -> None:
    tenant = await factory.tenant()
    headers = as_user(await factory.user(tenant, Role.csr))
    conversation = await new_conversation(openai_client, headers)
    llm.reply(Reply(status=502), Reply(status=502))
    response = await openai_client.post(
        f"/api/chat/conversations/{conversation['id']}/messages",
        json={"content": "hello"},
        headers={**headers, "Accept": "text/event-stream"},
    )
    events = parse_sse(response.text)
    assert [e.event for e in events] == ["user_message", "error", "done"]
    assert "HTTP 502" in events[1].data["error"]
    assert events[2].data["status"] == "error"
