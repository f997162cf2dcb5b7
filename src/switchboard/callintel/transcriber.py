"""The transcriber interface: a recording's audio URL in, text with speaker segments out.
The OpenAI-compatible implementation lives with the other model adapters (ai/analysis)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Transcription:
    text: str
    segments: list[dict[str, Any]] = field(default_factory=list)
    language: str = "en"


class Transcriber(Protocol):
    async def transcribe(self, audio_url: str) -> Transcription: ...
