"""OpenAIModel against a fake OpenAI-compatible server over real HTTP, through the real SDK:
streaming with split tool-call deltas, usage (reported or estimated), the non-streaming
fallback, and the failures staff should see as one clear sentence."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from switchboard.ai.builtin import BuiltinModel
from switchboard.ai.model import (
    Completion,
    ModelError,
    ModelMessage,
    StreamItem,
    TextDelta,
    ToolCall,
    ToolSpec,
)
from switchboard.ai.openai_model import OpenAIModel
from switchboard.ai.providers import get_model
from switchboard.config import Settings
from tests.ai.openai_fake import API_KEY, FakeOpenAI, Reply, text, tools

TOOLS = [
    ToolSpec(
        "create_task",
        "Create a task.",
        {
            "type": "object",
            "properties": {"title": {"type": "string"}, "due": {"type": "string"}},
            "required": ["title"],
        },
    )
]
ASK = [ModelMessage("system", "You help staff."), ModelMessage("user", "Call the Hendersons")]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI().running() as fake:
        yield fake


@pytest.fixture
def llm(server: FakeOpenAI) -> FakeOpenAI:
    server.reset()
    return server


def make_model(llm: FakeOpenAI, **overrides: object) -> OpenAIModel:
    fields: dict[str, object] = {
        "demo": True,
        "llm_provider": "openai",
        "llm_base_url": llm.base_url,
        "llm_model": "fake-gpt",
        "OPENAI_API_KEY": API_KEY,
        "llm_timeout_seconds": 5.0,
    }
    fields.update(overrides)
    return OpenAIModel(Settings(**fields))  # type: ignore[arg-type]


async def collect(model: OpenAIModel, messages: list[ModelMessage]) -> list[StreamItem]:
    return [item async for item in model.stream(messages, TOOLS)]


async def test_complete_returns_text_and_reported_usage(llm: FakeOpenAI) -> None:
    llm.reply(text("You have two overdue tasks."))
    completion = await make_model(llm).complete(ASK, TOOLS)
    assert completion.text == "You have two overdue tasks."
    assert completion.tool_calls == ()
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (42, 17)
    assert not completion.usage.estimated and completion.model == "fake-gpt"
    sent = llm.requests[0]["body"]
    assert sent["model"] == "fake-gpt" and "stream" not in sent
    assert sent["tools"][0] == {
        "type": "function",
        "function": {
            "name": "create_task",
            "description": "Create a task.",
            "parameters": TOOLS[0].parameters,
        },
    }
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]


async def test_stream_assembles_tool_calls_split_across_chunks(llm: FakeOpenAI) -> None:
    arguments = {"title": "Call the Hendersons", "due": "tomorrow at 5pm"}
    llm.reply(tools(("create_task", arguments), ("create_task", {"title": "Send the quote"})))
    items = await collect(make_model(llm), ASK)
    assert len(items) == 1 and isinstance(items[0], Completion)
    completion = items[0]
    assert [call.name for call in completion.tool_calls] == ["create_task", "create_task"]
    assert completion.tool_calls[0].arguments == arguments
    assert completion.tool_calls[1].arguments == {"title": "Send the quote"}
    assert completion.tool_calls[0].id != completion.tool_calls[1].id
    assert completion.usage.prompt_tokens == 42 and not completion.usage.estimated
    sent = llm.requests[0]["body"]
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}


async def test_stream_yields_only_new_text_per_delta(llm: FakeOpenAI) -> None:
    llm.reply(text("Three customers are waiting on a reply."))
    items = await collect(make_model(llm), ASK)
    deltas = [item.text for item in items if isinstance(item, TextDelta)]
    assert len(deltas) == 7 and deltas[0] == "Three" and deltas[1] == " customers"
    final = items[-1]
    assert isinstance(final, Completion)
    assert "".join(deltas) == final.text == "Three customers are waiting on a reply."


@pytest.mark.parametrize("streaming", [False, True])
async def test_missing_usage_is_estimated(llm: FakeOpenAI, streaming: bool) -> None:
    llm.reply(text("Nothing is overdue.", usage=False))
    model = make_model(llm)
    if streaming:
        final = (await collect(model, ASK))[-1]
        assert isinstance(final, Completion)
    else:
        final = await model.complete(ASK, TOOLS)
    assert final.usage.estimated
    assert final.usage.prompt_tokens > 0 and final.usage.completion_tokens > 0


@pytest.mark.parametrize("streaming", [False, True])
async def test_bad_tool_argument_json_is_kept_raw(llm: FakeOpenAI, streaming: bool) -> None:
    llm.reply(tools(("create_task", '{"title": "Call back", ')))
    model = make_model(llm)
    if streaming:
        final = (await collect(model, ASK))[-1]
        assert isinstance(final, Completion)
    else:
        final = await model.complete(ASK, TOOLS)
    (call,) = final.tool_calls
    assert call.name == "create_task" and call.arguments == {}
    assert call.raw_arguments == '{"title": "Call back", '


async def test_server_that_cannot_stream_tools_gets_a_plain_request(llm: FakeOpenAI) -> None:
    llm.reply(text("Done.", no_streaming_with_tools=True), text("Done again."))
    model = make_model(llm)
    items = await collect(model, ASK)
    assert [type(i) for i in items] == [TextDelta, Completion]
    assert items[-1].text == "Done."  # type: ignore[union-attr]
    assert [r["body"].get("stream", False) for r in llm.requests] == [True, False]
    # Remembered: the next turn does not try streaming with tools again.
    await collect(model, ASK)
    assert [r["body"].get("stream", False) for r in llm.requests] == [True, False, False]


async def test_bad_key_is_a_clear_model_error(llm: FakeOpenAI) -> None:
    model = make_model(llm, OPENAI_API_KEY="sk-wrong")
    with pytest.raises(ModelError, match=r"refused the API key \(401\).*OPENAI_API_KEY"):
        await model.complete(ASK, TOOLS)
    with pytest.raises(ModelError, match="401"):
        await collect(model, ASK)
    assert len(llm.requests) == 2  # a 401 is not retried


async def test_server_error_is_retried_once_then_a_model_error(llm: FakeOpenAI) -> None:
    llm.reply(Reply(status=500), Reply(status=500))
    with pytest.raises(ModelError, match="HTTP 500"):
        await collect(make_model(llm), ASK)
    assert len(llm.requests) == 2


async def test_server_error_then_success_on_the_retry(llm: FakeOpenAI) -> None:
    llm.reply(Reply(status=503), text("Recovered."))
    completion = await make_model(llm).complete(ASK, TOOLS)
    assert completion.text == "Recovered." and len(llm.requests) == 2


async def test_timeout_is_a_model_error(llm: FakeOpenAI) -> None:
    llm.reply(text("late", delay=1.5), text("late", delay=1.5))
    with pytest.raises(ModelError, match=r"did not answer within 0.3 s"):
        await make_model(llm, llm_timeout_seconds=0.3).complete(ASK, TOOLS)


async def test_unreachable_server_is_a_model_error() -> None:
    settings = Settings(
        demo=True,
        llm_provider="openai",
        llm_base_url="http://127.0.0.1:9/v1",
        llm_timeout_seconds=1.0,
    )
    with pytest.raises(ModelError, match="could not reach"):
        await OpenAIModel(settings).complete(ASK, [])


async def test_openai_without_a_key_says_how_to_configure() -> None:
    model = OpenAIModel(Settings(demo=True, llm_provider="openai", OPENAI_API_KEY=None))
    with pytest.raises(ModelError, match="OPENAI_API_KEY"):
        await model.complete(ASK, [])


async def test_history_with_tool_calls_is_sent_in_openai_format(llm: FakeOpenAI) -> None:
    llm.reply(text("Created it."))
    call = ToolCall("call_7", "create_task", {"title": "Call back"})
    history = [
        *ASK,
        ModelMessage("assistant", "", tool_calls=(call,)),
        ModelMessage("tool", '{"created": {"title": "Call back"}}', tool_call_id="call_7"),
    ]
    await make_model(llm).complete(history, TOOLS)
    sent = llm.requests[0]["body"]["messages"]
    assert sent[2] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_7",
                "type": "function",
                "function": {"name": "create_task", "arguments": '{"title": "Call back"}'},
            }
        ],
    }
    assert sent[3] == {
        "role": "tool",
        "tool_call_id": "call_7",
        "content": '{"created": {"title": "Call back"}}',
    }


def test_provider_is_chosen_from_settings(llm: FakeOpenAI) -> None:
    assert isinstance(get_model(Settings(demo=True)), BuiltinModel)
    chosen = get_model(
        Settings(demo=True, llm_provider="openai", llm_base_url=llm.base_url, llm_model="m")
    )
    assert isinstance(chosen, OpenAIModel) and chosen.name == "m"


async def test_a_real_bad_request_is_an_error_and_streaming_stays_on(llm: FakeOpenAI) -> None:
    llm.reply(Reply(status=400), Reply(status=400), text("Fine now."))
    model = make_model(llm)
    with pytest.raises(ModelError, match="HTTP 400"):
        await collect(model, ASK)
    items = await collect(model, ASK)
    assert items[-1].text == "Fine now."  # type: ignore[union-attr]
    assert [r["body"].get("stream", False) for r in llm.requests] == [True, False, True]
