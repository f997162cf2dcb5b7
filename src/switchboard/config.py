"""One Settings object for the whole service, read from SWITCHBOARD_* variables and `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEMO_SECRET_KEY = "demo-secret-key-change-me-in-production-0123456789"
DEMO_TWILIO_AUTH_TOKEN = "demo-twilio-auth-token"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/switchboard.db"
# The one driver each supported database runs on (the engine is async end to end).
DATABASE_DRIVERS = {"postgresql": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite"}
DATABASE_URL_FORMS = (
    "postgresql+asyncpg://user:password@host:5432/dbname or sqlite+aiosqlite:///path/to/file.db"
)


def database_url_problem(url: str) -> str | None:
    """What is wrong with a database URL and how to write it instead, or None if it is usable."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return f"not a database URL; write {DATABASE_URL_FORMS}"
    backend = parsed.drivername.partition("+")[0]
    backend = "postgresql" if backend == "postgres" else backend
    driver = DATABASE_DRIVERS.get(backend)
    if driver is None:
        return f"{backend} is not supported; Switchboard runs on {DATABASE_URL_FORMS}"
    if parsed.drivername != driver:
        fixed = parsed.set(drivername=driver).render_as_string(hide_password=True)
        return f"Switchboard needs the async driver {driver}: write {fixed}"
    return None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SWITCHBOARD_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    demo: bool = Field(False, description="Demo mode: embedded defaults and the demo secret.")
    database_url: str = DEFAULT_DATABASE_URL
    database_echo: bool = False
    database_pool_size: int = 10
    database_pre_ping: bool = Field(
        False,
        description="PostgreSQL: ping each pooled connection at checkout (three round trips "
        "per transaction) instead of letting a dropped connection fail one transaction.",
    )
    redis_url: str | None = None

    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"
    secret_key: str = DEMO_SECRET_KEY
    access_token_minutes: int = 12 * 60
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = Field(
        "text",
        description="`text`: lines for a person to read; `json`: one JSON object a line, with "
        "the request id, tenant, user and job it was written for, for a log pipeline.",
    )
    ws_per_message_deflate: bool = Field(
        False,
        description="Offer permessage-deflate on /ws. Off: live frames are small JSON, and "
        "compressing costs CPU per socket per frame (docs/realtime.md has the figures).",
    )

    run_worker: bool = Field(True, description="Run the job worker inside the API process.")
    worker_poll_seconds: float = 1.0
    worker_concurrency: int = 4
    job_lease_seconds: float = Field(
        15.0,
        gt=0,
        description="A running job's lease, renewed by its worker's heartbeat: the job of a "
        "worker that died is taken by another this long after its last renewal.",
    )
    job_retention_hours: float = Field(
        24.0, gt=0, description="Done jobs are deleted this long after they finished."
    )
    failed_job_retention_days: float = Field(
        30.0, gt=0, description="Failed jobs are kept this long for a look, then deleted."
    )

    session_gap_seconds: int = 300

    twilio_account_sid: str | None = None
    twilio_auth_token: str = DEMO_TWILIO_AUTH_TOKEN
    twilio_api_base_url: str | None = Field(
        None, description="Twilio REST base URL (default https://api.twilio.com); tests use a fake."
    )
    twilio_timeout_seconds: float = 10.0
    sms_sender: Literal["auto", "simulated", "twilio"] = "auto"
    simulated_delivery_seconds: float = Field(
        1.0, description="Simulated sender: seconds between each status step (sent, delivered)."
    )
    auto_reply_debounce_seconds: float = Field(
        2.0, description="Wait this long after an inbound message so a burst gets one AI reply."
    )
    bench_routes: bool = Field(False, description="Serve POST /bench/noop for the benchmarks.")

    llm_provider: Literal["builtin", "openai"] = "builtin"
    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout_seconds: float = 30.0
    openai_api_key: str | None = Field(None, validation_alias="OPENAI_API_KEY")

    chat_rate_limit_per_minute: int = 30
    chat_stream_ping_seconds: float = Field(
        15.0, ge=0, description="Keep-alive comment on a streamed reply while it is quiet (0: off)."
    )

    transcriber: Literal["none", "openai"] = Field(
        "none",
        description="Transcribes call and visit recordings that come without a transcript: "
        "`openai` sends them to audio/transcriptions at SWITCHBOARD_LLM_BASE_URL.",
    )
    transcription_model: str = "whisper-1"
    transcription_timeout_seconds: float = 120.0

    # Failed sign-ins allowed within the window before the next attempt answers 429.
    login_failures_per_address: int = Field(
        10, description="Failed sign-ins one client address may make, whatever the accounts."
    )
    login_failures_per_account: int = Field(
        30, description="Failed sign-ins one account may take, from all addresses together."
    )
    login_failure_window_seconds: int = Field(
        300, description="The moving window the failed sign-ins are counted over."
    )

    @field_validator("database_url")
    @classmethod
    def _usable_database_url(cls, url: str) -> str:
        problem = database_url_problem(url)
        if problem is not None:
            raise ValueError(problem)
        return url

    @model_validator(mode="after")
    def _refuse_demo_secrets_outside_demo(self) -> Settings:
        problems = []
        if not self.demo and self.secret_key == DEMO_SECRET_KEY:
            problems.append(
                "SWITCHBOARD_SECRET_KEY is the public demo key; set a secret of your own "
                "(or SWITCHBOARD_DEMO=true for a demo)"
            )
        if len(self.secret_key) < 32:
            problems.append("SWITCHBOARD_SECRET_KEY must be at least 32 characters")
        # Whatever else is set: anyone can sign a webhook with the published demo token.
        if not self.demo and self.twilio_auth_token == DEMO_TWILIO_AUTH_TOKEN:
            problems.append(
                "SWITCHBOARD_TWILIO_AUTH_TOKEN is the public demo token, which anyone can sign "
                "webhooks with; set your Twilio account's auth token"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        path = self.database_url.split("///", 1)[1] if "///" in self.database_url else ""
        return None if path in ("", ":memory:") else Path(path)


@lru_cache
def get_settings() -> Settings:
    return Settings()
