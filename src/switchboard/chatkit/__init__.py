"""OpenAI ChatKit's server protocol over the staff assistant: a ChatKit thread is an
assistant conversation. Needs the `switchboard[chatkit]` extra (the `openai-chatkit` package);
the app mounts `/chatkit` only when it is installed."""

from __future__ import annotations

import importlib.util


def available() -> bool:
    """Whether the `openai-chatkit` package is importable."""
    return importlib.util.find_spec("chatkit") is not None
