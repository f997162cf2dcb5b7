"""References to what the conversation already showed: "the second one", "that task", "her".

Every turn is stored with its tool calls and their results, and those come back with the
history. The records they listed (tasks, contacts, appointments), in the order they were
listed, are what an ordinal or a pronoun points at; a reference never becomes a search
string. When it could mean several records, the model asks which."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from switchboard.ai.model import ModelMessage, ToolCall

Kind = Literal["task", "contact", "appointment"]

_ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "sixth": 6,
    "6th": 6,
    "seventh": 7,
    "7th": 7,
    "eighth": 8,
    "8th": 8,
    "ninth": 9,
    "9th": 9,
    "tenth": 10,
    "10th": 10,
    "last": -1,
}
_NOUN = r"(?:one|task|to-?do|appointment|appt|visit|customer|contact|person|lead|item|entry)"
_WORD_ORDINAL = r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last"
_ORDINAL = re.compile(
    rf"\b(?:the\s+)?(?P<word>{_WORD_ORDINAL})(?:\s+{_NOUN})?\b(?!\s+(?:of|day|week|thing))"
    rf"|\bthe\s+(?P<digit>\d{{1,2}}(?:st|nd|rd|th))\s+{_NOUN}\b"
    r"|(?:\bnumber\s+|#|\bno\.?\s*)(?P<number>\d{1,2})\b",
    re.IGNORECASE,
)
# "the oldest overdue task": an ordinal over a kind of record, answered by a query of it.
_SUPERLATIVE = re.compile(
    r"\b(?:the\s+)?(?P<which>oldest|newest|latest|most overdue|earliest|next|most urgent|top)"
    r"\s+(?P<overdue>overdue\s+)?(?P<kind>task|to-?do|follow[- ]?up|appointment|appt)s?\b",
    re.IGNORECASE,
)
_THAT_TASK = re.compile(
    r"\b(?:that|this|the same|the last)\s+(?:task|one|to-?do|follow[- ]?up)\b|\bit\b|\bthat\b(?=\s*(?:$|[.!?]|\s+(?:done|to|as|too)\b))",
    re.IGNORECASE,
)
_THAT_CONTACT = re.compile(
    r"\b(?:her|him|them|they|she|he|his|their|hers)\b"
    r"|\b(?:that|this|the same)\s+(?:customer|contact|client|person|homeowner|lead)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Record:
    kind: Kind
    id: str
    label: str  # a task's title, a contact's name, an appointment's customer and time
    contact: dict[str, Any] | None = None  # the linked contact: {"id", "name"}
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Listing:
    """One tool result's records, in the order it gave them (and the reply showed them)."""

    tool: str
    kind: Kind
    records: tuple[Record, ...]


@dataclass
class Memory:
    listings: list[Listing] = field(default_factory=list)  # oldest first

    def last_listing(self) -> Listing | None:
        return self.listings[-1] if self.listings else None

    def last(self, kind: Kind) -> list[Record]:
        """What the most recent result that named any record of `kind` named: one record,
        or all of them when it listed several (then a pronoun is ambiguous)."""
        for listing in reversed(self.listings):
            found = [r for r in listing.records if r.kind == kind]
            if kind == "contact" and not found:
                found = [c for r in listing.records if (c := _as_contact(r)) is not None]
                found = list({r.id: r for r in found}.values())
            if found:
                return found
        return []


def _as_contact(record: Record) -> Record | None:
    contact = record.contact
    if not contact or not contact.get("id"):
        return None
    return Record("contact", str(contact["id"]), str(contact.get("name") or ""), contact)


def _task(item: dict[str, Any]) -> Record | None:
    if not item.get("id"):
        return None
    contact = item.get("contact") if isinstance(item.get("contact"), dict) else None
    return Record("task", str(item["id"]), str(item.get("title") or ""), contact or None, item)


def _contact(item: dict[str, Any]) -> Record | None:
    if not item.get("id"):
        return None
    return Record("contact", str(item["id"]), str(item.get("name") or ""), item, item)


def _appointment(item: dict[str, Any]) -> Record | None:
    if not item.get("id"):
        return None
    contact = item.get("contact") if isinstance(item.get("contact"), dict) else None
    label = f"{(contact or {}).get('name') or 'a customer'} {item.get('starts') or ''}".strip()
    return Record("appointment", str(item["id"]), label, contact or None, item)


