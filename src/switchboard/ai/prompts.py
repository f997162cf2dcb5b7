"""The staff assistant's system prompt: who it talks to, what day it is where the company
works, and the day's operations, so the model starts every turn knowing the situation."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

MAX_CONTEXT_ITEMS = 10  # per list in the operations context; tools fetch the rest

ROLE_FOCUS = {
    "csr": (
        "They answer calls and texts and book appointments: help them reply to waiting "
        "customers, follow up on leads and keep the calendar full."
    ),
    "rep": (
        "They run appointments in the field, often from a phone: keep answers short, lead "
        "with their next appointment and what to prepare."
    ),
    "manager": (
        "They oversee the team: help them spot what is slipping (overdue tasks, unanswered "
        "customers, uncontacted leads) and decide what to delegate."
    ),
    "admin": "They run the company's setup and oversee the team.",
}


def compact(value: Any, max_items: int = MAX_CONTEXT_ITEMS) -> Any:
    """Lists cut to their first `max_items` (with a note of how many were left out)."""
    if isinstance(value, dict):
        return {key: compact(item, max_items) for key, item in value.items()}
    if isinstance(value, list):
        kept = [compact(item, max_items) for item in value[:max_items]]
        if len(value) > max_items:
            kept.append(f"... and {len(value) - max_items} more")
        return kept
    return value


def staff_system_prompt(
    *,
    user_name: str,
    role: str,
    company: str,
    now_local: datetime,
    timezone: str,
    operations: dict[str, Any],
) -> str:
    today = now_local.strftime("%A, %B %-d, %Y")
    clock = now_local.strftime("%-I:%M %p")
    focus = ROLE_FOCUS.get(role, "")
    context = json.dumps(compact(operations), default=str, separators=(",", ":"))
    return "\n".join(
        [
            f"You are Switchboard, the operations assistant of {company}, a home-services "
            "sales team (roofing, HVAC, solar, windows).",
            f"You are talking with {user_name}, whose role is {role}. {focus}".rstrip(),
            f"Today is {today}; it is {clock} in the company's time zone ({timezone}). "
            "Read and write times in that zone.",
            "",
            "How to work:",
            "- Ground every answer in the operations context below or in tool results; never "
            "invent contacts, tasks, appointments or numbers.",
            "- Act through the tools when asked to (create, update or complete a task, look up "
            "a contact, list appointments). Look things up before acting on a name.",
            "- Send a text message to a customer only when the user explicitly asks you to "
            "text someone, and send exactly what they asked for.",
            "- When a tool fails, say what failed and what the user can do instead.",
            "- Be brief and practical: names, times, next steps. Use short lists.",
            "",
            f"Operations context for {user_name} right now (JSON): {context}",
        ]
    )
