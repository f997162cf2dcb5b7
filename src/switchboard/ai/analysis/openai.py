"""Analysis and transcription by any OpenAI-compatible server: the analysis as structured
output (a JSON schema, checked again by Pydantic, asked once more when invalid, never
stored half-valid), and `audio/transcriptions` for recordings without a transcript."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import openai
from openai import AsyncOpenAI
from pydantic import ValidationError

from switchboard.ai.analysis import AnalysisAnswer, AnalysisFailed, AnalysisRequest
from switchboard.ai.model import ModelError, ModelMessage, Usage
from switchboard.ai.openai_model import PLACEHOLDER_KEY, OpenAIModel
from switchboard.callintel.schemas import (
    BookingOutcome,
    Findings,
    ObjectionKind,
    Owner,
    Sentiment,
    SourceKind,
    StepKind,
)
from switchboard.callintel.transcriber import Transcription
from switchboard.config import Settings
from switchboard.tasks.models import TaskPriority

log = logging.getLogger(__name__)
SCHEMA_NAME = "call_analysis"


def _enum(values: type[Any]) -> dict[str, Any]:
    return {"type": "string", "enum": [v.value for v in values]}


_LINES = {"type": "array", "items": {"type": "integer"}}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    # Strict structured outputs: every property required, nothing else allowed.
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


FINDINGS_SCHEMA = _object(
    {
        "summary": {"type": "string"},
        "summary_lines": _LINES,
        "sentiment": _enum(Sentiment),
        "sentiment_lines": _LINES,
        "intent": {"type": "string"},
        "intent_lines": _LINES,
        "objections": {
            "type": "array",
            "items": _object(
                {"kind": _enum(ObjectionKind), "detail": {"type": "string"}, "lines": _LINES}
            ),
        },
        "booking_outcome": _enum(BookingOutcome),
        "booking_lines": _LINES,
        "next_steps": {
            "type": "array",
            "items": _object(
                {
                    "kind": _enum(StepKind),
                    "title": {"type": "string"},
                    "owner": _enum(Owner),
                    "due": {"type": ["string", "null"]},
                    "priority": _enum(TaskPriority),
                    "lines": _LINES,
                }
            ),
        },
        "language": {"type": "string"},
    }
)


def system_prompt(request: AnalysisRequest) -> str:
    what = "phone call" if request.kind == SourceKind.call else "in-home sales visit recording"
    return "\n".join(
        [
            f"You analyse the transcript of a {what} of {request.company}, a home-services "
            "company (roofing, HVAC, solar, windows), for its staff.",
            "Report only what the transcript says. Never invent a time, a price, a decision "
            "or a promise nobody stated.",
            "The transcript's lines are numbered [0], [1], ... Every finding cites the lines "
            "it comes from in its `lines` (or `*_lines`) field, by those numbers.",
            "objections: the customer's own reasons not to go ahead (price, spouse or partner, "
            "timing, trust, competitor, financing, other).",
            "booking_outcome: booked only when an appointment was plainly set on the call; "
            "sold only when the customer plainly agreed to buy.",
            "next_steps: each thing someone must do after this conversation, as a short task "
            "title; owner csr for office call-backs, rep for the sales rep's follow-ups, "
            "manager for complaints; `due` in the words the transcript uses (e.g. 'Thursday "
            "after 5', 'in two days'), in English, or null when no time was said; priority "
            "from the stakes.",
            "Write summary, titles and details in English, whatever the transcript's language; "
            "`language` is the transcript's language code (en, es...).",
        ]
    )


def transcript_prompt(request: AnalysisRequest) -> str:
    who = f"The customer: {request.contact_name}.\n" if request.contact_name else ""
    body = "\n".join(f"[{line.index}] {line.speaker}: {line.text}" for line in request.lines)
    return f"{who}Transcript:\n{body}"


class OpenAIAnalyser:
    def __init__(self, settings: Settings, model: OpenAIModel | None = None) -> None:
        self.model = model or OpenAIModel(settings)
        self.name = self.model.name

    async def aclose(self) -> None:
        await self.model.aclose()

    async def analyse(self, request: AnalysisRequest) -> AnalysisAnswer:
        """Ask, validate, and ask once more with the problems when the answer is invalid."""
        messages = [
            ModelMessage("system", system_prompt(request)),
            ModelMessage("user", transcript_prompt(request)),
        ]
        prompt_tokens = completion_tokens = 0
        problem = ""
        for attempt in (1, 2):
            completion = await self.model.complete_json(messages, SCHEMA_NAME, FINDINGS_SCHEMA)
            prompt_tokens += completion.usage.prompt_tokens
            completion_tokens += completion.usage.completion_tokens
            raw = completion.text or ""
            try:
                findings = Findings.model_validate_json(
                    raw, context={"line_count": len(request.lines)}
                )
            except ValidationError as exc:
                problem = _problems(exc)
                log.warning("analysis answer %d was invalid: %s", attempt, problem)
                messages += [
                    ModelMessage("assistant", raw[:20_000]),
                    ModelMessage(
                        "user",
                        f"That answer is invalid: {problem}. Answer again with the whole "
                        "analysis as JSON following the schema.",
                    ),
                ]
                continue
            usage = Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
            return AnalysisAnswer(findings, completion.model or self.name, usage)
        raise AnalysisFailed(f"the model's analysis was invalid twice: {problem}")


def _problems(exc: ValidationError) -> str:
    errors = exc.errors()[:8]
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'answer'}: {e['msg']}" for e in errors)


class OpenAITranscriber:
    """Fetches the recording (Twilio's URLs take the account's credentials) and sends it to
    `audio/transcriptions` for text with timed segments."""

    def __init__(self, settings: Settings, client: AsyncOpenAI | None = None) -> None:
        self.model = settings.transcription_model
        self.timeout = settings.transcription_timeout_seconds
        self.base_url = settings.llm_base_url or "https://api.openai.com/v1"
        self._auth = (
            (settings.twilio_account_sid, settings.twilio_auth_token)
            if settings.twilio_account_sid
            else None
        )
        self._client = client or AsyncOpenAI(
            base_url=settings.llm_base_url,
            api_key=settings.openai_api_key or PLACEHOLDER_KEY,
            timeout=self.timeout,
            max_retries=1,
        )

    async def aclose(self) -> None:
        await self._client.close()

    async def transcribe(self, audio_url: str) -> Transcription:
        audio, name = await self._download(audio_url)
        try:
            answer = await self._client.audio.transcriptions.create(
                file=(name, audio),
                model=self.model,
                response_format="verbose_json",
                timestamp_granularities=["segment"],
            )
        except openai.APITimeoutError as exc:
            raise ModelError(
                f"{self.base_url} did not transcribe within {self.timeout:g} s"
            ) from exc
        except openai.OpenAIError as exc:
            raise ModelError(f"{self.base_url} could not transcribe the recording: {exc}") from exc
        segments = [
            {
                "speaker": "Speaker",
                "start_s": float(segment.start),
                "end_s": float(segment.end),
                "text": segment.text.strip(),
            }
            for segment in (answer.segments or [])
            if segment.text.strip()
        ]
        language = _language_code(getattr(answer, "language", None))
        return Transcription(text=answer.text.strip(), segments=segments, language=language)

    async def _download(self, url: str) -> tuple[bytes, str]:
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=True) as client:
            try:
                response = await client.get(url, auth=self._auth)
                response.raise_for_status()
            except httpx.HTTPError as exc:
                raise ModelError(f"could not fetch the recording {url}: {exc}") from exc
        name = url.rstrip("/").rsplit("/", 1)[-1] or "recording"
        if "." not in name:
            name += ".wav"
        return response.content, name


_LANGUAGE_NAMES = {"english": "en", "spanish": "es"}


def _language_code(language: str | None) -> str:
    if not language:
        return "en"
    code = _LANGUAGE_NAMES.get(language.lower(), language.lower())
    return code[:8]
