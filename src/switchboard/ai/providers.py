"""Choose the chat model from settings."""

from __future__ import annotations

from switchboard.ai.builtin import BuiltinModel
from switchboard.ai.model import ChatModel
from switchboard.config import Settings


def get_model(settings: Settings) -> ChatModel:
    return BuiltinModel()
