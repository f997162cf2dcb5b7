from __future__ import annotations

from typing import Literal

from switchboard.kit.schemas import Schema


class StartScreenPrompt(Schema):
    """ChatKit.js's `StartScreenPrompt`: a button on the new-thread screen."""

    label: str
    prompt: str
    icon: Literal["sparkle"] = "sparkle"


class StartScreen(Schema):
    """ChatKit.js's `startScreen` option, ready to pass as it is."""

    greeting: str
    prompts: list[StartScreenPrompt]
