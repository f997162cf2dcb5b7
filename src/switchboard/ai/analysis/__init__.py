"""Call and recording analysis: the analyser interface, its two implementations (the
built-in offline rules and any OpenAI-compatible model answering a JSON schema), the
transcriber for recordings without a transcript, and the jobs that run them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from switchboard.ai.model import Usage
from switchboard.callintel.lines import Line
from switchboard.callintel.schemas import Findings, SourceKind
from switchboard.config import Settings


@dataclass(frozen=True)
class AnalysisRequest:
    """What an analyser reads: the numbered lines, and who the call or visit was with."""

    kind: SourceKind
    lines: list[Line]
    language: str | None = None
    company: str = "the company"
    contact_name: str | None = None
    staff_speakers: frozenset[str] = frozenset()  # speaker labels known to be our staff


@dataclass(frozen=True)
class AnalysisAnswer:
    findings: Findings
    model: str
    usage: Usage


class AnalysisFailed(Exception):
    """The model's answers were not a valid analysis, twice: nothing is stored."""


class Analyser(Protocol):
    name: str

    async def analyse(self, request: AnalysisRequest) -> AnalysisAnswer: ...


def get_analyser(settings: Settings) -> Analyser:
    if settings.llm_provider == "openai":
        from switchboard.ai.analysis.openai import OpenAIAnalyser

        return OpenAIAnalyser(settings)
    from switchboard.ai.analysis.builtin import BuiltinAnalyser

    return BuiltinAnalyser()