def _contact_of(item: dict[str, Any]) -> Record | None:
    contact = item.get("contact")
    return _contact(contact) if isinstance(contact, dict) else None


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def records_of(tool: str, result: Any) -> Listing | None:
    """The records a tool result lists, by tool."""
    if not isinstance(result, dict) or set(result) == {"error"}:
        return None
    found: list[Record | None]
    kind: Kind
    if tool == "list_tasks":
        kind, found = "task", [_task(t) for t in _dicts(result.get("tasks"))]
    elif tool in ("create_task", "update_task", "complete_task"):
        key = {"create_task": "created", "update_task": "updated", "complete_task": "completed"}
        item = result.get(key[tool])
        kind, found = "task", [_task(item)] if isinstance(item, dict) else []
    elif tool == "search_contacts":
        kind, found = "contact", [_contact(c) for c in _dicts(result.get("contacts"))]
    elif tool == "get_contact_summary":
        card = result.get("contact")
        kind, found = "contact", [_contact(card)] if isinstance(card, dict) else []
    elif tool == "list_appointments":
        kind, found = "appointment", [_appointment(a) for a in _dicts(result.get("appointments"))]
    elif tool in ("list_unanswered_messages", "who_to_follow_up"):
        kind, found = "contact", [_contact_of(i) for i in _dicts(result.get("items"))]
    elif tool == "send_sms":
        sent = result.get("sent")
        contact = sent.get("contact") if isinstance(sent, dict) else None
        kind, found = "contact", [_contact(contact)] if isinstance(contact, dict) else []
    else:
        return None
    records = tuple(r for r in found if r is not None)
    return Listing(tool, kind, records) if records else None


def remember(messages: list[ModelMessage]) -> Memory:
    """What earlier turns listed: every tool result before the last user message."""
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
    calls: dict[str, ToolCall] = {}
    memory = Memory()
    for message in messages[: max(last_user, 0)]:
        if message.role == "assistant":
            calls.update({call.id: call for call in message.tool_calls})
        elif message.role == "tool":
            call = calls.get(message.tool_call_id or "")
            name = call.name if call else (message.name or "")
            try:
                result = json.loads(message.content)
            except json.JSONDecodeError:
                continue
            listing = records_of(name, result)
            if listing is not None:
                memory.listings.append(listing)
    return memory


@dataclass(frozen=True)
class Reference:
    """What the words point at: the records (one, or several when ambiguous), or a query
    to run ("the oldest overdue task")."""

    records: tuple[Record, ...] = ()
    superlative: str | None = None  # oldest, newest, next...
    overdue: bool = False
    kind: Kind | None = None
    words: str = ""  # the words that made the reference, to leave out of a search

    @property
    def one(self) -> Record | None:
        return self.records[0] if len(self.records) == 1 else None


def ordinal_of(text: str) -> tuple[int, str] | None:
    found = _ORDINAL.search(text)
    if found is None:
        return None
    raw = found.group("word") or found.group("digit") or found.group("number")
    number = _ORDINALS.get(raw.lower()) if not raw.isdigit() else int(raw)
    return (number, found.group()) if number else None


def refer(text: str, memory: Memory, kind: Kind) -> Reference | None:
    """What `text` refers to among the records of `kind` the conversation listed, if it
    refers to any: an ordinal into the last list, "that task" / "it", "her" / "them"."""
    superlative = _SUPERLATIVE.search(text)
    if superlative and kind in ("task", "appointment"):
        noun = superlative.group("kind").lower()
        of_kind: Kind = "appointment" if noun.startswith("app") else "task"
        return Reference(
            superlative=superlative.group("which").lower(),
            overdue=bool(superlative.group("overdue")),
            kind=of_kind,
            words=superlative.group(),
        )
    ordinal = ordinal_of(text)
    if ordinal is not None:
        number, words = ordinal
        listing = memory.last_listing()
        if listing is None:
            return Reference(kind=kind, words=words)
        records = [r for r in listing.records if r.kind == kind]
        if not records and kind == "contact":
            records = [c for r in listing.records if (c := _as_contact(r)) is not None]
        if not records:
            return Reference(kind=kind, words=words)
        index = number - 1 if number > 0 else len(records) - 1
        if 0 <= index < len(records):
            return Reference(records=(records[index],), kind=kind, words=words)
        return Reference(kind=kind, words=words)
    pattern = _THAT_TASK if kind in ("task", "appointment") else _THAT_CONTACT
    said = pattern.search(text)
    if said is None:
        return None
    return Reference(records=tuple(memory.last(kind)), kind=kind, words=said.group())
