"""Choose the chat model from settings: `openai` (any OpenAI-compatible server) or the
built-in offline model."""

from __future__ import annotations

from switchboard.ai.builtin import BuiltinModel
from switchboard.ai.builtin.intents import warm_up
from switchboard.ai.model import ChatModel
from switchboard.config import Settings


def get_model(settings: Settings) -> ChatModel:
    if settings.llm_provider == "openai":
        # Imported here so the offline default never loads the SDK.
        from switchboard.ai.openai_model import OpenAIModel

        return OpenAIModel(settings)
    # Its classifiers train on a thread from the first call on, not on the first turn.
    warm_up()
    return BuiltinModel()
