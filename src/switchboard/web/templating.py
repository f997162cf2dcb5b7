"""Jinja2 for the staff web app: autoescaped templates whose blocks double as the fragments
htmx swaps, content-hashed static URLs, and the filters pages share (local times, labels)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from jinja2_fragments.fastapi import Jinja2Blocks
from starlette.types import Scope

from switchboard.appointment_texts.schedule import offset_label
from switchboard.callintel.lines import transcript_lines
from switchboard.kit.clock import utcnow
from switchboard.web.markdown import render_markdown

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
STATIC_PREFIX = "/static"
IMMUTABLE = "public, max-age=31536000, immutable"


def _digests() -> dict[str, str]:
    """Each static file's short content hash, read once per process: it goes in the file's
    URL, so a browser may keep a file forever and still fetch a changed one at once."""
    return {
        path.relative_to(STATIC_DIR).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in STATIC_DIR.rglob("*")
        if path.is_file()
    }


DIGESTS = _digests()


def static_url(name: str) -> str:
    return f"{STATIC_PREFIX}/{DIGESTS[name]}/{name}"


class HashedStaticFiles(StaticFiles):
    """Serves `/static/<hash>/<name>`; cached for a year when the hash is the file's own."""

    async def get_response(self, path: str, scope: Scope) -> Any:
        digest, _, name = path.partition("/")
        response = await super().get_response(name, scope)
        if response.status_code == 200 and DIGESTS.get(name) == digest:
            response.headers["Cache-Control"] = IMMUTABLE
        return response


# --- filters -------------------------------------------------------------------------------------


def local_time(value: datetime | None, zone: ZoneInfo, fmt: str = "%b %-d, %-I:%M %p") -> str:
    if value is None:
        return ""
    return value.astimezone(zone).strftime(fmt)


def short_time(value: datetime | None, zone: ZoneInfo) -> str:
    """ "3:04 PM" today, "Mon 3:04 PM" this week, "Nov 3" before: what an inbox row shows."""
    if value is None:
        return ""
    now = utcnow().astimezone(zone)
    local = value.astimezone(zone)
    if local.date() == now.date():
        return local.strftime("%-I:%M %p")
    if now - local < timedelta(days=6):
        return local.strftime("%a %-I:%M %p")
    return local.strftime("%b %-d")


def iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def label(value: object) -> str:
    """An enum or snake_case word as people read it: `appointment_set` -> "appointment set"."""
    text = getattr(value, "value", value)
    return str(text or "").replace("_", " ")


def pretty_json(value: object) -> str:
    """A tool call's arguments or result as people read JSON (escaped like any text)."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,  # always: customers write the text these pages show
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static_url"] = static_url
    env.filters.update(local_time=local_time, short_time=short_time, iso=iso, label=label)
    env.globals["transcript_lines"] = transcript_lines
    env.filters.update(markdown=render_markdown, pretty_json=pretty_json)
    env.filters.update(offset_label=offset_label)
    return env


templates = Jinja2Blocks(env=_environment())
