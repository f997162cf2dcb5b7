"""The built-in model follows the audience its caller names, whatever tools are offered."""

from __future__ import annotations

from switchboard.ai.builtin import BuiltinModel
from switchboard.ai.customer_tools import CUSTOMER_TOOLS
from switchboard.ai.model import Audience, Completion, ModelMessage
from switchboard.ai.staff_tools import staff_toolbox

ASK = [ModelMessage("user", "what time is my appointment")]


async def test_a_customer_conversation_keeps_customer_rules_without_a_hand_off_tool() -> None:
    tools = [tool.spec for tool in CUSTOMER_TOOLS if tool.spec.name != "hand_to_human"]
    completion = await BuiltinModel().complete(ASK, tools, audience=Audience.CUSTOMER)
    assert [call.name for call in completion.tool_calls] == ["get_upcoming_appointments"]


async def test_a_staff_conversation_keeps_staff_rules_even_with_customer_tools() -> None:
    tools = [tool.spec for tool in CUSTOMER_TOOLS]
    completion = await BuiltinModel().complete(ASK, tools, audience=Audience.STAFF)
    assert completion.tool_calls == ()
    assert completion.text is not None and "isn't available" in completion.text


async def test_the_stream_follows_the_audience_too() -> None:
    tools = staff_toolbox().specs()
    streamed = [item async for item in BuiltinModel().stream(ASK, tools, audience=Audience.STAFF)]
    final = streamed[-1]
    assert isinstance(final, Completion)
    assert [call.name for call in final.tool_calls] == ["list_appointments"]
