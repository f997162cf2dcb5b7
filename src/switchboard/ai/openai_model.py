"""The `openai` provider: any OpenAI-compatible chat completions server (OpenAI, Azure, vLLM,
Ollama, llama.cpp, LM Studio) through the official SDK. The only module that imports it."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import openai
from openai import AsyncOpenAI

from switchboard.ai.model import (
    Audience,
    Completion,
    ModelError,
    ModelMessage,
    StreamItem,
    TextDelta,
    ToolCall,
    ToolSpec,
    Usage,
    estimate_tokens,
)
from switchboard.config import Settings

log = logging.getLogger(__name__)

# Local servers take any key; the SDK refuses to start without one.
PLACEHOLDER_KEY = "not-needed"


def to_openai_messages(messages: list[ModelMessage]) -> list[dict[str, Any]]:
    converted: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "tool":
            converted.append(
                {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
            )
        elif message.role == "assistant" and message.tool_calls:
            converted.append(
                {
                    "role": "assistant",
                    "content": message.content or None,
                    "tool_calls": [
                        {
                            "id": call.id,
                            "type": "function",
                            "function": {
                                "name": call.name,
                                "arguments": call.raw_arguments
                                if call.raw_arguments is not None
                                else json.dumps(call.arguments),
                            },
                        }
                        for call in message.tool_calls
                    ],
                }
            )
        else:
            converted.append({"role": message.role, "content": message.content})
    return converted


def to_openai_tools(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters,
            },
        }
        for tool in tools
    ]


def parse_tool_call(call_id: str, name: str, raw: str) -> ToolCall:
    """Arguments that are not a JSON object are kept raw; the toolbox reports them back."""
    try:
        arguments = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError:
        return ToolCall(id=call_id, name=name, arguments={}, raw_arguments=raw)
    if not isinstance(arguments, dict):
        return ToolCall(id=call_id, name=name, arguments={}, raw_arguments=raw)
    return ToolCall(id=call_id, name=name, arguments=arguments)


def estimate_usage(
    messages: list[ModelMessage], tools: list[ToolSpec], text: str, calls: tuple[ToolCall, ...]
) -> Usage:
    """For servers that report no usage: about four characters a token."""
    prompt = sum(estimate_tokens(m.content) + 4 for m in messages)
    prompt += sum(
        estimate_tokens(json.dumps(m.arguments)) for msg in messages for m in msg.tool_calls
    )
    prompt += estimate_tokens(json.dumps(to_openai_tools(tools))) if tools else 0
    completion = estimate_tokens(text) + sum(
        estimate_tokens(c.raw_arguments or json.dumps(c.arguments)) + 4 for c in calls
    )
    return Usage(prompt_tokens=prompt, completion_tokens=completion, estimated=True)


@dataclass
class _PartialCall:
    """A tool call being assembled from streamed deltas (they arrive split, keyed by index)."""

    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)

    def add(self, call_id: str | None, name: str | None, arguments: str | None) -> None:
        if call_id and not self.id:
            self.id = call_id
        # Most servers send the name once; some repeat it in every delta, a few split it.
        if name and name != self.name:
            self.name += name
        if arguments:
            self.arguments.append(arguments)


class OpenAIModel:
    """One set of rules for every conversation: the system prompt the caller writes says
    whom the model answers, so `audience` is accepted and ignored."""

    def __init__(self, settings: Settings, client: AsyncOpenAI | None = None) -> None:
        self.name = settings.llm_model
        self.timeout = settings.llm_timeout_seconds
        self.base_url = settings.llm_base_url or "https://api.openai.com/v1"
        self._missing_key = not settings.openai_api_key and not settings.llm_base_url
        self._client = client or AsyncOpenAI(
            base_url=settings.llm_base_url,
            api_key=settings.openai_api_key or PLACEHOLDER_KEY,
            timeout=settings.llm_timeout_seconds,
            max_retries=1,
        )
        # Whether requests with tools (True) or without (False) were refused streaming by
        # this server: those go straight to non-streaming requests from then on.
        self._refuses_streaming: set[bool] = set()

    async def aclose(self) -> None:
        await self._client.close()

    async def complete(
        self,
        messages: list[ModelMessage],
        tools: list[ToolSpec],
        *,
        audience: Audience | None = None,
    ) -> Completion:
        self._check_key()
        try:
            response = await self._client.chat.completions.create(**self._request(messages, tools))
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc
        if not response.choices:
            raise ModelError(f"the model server at {self.base_url} returned no choices")
        message = response.choices[0].message
        text = message.content or ""
        calls = tuple(
            parse_tool_call(call.id, call.function.name, call.function.arguments or "")
            for call in (message.tool_calls or [])
            if getattr(call, "function", None) is not None
        )
        usage = (
            Usage(
                prompt_tokens=response.usage.prompt_tokens,
                completion_tokens=response.usage.completion_tokens,
            )
            if response.usage is not None
            else estimate_usage(messages, tools, text, calls)
        )
        return Completion(
            text=text or None, tool_calls=calls, usage=usage, model=response.model or self.name
        )

    async def complete_json(
        self, messages: list[ModelMessage], name: str, schema: dict[str, Any]
    ) -> Completion:
        """An answer that must follow the JSON `schema` (structured outputs,
        `response_format` json_schema): its text is the JSON document, for the caller to
        validate."""
        self._check_key()
        request = self._request(messages, [])
        request["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": schema, "strict": True},
        }
        try:
            response = await self._client.chat.completions.create(**request)
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc
        if not response.choices:
            raise ModelError(f"the model server at {self.base_url} returned no choices")
        text = response.choices[0].message.content or ""
        usage = (
            Usage(
                prompt_tokens=response.usage.prompt_tokens,
                completion_tokens=response.usage.completion_tokens,
            )
            if response.usage is not None
            else estimate_usage(messages, [], text, ())
        )
        return Completion(text=text or None, usage=usage, model=response.model or self.name)

    async def stream(
        self,
        messages: list[ModelMessage],
        tools: list[ToolSpec],
        *,
        audience: Audience | None = None,
    ) -> AsyncIterator[StreamItem]:
        self._check_key()
        with_tools = bool(tools)
        if with_tools in self._refuses_streaming:
            async for item in self._complete_as_stream(messages, tools):
                yield item
            return
        try:
            chunks = await self._client.chat.completions.create(
                **self._request(messages, tools),
                stream=True,
                stream_options={"include_usage": True},
            )
        except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
            # Some local servers cannot stream tool calls (or know no stream_options): ask
            # again without streaming, and remember it once that works.
            log.info("%s refused a streamed request (%s); asking without streaming", self, exc)
            async for item in self._complete_as_stream(messages, tools):
                yield item
            self._refuses_streaming.add(with_tools)
            return
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc

        text: list[str] = []
        partial: dict[int, _PartialCall] = {}
        usage: Usage | None = None
        model = self.name
        try:
            async for chunk in chunks:
                model = chunk.model or model
                if chunk.usage is not None:
                    usage = Usage(
                        prompt_tokens=chunk.usage.prompt_tokens,
                        completion_tokens=chunk.usage.completion_tokens,
                    )
                for choice in chunk.choices[:1]:
                    delta = choice.delta
                    if delta.content:
                        text.append(delta.content)
                        yield TextDelta(delta.content)
                    for call in delta.tool_calls or []:
                        function = call.function
                        partial.setdefault(call.index, _PartialCall()).add(
                            call.id,
                            function.name if function else None,
                            function.arguments if function else None,
                        )
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc
        finally:
            await chunks.close()

        full_text = "".join(text)
        calls = tuple(
            parse_tool_call(p.id or f"call_{index}", p.name, "".join(p.arguments))
            for index, p in sorted(partial.items())
        )
        yield Completion(
            text=full_text or None,
            tool_calls=calls,
            usage=usage or estimate_usage(messages, tools, full_text, calls),
            model=model,
        )

    async def _complete_as_stream(
        self, messages: list[ModelMessage], tools: list[ToolSpec]
    ) -> AsyncIterator[StreamItem]:
        completion = await self.complete(messages, tools)
        if completion.text:
            yield TextDelta(completion.text)
        yield completion

    def _request(self, messages: list[ModelMessage], tools: list[ToolSpec]) -> dict[str, Any]:
        request: dict[str, Any] = {"model": self.name, "messages": to_openai_messages(messages)}
        if tools:
            request["tools"] = to_openai_tools(tools)
        return request

    def _check_key(self) -> None:
        if self._missing_key:
            raise ModelError(
                "no API key for OpenAI: set OPENAI_API_KEY, or SWITCHBOARD_LLM_BASE_URL for a "
                "local OpenAI-compatible server"
            )

    def _error(self, exc: openai.OpenAIError) -> ModelError:
        """One readable sentence for staff and logs; the SDK has already retried once."""
        where = f"the model server at {self.base_url}"
        if isinstance(exc, openai.AuthenticationError):
            message = f"{where} refused the API key (401): check OPENAI_API_KEY"
        elif isinstance(exc, openai.PermissionDeniedError):
            message = f"{where} denied access (403) to model {self.name}"
        elif isinstance(exc, openai.NotFoundError):
            message = f"{where} has no model {self.name!r} (404)"
        elif isinstance(exc, openai.RateLimitError):
            message = f"{where} is rate limiting requests (429); try again shortly"
        elif isinstance(exc, openai.APITimeoutError):
            message = f"{where} did not answer within {self.timeout:g} s"
        elif isinstance(exc, openai.APIConnectionError):
            message = f"could not reach {where}"
        elif isinstance(exc, openai.APIStatusError):
            detail = exc.message if exc.status_code < 500 else "a server error"
            message = f"{where} failed with HTTP {exc.status_code}: {detail}"
        else:
            message = f"{where} failed: {exc}"
        return ModelError(message)

    def __str__(self) -> str:
        return f"model {self.name} at {self.base_url}"
