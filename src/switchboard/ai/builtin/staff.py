"""The built-in model's rules for staff conversations.

It reads the staff member's last message, tells which request it is with the classifier
learned from `corpus/staff.txt` ("what's on my plate today?", "create a task to call the
Hendersons tomorrow at 5pm", "the garcia follow up is done", "assign the Garcia task to
Marcus"), fills the request's slots from the tenant's own records (`slots`) and from what
the conversation already listed (`references`), emits real calls to the staff tools it was
offered, one step at a time, and once the results are back phrases them. It states only
what a tool returned; when it is not sure what is meant, it asks one question. Offline."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from switchboard.ai.builtin.customer import MODEL_NAME
from switchboard.ai.builtin.intents import Scored, classify
from switchboard.ai.builtin.references import Memory, Record, Reference, refer, remember
from switchboard.ai.builtin.slots import find_due, word_similarity
from switchboard.ai.model import (
    Completion,
    ModelMessage,
    ToolCall,
    ToolSpec,
    Usage,
    estimate_tokens,
)

LIST_ITEMS = 5

CAPABILITIES = {
    "get_daily_digest": "tell you what's most urgent today, or plan your next few hours",
    "who_to_follow_up": "tell you who to follow up with",
    "list_tasks": "list your open or overdue tasks, and suggest what to delegate",
    "create_task": 'create a task ("create a task to call the Hendersons tomorrow at 5pm")',
    "complete_task": 'mark a task done ("mark the Garcia follow-up done")',
    "update_task": 'reassign, re-prioritise or move a task ("assign the Garcia task to Marcus")',
    "list_appointments": 'list appointments for a day ("what appointments do I have tomorrow?")',
    "get_contact_summary": 'summarize a customer ("summarize the Patel account")',
    "search_contacts": "find a customer's number or email (\"what's the number for the Hendersons?\")",
    "list_unanswered_messages": "show which customers are waiting on a reply",
    "send_sms": 'text a customer when you ask me to ("text Mrs. Lopez that we\'re running late")',
}


@dataclass(frozen=True)
class Done:
    """A tool call made earlier in this turn, with its result."""

    name: str
    arguments: dict[str, Any]
    result: Any

    @property
    def error(self) -> str | None:
        if isinstance(self.result, dict) and set(self.result) == {"error"}:
            return str(self.result["error"])
        return None

    def get(self, key: str, default: Any = None) -> Any:
        return self.result.get(key, default) if isinstance(self.result, dict) else default


@dataclass(frozen=True)
class Call:
    name: str
    arguments: dict[str, Any]


Step = Call | str


@dataclass
class Request:
    text: str
    done: list[Done] = field(default_factory=list)
    available: set[str] = field(default_factory=set)
    history: list[ModelMessage] = field(default_factory=list)

    @cached_property
    def memory(self) -> Memory:
        """What earlier turns listed, read from the history when a reference needs it."""
        return remember(self.history)

    def has(self, tool: str) -> bool:
        return tool in self.available

    def result(self, tool: str) -> Done | None:
        for done in reversed(self.done):
            if done.name == tool:
                return done
        return None


# --- reading the conversation ----------------------------------------------------------------


def read_request(messages: list[ModelMessage], tools: list[ToolSpec]) -> Request:
    """The last user message and the tool calls made (and answered) since."""
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
    text = messages[last_user].content if last_user >= 0 else ""
    calls: dict[str, ToolCall] = {}
    done: list[Done] = []
    for message in messages[last_user + 1 :]:
        if message.role == "assistant":
            calls.update({call.id: call for call in message.tool_calls})
        elif message.role == "tool":
            call = calls.get(message.tool_call_id or "")
            try:
                result = json.loads(message.content)
            except json.JSONDecodeError:
                result = {"error": message.content}
            name = call.name if call else (message.name or "")
            done.append(Done(name, call.arguments if call else {}, result))
    return Request(text.strip(), done, {tool.name for tool in tools}, messages)


def respond(messages: list[ModelMessage], tools: list[ToolSpec]) -> Completion:
    request = read_request(messages, tools)
    step = decide(request)
    prompt_tokens = sum(estimate_tokens(m.content) for m in messages)
    if isinstance(step, Call) and request.has(step.name):
        ident = hashlib.sha1(
            f"{request.text}|{len(request.done)}|{step.name}".encode()
        ).hexdigest()[:12]
        call = ToolCall(id=f"call_{ident}", name=step.name, arguments=step.arguments)
        usage = Usage(prompt_tokens, estimate_tokens(json.dumps(step.arguments)) + 4, True)
        return Completion(text=None, tool_calls=(call,), usage=usage, model=MODEL_NAME)
    text = step if isinstance(step, str) else unavailable(step.name)
    return Completion(
        text=text, usage=Usage(prompt_tokens, estimate_tokens(text), True), model=MODEL_NAME
    )


def decide(request: Request) -> Step:
    scored = classify("staff", request.text)
    if scored.intent is None:
        return clarify(request, scored)
    return HANDLERS[scored.intent](request)


def unavailable(tool: str) -> str:
    return f"I can't do that here: the {tool.replace('_', ' ')} tool isn't available to me."


def failed(what: str, done: Done) -> str:
    return f"I couldn't {what}: {done.error}"


def capabilities(request: Request) -> str:
    can = [text for tool, text in CAPABILITIES.items() if request.has(tool)]
    if not can:
        return "I have no tools to act with here."
    return "Here's what I can help with:\n" + "\n".join(f"- {item}" for item in can)


def not_understood(request: Request) -> str:
    return "I'm not sure what you'd like me to do. " + capabilities(request)


# What each intent does, as a clarifying question offers it.
OFFERS = {
    "urgent": ("get_daily_digest", "tell you what's most urgent today"),
    "plan": ("get_daily_digest", "plan your next few hours"),
    "follow_ups": ("who_to_follow_up", "tell you who to follow up with"),
    "list_tasks": ("list_tasks", "list your tasks"),
    "delegate": ("list_tasks", "suggest tasks to delegate"),
    "create_task": ("create_task", "create a task"),
    "complete_task": ("complete_task", "mark a task done"),
    "update_task": ("update_task", "change a task (assignee, due time or priority)"),
    "appointments": ("list_appointments", "list appointments"),
    "unanswered": ("list_unanswered_messages", "show who is waiting on a reply"),
    "summarize_contact": ("get_contact_summary", "summarize a customer's account"),
    "search_contacts": ("search_contacts", "look up a contact"),
    "send_sms": ("send_sms", "text a customer"),
}


def clarify(request: Request, scored: Scored) -> str:
    """One question, offering the two readings the classifier hesitated between."""
    options = [
        OFFERS[intent][1]
        for intent in (scored.best, scored.runner_up)
        if intent in OFFERS and request.has(OFFERS[intent][0])
    ]
    if len(options) == 2:
        return f"I'm not sure what you'd like me to do: should I {options[0]}, or {options[1]}?"
    if options:
        return f"I'm not sure what you'd like me to do: should I {options[0]}?"
    return not_understood(request)


def refuse(request: Request) -> str:
    """Something no tool does: say so plainly, and what it can do instead."""
    return (
        "I can't do that here: it's outside my tools, so I'm not sure how to help with it. "
        + capabilities(request)
    )


def scope_note(result: Any) -> str:
    """A rep's tools see only their own work: an answer from them says so."""
    scope = result.get("scope") if isinstance(result, dict) else None
    if scope == "own assignments":
        return "\n(Only your own assignments: you can see only your own.)"
    return ""


# --- formatting ------------------------------------------------------------------------------


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def clock(moment: datetime) -> str:
    return moment.strftime("%-I %p" if moment.minute == 0 else "%-I:%M %p")


def when(value: Any) -> str:
    """'2026-11-22T17:00-06:00' -> 'Sun Nov 22, 5 PM' (the tools give local times)."""
    moment = _moment(value)
    if moment is None:
        return str(value) if value else "no due time"
    return f"{moment.strftime('%a %b %-d')}, {clock(moment)}"


def duration(minutes: Any) -> str:
    if not isinstance(minutes, int):
        return ""
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{minutes // (24 * 60)} days"


def name_of(item: Any) -> str:
    if not isinstance(item, dict):
        return ""
    contact = item.get("contact")
    if isinstance(contact, dict) and contact.get("name"):
        return str(contact["name"])
    return str(item.get("name") or "")


def task_line(task: dict[str, Any]) -> str:
    parts = [f"“{task.get('title', 'Untitled task')}”"]
    details = [str(task.get("priority", "")) + " priority" if task.get("priority") else ""]
    if task.get("status") == "overdue":
        details.append(f"overdue since {when(task.get('due'))}")
    elif task.get("due"):
        details.append(f"due {when(task.get('due'))}")
    if name_of(task):
        details.append(name_of(task))
    extra = ", ".join(d for d in details if d)
    return parts[0] + (f" ({extra})" if extra else "")


def money(value: Any) -> str:
    """'12800.00' -> '$12,800'."""
    try:
        return f"${float(value):,.0f}"
    except (TypeError, ValueError):
        return f"${value}"


def bullets(lines: list[str]) -> str:
    return "\n".join(f"{index}. {line}" for index, line in enumerate(lines, start=1))


def more_note(total: int, shown: int) -> str:
    return f"\n…and {total - shown} more." if total > shown else ""


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


def _items(value: Any, *path: str) -> list[dict[str, Any]]:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _number(value: Any, *path: str) -> int:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, int) else 0


# --- the requests ----------------------------------------------------------------------------


def _needs(
    request: Request, tool: str, what: str, arguments: dict[str, Any] | None = None
) -> Step | Done:
    """The tool's result if it ran this turn and worked; else the call to make, why it
    can't be made, or that it failed ("I couldn't {what}: ...")."""
    done = request.result(tool)
    if done is not None:
        return failed(what, done) if done.error else done
    if not request.has(tool):
        return unavailable(tool)
    return Call(tool, arguments or {})


def most_urgent(request: Request) -> Step:
    got = _needs(request, "get_daily_digest", "get today's digest")
    if not isinstance(got, Done):
        return got
    digest = got.result
    lines: list[str] = []
    overdue = _number(digest, "tasks", "overdue")
    top = _items(digest, "tasks", "top")
    late = [t for t in top if t.get("status") == "overdue"]
    if overdue:
        lines.append(
            f"{plural(overdue, 'overdue task')}, starting with "
            + "; ".join(task_line(t) for t in (late or top)[:3])
        )
    waiting = _items(digest, "unanswered_messages", "items")
    waiting_total = _number(digest, "unanswered_messages", "count")
    if waiting_total:
        people = ", ".join(
            f"{name_of(w)} ({duration(w.get('waiting_minutes'))})" for w in waiting[:3]
        )
        lines.append(f"{plural(waiting_total, 'customer')} waiting on a reply: {people}")
    leads = _number(digest, "follow_ups_due", "leads_not_contacted", "count")
    if leads:
        names = ", ".join(
            name_of(lead)
            for lead in _items(digest, "follow_ups_due", "leads_not_contacted", "items")[:3]
        )
        lines.append(f"{plural(leads, 'new lead')} not contacted yet: {names}")
    appointments = _items(digest, "appointments_today", "items")
    upcoming = [a for a in appointments if a.get("status") in ("scheduled", "confirmed", None)]
    if upcoming:
        # The next one still to start: the morning's first visit is no help at noon.
        now = _moment(digest.get("now"))
        later = [a for a in upcoming if now is None or (_moment(a.get("starts")) or now) >= now]
        line = f"{plural(len(upcoming), 'appointment')} today"
        if later:
            first = later[0]
            where = f" at {first['address']}" if first.get("address") else ""
            line += f"; next: {first.get('time', '')} with {name_of(first) or 'a customer'}{where}"
        else:
            line += ", none left to start"
        lines.append(line)
    if not overdue and top:
        lines.append("Top open task: " + task_line(top[0]))
    if not lines:
        return (
            "Nothing urgent right now: no overdue tasks, nobody waiting on a reply, no new leads."
        )
    return "Here's what's most urgent today:\n" + bullets(lines)


def follow_ups(request: Request) -> Step:
    got = _needs(request, "who_to_follow_up", "build your follow-up list", {"limit": 10})
    if not isinstance(got, Done):
        return got
    items = _items(got.result, "items")
    if not items:
        return "You're all caught up: nobody needs a follow-up right now."
    lines = []
    for item in items[:LIST_ITEMS]:
        contact = item.get("contact") or {}
        who = contact.get("name") or "A task with no contact"
        phone = f" ({contact['phone']})" if contact.get("phone") else ""
        reasons = _items(item, "reasons")
        why = _reason(reasons[0]) if reasons else ""
        lines.append(f"{who}{phone}: {item.get('suggested_action', 'follow up')}{why}")
    total = _number(got.result, "count")
    return (
        "Follow up with these, most pressing first:\n"
        + bullets(lines)
        + more_note(total, len(lines))
    )


def _reason(reason: dict[str, Any]) -> str:
    kind = reason.get("kind")
    if kind == "waiting_on_reply":
        return f" (waiting {duration(reason.get('waiting_minutes'))}{who_answers(reason)})"
    if kind == "new_lead_no_response":
        return f" (new lead, {duration(reason.get('waiting_minutes'))} without a response)"
    if reason.get("title"):
        return f" (“{reason['title']}”, due {when(reason.get('due'))})"
    return ""


# "tomorrow at 5pm", "friday 9am", "in 2 days", "next week", "dec 3", "by end of day"
_WEEKDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?"
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
_TASK_REQUEST = re.compile(
    r"^(?:(?:ok|okay|hey|so|please)[,\s]+)*(?:can you\s+|could you\s+|pls\s+|please\s+)*"
    r"(?:(?:create|crete|add|make|set up|set|open|log|put in|put|jot down|schedule)\s+"
    r"(?:me\s+)?(?:a|an|another|the)?\s*"
    r"(?:(?:new|follow[- ]?up|high[- ]priority|low[- ]priority|urgent|quick)\s+)*"
    r"(?:task|taks|reminder|to-?do|follow[- ]?up)\s*(?:on my (?:list|calendar)\s*)?"
    r"(?:for me\s*)?(?:to|:|-|that|for)?"
    r"|add to my (?:list|to-?dos?)\s*:?|remind me(?:\s+to)?|remember to|i need a reminder to"
    r"|(?:new\s+)?(?:task|to-?do)\s*:?)\s*",
    re.IGNORECASE,
)

_PRIORITY = re.compile(
    r"\b(?:(high|low|medium)[- ]priority|(urgent|asap|as soon as possible))\b[,.]?", re.I
)


def split_due(text: str, names: list[str] | None = None) -> tuple[str, str | None]:
    """'call the Hendersons tomorrow at 5pm' -> ('call the Hendersons', 'tomorrow at 5pm'):
    the first date phrase (dateparser's search, `names` masked first) becomes the due time,
    in the user's own words."""
    due = find_due(text, names or [])
    return due.rest, due.words


# A customer named in a task title: a run of capitalized words ("Karen Holt", "Mark & Lisa
# Henderson", "O'Connor"); acronyms like HOA and single letters are not names.
_NAME_WORD = r"[A-Z](?:[a-z]|['\u2019][A-Z])[\w'\u2019-]*"
_NAME_RUN = re.compile(rf"(?:\b(?:Mr|Mrs|Ms|Dr)\.?\s+)?{_NAME_WORD}(?:\s+(?:&\s+)?{_NAME_WORD})*")
_NOT_A_NAME = re.compile(
    rf"{_WEEKDAY}|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|today|tomorrow|tonight"
    # a title's leading verb, and the small words of a title typed in Title Case
    r"|call|text|email|send|book|confirm|schedule|follow|remind|order|measure|quote|check"
    r"|ask|meet|visit|bring|review|approve|prepare|update|fix|get|up|with|the|for|about|on"
    r"|to|and|back",
    re.IGNORECASE,
)


def named_contact(title: str) -> str | None:
    """The customer a task title names, if any: 'call the Hendersons' -> 'Hendersons',
    'Send Karen Holt the scope' -> 'Karen Holt', 'Call Sun Roofing' -> 'Sun Roofing',
    'Confirm Friday appointments' -> None. Leading verbs and small words are not part of a
    name; a day or month word is, only inside a longer name ("Sun Roofing")."""
    for run in _NAME_RUN.finditer(title):
        words = run.group().split()
        while (
            words
            and _NOT_A_NAME.fullmatch(words[0].rstrip("."))
            and not _HONORIFIC_WORD.match(words[0])
            and not (_DATE_WORD.fullmatch(words[0]) and len(words) > 1)
        ):
            words.pop(0)
        while words and (_DATE_WORD.fullmatch(words[-1]) or _NOT_A_NAME.fullmatch(words[-1])):
            words.pop()
        words = [w for w in words if not _SMALL_WORD.fullmatch(w)]
        name = clean_name(" ".join(words).strip(" &"))
        if name and not all(_DATE_WORD.fullmatch(w) for w in name.split()):
            return name
    return None


_HONORIFIC_WORD = re.compile(r"(?:Mr|Mrs|Ms|Dr)\.?$")
_DATE_WORD = re.compile(
    rf"{_WEEKDAY}|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|today|tomorrow|tonight",
    re.IGNORECASE,
)
_SMALL_WORD = re.compile(r"up|with|the|for|about|on|to|and|back", re.IGNORECASE)


def search_for(request: Request, name: str) -> Call | Done:
    """Look `name` up with search_contacts: the search to run next, or the last one run. A
    family ("the Hendersons") is filed under its surname, so an empty search for a plural is
    tried once more in the singular; a misspelt name ("Garica") once more by its first
    letters, the results then matched fuzzily."""
    searches = [done for done in request.done if done.name == "search_contacts"]
    if not searches:
        return Call("search_contacts", {"query": name})
    found = searches[-1]
    empty = not found.error and not _items(found.result, "contacts")
    if empty and len(searches) == 1:
        if re.search(r"[a-z]s$", name):
            return Call("search_contacts", {"query": name[:-1]})
        longest = max(name.split(), key=len)
        if len(longest) >= 4:
            return Call("search_contacts", {"query": longest[:3]})
    if len(searches) == 2 and not found.error:
        wide = _items(found.result, "contacts")
        close = [
            c
            for c in wide
            if word_similarity(name, f"{c.get('name', '')} {c.get('company', '')}") > 0
        ]
        if len(close) != len(wide):
            return Done(found.name, found.arguments, {**found.result, "contacts": close})
    return found


_LOOKUP_NOISE = re.compile(
    r"\b(?:find|search|look(?:ing)? (?:up|for)|lookup|fnd|serch|get me|get|give me|show me|pull up"
    r"|what'?s|whats|what is|who is|who has|do we have|is there|is|are|any|every|anyone|contacts?"
    r"|customers?|clients?|the|a|an|for|named|called|matching|with|in|on file|in the system|number"
    r"|phone|#|email|address|contact info|details|info|of|at|this|family|how do i reach|lives on"
    r"|me|we|have|which|all|'s)\b|[?.!:,]",
    re.IGNORECASE,
)


def search_contacts(request: Request) -> Step:
    if not request.has("search_contacts"):
        return unavailable("search_contacts")
    found = _lookup(request)
    if not isinstance(found, Done):
        return found
    if found.error:
        return failed("search the contacts", found)
    contacts = _items(found.result, "contacts")
    query = str(found.arguments.get("query", ""))
    if not contacts:
        return f"No contact matches “{query}”."
    lines = []
    for contact in contacts[:LIST_ITEMS]:
        facts = [
            str(contact[k]) for k in ("phone", "email", "company", "address") if contact.get(k)
        ]
        lines.append(f"{contact.get('name')}" + (f": {', '.join(facts)}" if facts else ""))
    more = " (more match; narrow it down)" if found.get("more") else ""
    return f"{plural(len(contacts), 'contact')} matching “{query}”{more}:\n" + bullets(lines)


def _lookup(request: Request) -> Step | Done:
    """The search a lookup request makes: for the contact a pronoun points at, a phone
    number's digits, or a name (retried as `search_for` does)."""
    reference = refer(request.text, request.memory, "contact")
    if reference is not None and reference.one is not None:
        return search_for(request, reference.one.label)
    digits = re.sub(r"\D", "", request.text)
    if len(digits) >= 7:
        return request.result("search_contacts") or Call("search_contacts", {"query": digits})
    words = " ".join(_LOOKUP_NOISE.sub(" ", request.text.replace("\u2019", "'")).split())
    name = clean_name(words)
    if not name:
        return "Who should I look up? Give me a name, a company or a phone number."
    return search_for(request, name)


def create_task(request: Request) -> Step:
    done = request.result("create_task")
    if done is None and not request.has("create_task"):
        return unavailable("create_task")
    body = _TASK_REQUEST.sub("", request.text, count=1)
    priority = None
    found = _PRIORITY.search(body)
    if found:
        priority = (found.group(1) or "high").lower()
        body = _PRIORITY.sub("", body)
    assignee = None
    for_whom = _FOR_STAFF.match(body)
    if for_whom and for_whom.group("who").lower() not in ("me", "myself"):
        assignee = for_whom.group("who")
        body = body[for_whom.end() :]
    elif for_whom:
        body = body[for_whom.end() :]
    # The customer's name first, from the tenant's contacts, so it is masked before dates
    # are read: "Call Sun Roofing about ..." is never due on Sunday.
    name = named_contact(body)
    names = [name] if name else []
    unlinked = ""
    contact_id = None
    if name and request.has("search_contacts"):
        searched = search_for(request, name)
        if isinstance(searched, Call):
            return searched
        contacts = _items(searched.result, "contacts")
        names += [str(c.get(key)) for c in contacts for key in ("name", "company") if c.get(key)]
        exact = [c for c in contacts if str(c.get("name", "")).lower() == name.lower()]
        if len(contacts) == 1 or len(exact) == 1:
            contact_id = (exact or contacts)[0]["id"]
        elif contacts:
            unlinked = f" “{name}” matches several contacts, so I didn't link it to one."
        else:
            unlinked = f" No contact matches “{name}”, so it isn't linked to one."
    elif not name:
        customer = refer(body, request.memory, "contact")
        if customer is not None and customer.one is not None:
            contact_id = customer.one.id
    words, due_words = split_due(body, names)
    title = words.strip(" .,:;-")
    if not title:
        return "What should the task say? For example: “create a task to call the Hendersons tomorrow at 5pm”."
    arguments: dict[str, Any] = {"title": title[:1].upper() + title[1:200]}
    if due_words:
        arguments["due"] = due_words
    if priority:
        arguments["priority"] = priority
    if assignee:
        arguments["assignee"] = assignee
    if contact_id:
        arguments["contact_id"] = contact_id
    if done is None:
        return Call("create_task", arguments)
    if done.error:
        return failed("create that task", done)
    task = done.get("created") or {}
    linked = f", linked to {name_of(task)}" if name_of(task) else ""
    due_at = f", due {when(task['due'])}" if task.get("due") else ""
    who = f", assigned to {task['assignee']}" if task.get("assignee") else ""
    return f"Done: I created the task “{task.get('title', '')}”{linked}{due_at}{who}.{unlinked}"


# "a task for Marcus to measure the Brown roof": who does it, when it is a person's name.
_FOR_STAFF = re.compile(r"^\s*for\s+(?P<who>me|myself|[A-Z][\w'-]+)\s+to\s+", re.IGNORECASE)


# Words that say what to do with a task, not which task: left out when matching one.
_TASK_VERBS = re.compile(
    r"\b(?:mark(?:ed)?|set|check(?:ed)? off|tick(?:ed)? off|close(?:d)?(?: it)?(?: out)?|complete[d]?"
    r"|compelte|finish(?:ed)?|done|is|are|was|were|it|its|it's|as|the|a|my|task|with|now|please|pls"
    r"|all|you can|can you|that|this|one|has been|have been|i|i'm|we|we're|got|sorted|handled"
    r"|off|out|to|too|just|already|is done|thanks)\b",
    re.IGNORECASE,
)
_GENERIC = {"follow", "followup", "up", "task", "call", "callback", "back", "the", "with", "my"}


def _task_words(description: str) -> list[str]:
    words = [w for w in re.findall(r"[a-z0-9]+", description.lower()) if len(w) > 2]
    return [w for w in words if w not in _GENERIC] or words


def describe_task(text: str, reference: Reference | None = None) -> str:
    """The words of a request that say which task: 'the garcia follow up is done' ->
    'garcia follow up'."""
    if reference is not None and reference.words:
        text = text.replace(reference.words, " ")
    return " ".join(_TASK_VERBS.sub(" ", text).replace("!", " ").replace(".", " ").split())


def task_score(words: list[str], task: dict[str, Any]) -> float:
    """How well `words` name `task`: a word found (fuzzily) in its customer's name counts
    twice, in its title once, a generic word ("call", "follow") half."""
    contact = name_of(task)
    title = str(task.get("title", ""))
    total = 0.0
    for word in words:
        if contact and word_similarity(word, contact) > 0:
            total += 2
        elif word_similarity(word, title) > 0:
            total += 0.5 if word in _GENERIC else 1
    return total


def pick_task(request: Request, description: str, what: str) -> Step | Record | dict[str, Any]:
    """The one open task `description` names (or a reference points at): a record or a
    listed task, the list_tasks call to make first, or a question when several fit."""
    reference = refer(request.text, request.memory, "task")
    if reference is not None and reference.superlative is None:
        if reference.one is not None:
            return reference.one
        if reference.records:
            return f"Which task should I {what}?\n" + bullets(
                [task_line(r.data) if r.data else r.label for r in reference.records[:LIST_ITEMS]]
            )
        if not description or (reference.words and "one" in reference.words):
            return (
                f"Which task should I {what}? I have no list to count from yet: ask me to "
                "list your tasks first, or name it."
            )
    arguments: dict[str, Any] = {"status": "pending", "limit": 50}
    if reference is not None and reference.superlative is not None:
        arguments["status"] = "overdue" if reference.overdue else "pending"
    customer = refer(request.text, request.memory, "contact")
    if customer is not None and customer.one is not None and reference is None:
        arguments["contact_id"] = customer.one.id
    listed = request.result("list_tasks")
    if listed is None and request.has("list_tasks"):
        return Call("list_tasks", arguments)
    tasks = _items(listed.result if listed else None, "tasks")
    if reference is not None and reference.superlative is not None:
        return _superlative(tasks, reference.superlative) or (
            f"There are no {'overdue' if reference.overdue else 'open'} tasks to {what}."
        )
    if "contact_id" in arguments and len(tasks) == 1:
        return tasks[0]
    words = _task_words(description)
    ranked = sorted(tasks, key=lambda task: task_score(words, task), reverse=True)
    best = task_score(words, ranked[0]) if ranked else 0
    top = [task for task in ranked if best and task_score(words, task) == best]
    if len(top) == 1:
        return top[0]
    if len(top) > 1:
        return f"Several open tasks match; which one should I {what}?\n" + bullets(
            [task_line(task) for task in top[:LIST_ITEMS]]
        )
    return {}  # not among them: the tool searches every open task by the description


def _superlative(tasks: list[dict[str, Any]], which: str) -> dict[str, Any] | None:
    if not tasks:
        return None
    dated = [(moment, t) for t in tasks if (moment := _moment(t.get("due"))) is not None]
    if which in ("oldest", "earliest", "most overdue", "next"):
        return min(dated, key=lambda pair: pair[0])[1] if dated else tasks[0]
    if which in ("newest", "latest"):
        return max(dated, key=lambda pair: pair[0])[1] if dated else tasks[-1]
    return tasks[0]  # most urgent, top: the tool's own order


def complete_task(request: Request) -> Step:
    completed = request.result("complete_task")
    description = describe_task(request.text)
    if completed is not None:
        if completed.error:
            return failed("mark that task done", completed)
        task = completed.get("completed") or {}
        contact = f" for {name_of(task)}" if name_of(task) else ""
        return f"Marked “{task.get('title', description)}”{contact} as done."
    if not request.has("complete_task"):
        return unavailable("complete_task")
    picked = pick_task(request, description, "mark done")
    if isinstance(picked, Call | str):
        return picked
    if isinstance(picked, Record):
        return Call("complete_task", {"task_id": picked.id})
    if picked:
        return Call("complete_task", {"task_id": picked["id"]})
    if not description:
        return "Which task should I mark done? Name it, or ask me to list your tasks."
    return Call("complete_task", {"task": description})


# --- changing a task ---------------------------------------------------------------------

_ASSIGN = re.compile(
    r"\b(?:re-?assign|asign|reasign|assign|give|hand(?: off| over)?|transfer|pass)\b.*?\bto\s+"
    r"(?P<who>.+?)\s*(?:pls|please)?[.!?]*$"
    r"|^let\s+(?P<let>\w+(?:\s+[A-Z]\w+)?)\s+(?:handle|take|do|have)\b"
    r"|\bshould go to\s+(?P<go>.+?)[.!?]*$"
    r"|^(?P<should>[A-Z]\w+)\s+should\s+(?:take|handle|do|own)\b"
    r"|\bput\b.*\bon\s+(?P<on>[A-Z]\w+)[.!?]*$",
    re.IGNORECASE,
)
_QUEUE = re.compile(
    r"^(?:the\s+)?(csr|rep|manager|ai)s?(?:\s+queue)?$|^(?:the\s+)?sales reps?$", re.I
)
_NEW_PRIORITY = re.compile(
    r"\b(?P<level>high|medium|low|urgent)(?:\s+priority)?\b|\b(?P<way>lower|raise|bump up)\b.*\bpriority\b",
    re.IGNORECASE,
)
_MOVE = re.compile(
    r"\b(?:move|push|postpone|delay|reschedule|change|set|make|bump|due)\b", re.IGNORECASE
)
_RENAME = re.compile(r"\brename\b.*?\bto\s+(?P<title>.+)$", re.IGNORECASE)
_CANCEL = re.compile(r"^\s*(?:please\s+)?(?:cancel|drop|scrap)\b", re.IGNORECASE)
_REOPEN = re.compile(r"\breopen\b|\bre-open\b|\bundo (?:done|complete)", re.IGNORECASE)
_CHANGE_WORDS = re.compile(
    r"\b(?:re-?assign|asign|reasign|assign|give|hand(?: off| over)?|transfer|pass|move|push|postpone"
    r"|delay|reschedule|change|set|make|bump|lower|raise|rename|cancel|reopen|let|should|go|take"
    r"|handle|put|priority|due|date|of|on|to|until|till|back|the|a|task|it|that|this|one|pls"
    r"|please|can|you|high|medium|low|urgent|as|mark|up)\b",
    re.IGNORECASE,
)


def task_changes(request: Request) -> tuple[dict[str, Any], str]:
    """The changes asked for (update_task's arguments) and the words left that say which
    task: 'assign the Garcia task to Marcus' -> ({'assignee': 'Marcus'}, 'Garcia')."""
    text = request.text.strip()
    changes: dict[str, Any] = {}
    rest = text
    renamed = _RENAME.search(rest)
    if renamed:
        changes["title"] = renamed.group("title").strip(' ."“”')
        rest = rest[: renamed.start("title")]
    if _CANCEL.match(rest):
        changes["status"] = "cancelled"
    elif _REOPEN.search(rest):
        changes["status"] = "open"
    assigned = _ASSIGN.search(rest)
    if assigned:
        key = next(k for k in ("who", "let", "go", "should", "on") if assigned.group(k))
        who = assigned.group(key).strip(" .")
        due = find_due(who)
        if key == "who" and due.words and not due.rest.strip():
            changes["due"] = due.words  # "move it to friday": a day, not a person
        else:
            queue = _QUEUE.match(who)
            if queue:
                changes["assignee"] = (queue.group(1) or "rep").lower()
            else:
                changes["assignee"] = "me" if who.lower() in ("me", "myself") else who
        rest = rest[: assigned.start(key)] + " " + rest[assigned.end(key) :]
    level = _NEW_PRIORITY.search(rest)
    if level and "priority" not in changes:
        word = (level.group("level") or level.group("way") or "").lower()
        changes["priority"] = {
            "urgent": "high",
            "lower": "low",
            "raise": "high",
            "bump up": "high",
        }.get(word, word)
        rest = rest[: level.start()] + " " + rest[level.end() :]
    if "due" not in changes and _MOVE.search(rest):
        names = [r.label for r in request.memory.last("contact")]
        due = find_due(rest, names)
        if due.words:
            changes["due"] = due.words
            rest = due.rest
    return changes, " ".join(_CHANGE_WORDS.sub(" ", rest).replace("?", " ").split())


def update_task(request: Request) -> Step:
    updated = request.result("update_task")
    if updated is not None:
        if updated.error:
            return failed("change that task", updated)
        task = updated.get("updated") or {}
        changed = [str(c) for c in (updated.get("changed") or [])]
        said = []
        if "assignee_id" in changed or "assigned_role" in changed:
            said.append(
                f"assigned to {task['assignee']}"
                if task.get("assignee")
                else f"in the {task.get('assigned_role')} queue"
            )
        if "due_at" in changed:
            said.append(f"due {when(task.get('due'))}" if task.get("due") else "no due time")
        if "priority" in changed:
            said.append(f"{task.get('priority')} priority")
        if "status" in changed:
            said.append(str(task.get("status")))
        if "title" in changed:
            said.append("renamed")
        contact = f" ({name_of(task)})" if name_of(task) else ""
        return f"Updated “{task.get('title', '')}”{contact}: {', '.join(said) or 'saved'}."
    if not request.has("update_task"):
        return unavailable("update_task")
    changes, description = task_changes(request)
    if not changes:
        return (
            "What should I change about it: who it's assigned to, when it's due, or its "
            "priority? For example: “assign the Garcia task to Marcus”."
        )
    picked = pick_task(request, description, "change")
    if isinstance(picked, Call | str):
        return picked
    if isinstance(picked, Record):
        return Call("update_task", {"task_id": picked.id, **changes})
    if picked:
        return Call("update_task", {"task_id": picked["id"], **changes})
    if not description:
        return "Which task should I change? Name it, or ask me to list your tasks."
    return Call("update_task", {"task": description, **changes})


_SUMMARY = re.compile(
    r"(?:summari[sz]e|sumari[sz]e|summary (?:of|for|on)|tell me (?:more )?(?:about|abt)|brief me on"
    r"|what do (?:we|i) know about|overview (?:of|for)|pull up|look up|who is|who are|info on"
    r"|details on|catch me up on|the story with|going on with|history (?:for|with)|background on"
    r"|status (?:of|with)|where are we with|rundown on|everything about|latest with|record for"
    r"|happened with|deal with|lowdown on|recap|profile of|remind me who|how's)\s+(?P<who>.+)",
    re.IGNORECASE,
)
_NAME_NOISE = re.compile(
    r"\b(?:the|account|accounts|customer|client|contact|file|job|family|household|please|"
    r"for me|record|card)\b|['\u2019]s\b|[?.!,]",
    re.IGNORECASE,
)
_HONORIFIC = re.compile(r"^(?:mr|mrs|ms|miss|dr|mister)\.?\s+", re.IGNORECASE)


def clean_name(raw: str) -> str:
    """'the Patel account' -> 'Patel'; 'Mrs. Lopez' -> 'Lopez'."""
    name = " ".join(_NAME_NOISE.sub(" ", raw).split())
    return _HONORIFIC.sub("", name)


def summarize_contact(request: Request) -> Step:
    summary = request.result("get_contact_summary")
    if summary is not None:
        if summary.error:
            return failed("summarize that account", summary)
        return phrase_summary(summary.result)
    if not request.has("get_contact_summary"):
        return unavailable("get_contact_summary")
    reference = refer(request.text, request.memory, "contact")
    if reference is not None:
        if reference.one is not None:
            return Call("get_contact_summary", {"contact_id": reference.one.id})
        if reference.records:
            lines = [r.label for r in reference.records[:LIST_ITEMS]]
            return "Which customer do you mean?\n" + bullets(lines)
    match = _SUMMARY.search(request.text)
    raw = match.group("who") if match else named_contact(request.text) or ""
    if not raw:
        raw = _LOOKUP_NOISE.sub(" ", request.text.replace("\u2019", "'"))
    name = clean_name(
        re.sub(r"\b(?:job|project|deal|lead|acount|going|the|are)\b", " ", raw, flags=re.I)
    )
    if not name:
        return "Whose account should I summarize? Give me a name or phone number."
    if not request.has("search_contacts"):
        return Call("get_contact_summary", {"contact": name})
    found = search_for(request, name)
    if isinstance(found, Call):
        return found
    if found.error:
        return failed(f"look up {name}", found)
    contacts = _items(found.result, "contacts")
    if not contacts:
        return f"I couldn't find a contact matching “{name}”."
    chosen = _closest_contacts(name, contacts)
    if len(chosen) > 1:
        lines = [f"{c.get('name')} ({c.get('phone') or 'no phone'})" for c in chosen]
        return f"Several contacts match “{name}”; which one?\n" + bullets(lines[:LIST_ITEMS])
    return Call("get_contact_summary", {"contact_id": chosen[0]["id"]})


def _closest_contacts(name: str, contacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Of the contacts a search found, those `name` names best (a wider search for a
    misspelt name brings back neighbours too)."""
    if len(contacts) == 1:
        return contacts
    scored = [
        (word_similarity(name, f"{c.get('name', '')} {c.get('company', '')}"), c) for c in contacts
    ]
    best = max(score for score, _ in scored)
    return [c for score, c in scored if score == best] if best > 0 else contacts


def phrase_summary(result: dict[str, Any]) -> str:
    card = result.get("contact") or {}
    facts = [str(card[key]) for key in ("phone", "email", "address") if card.get(key)]
    head = str(card.get("name", "This contact")) + (f" ({', '.join(facts)})" if facts else "")
    lines: list[str] = []
    for lead in _items(result, "leads")[:2]:
        value = f", est. {money(lead['estimated_value'])}" if lead.get("estimated_value") else ""
        rep = f", rep {lead['assigned_rep']}" if lead.get("assigned_rep") else ""
        status = str(lead.get("status")).replace("_", " ")
        lines.append(f"Lead: {lead.get('service') or 'service not set'}, {status}{value}{rep}")
    upcoming = _items(result, "upcoming_appointments")
    if upcoming:
        first = upcoming[0]
        title = f"{first['title']}, " if first.get("title") else ""
        rep = f" with {first['rep']}" if first.get("rep") else ""
        lines.append(
            f"Next appointment: {title}{when(first.get('starts'))}{rep} ({first.get('status')})"
        )
    calls = _items(result, "recent_calls")
    if calls:
        last = calls[0]
        about = f": {last['summary']}" if last.get("summary") else ""
        outcome = last.get("outcome") or "no outcome"
        lines.append(f"Last call {when(last.get('at'))}, {outcome}{about}")
        # A routine call since then has no AI summary: the last one that does tells the story.
        analysed = next((c for c in calls[1:] if c.get("summary")), None)
        if analysed and not last.get("summary"):
            lines.append(f"Call {when(analysed.get('at'))}: {analysed['summary']}")
    open_tasks = result.get("open_tasks") or {}
    count = _number(open_tasks, "count")
    if count:
        first_task = _items(open_tasks, "items")[:1]
        lines.append(
            plural(count, "open task")
            + (f", first: {task_line(first_task[0])}" if first_task else "")
        )
    messages = _items(result, "last_messages")
    if messages:
        last_message = messages[0]
        lines.append(
            f"Last message {when(last_message.get('at'))} ({last_message.get('direction')}): "
            f"“{last_message.get('body', '')}”"
        )
    if result.get("waiting_on_our_reply"):
        lines.append("They're waiting on a reply from us.")
    if not lines:
        lines.append("No leads, appointments, calls, tasks or messages on file yet.")
    return f"Summary of {head}:\n" + "\n".join(f"- {line}" for line in lines)


_WHEN = re.compile(
    rf"\b(today|tomorrow|yesterday|this week|next week|next 7 days|this month|{_WEEKDAY}"
    rf"|{_MONTH} \d{{1,2}}|\d{{4}}-\d{{2}}-\d{{2}})\b",
    re.IGNORECASE,
)
_DAY_NUMBER = re.compile(r"\b(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)\b", re.IGNORECASE)
_SINGLE_DAYS = (
    "today",
    "tomorrow",
    "yesterday",
    "this week",
    "next week",
    "next 7 days",
    "this month",
)


def appointments(request: Request) -> Step:
    text = request.text.replace("tomorow", "tomorrow").replace("tmrw", "tomorrow")
    found = _WHEN.search(text)
    number = _DAY_NUMBER.search(text)
    if number and (found is None or not re.match(_MONTH, found.group(1), re.I)):
        day = f"the {number.group(1)}{_suffix(int(number.group(1)))}"
    elif found:
        day = found.group(1).lower()
    else:
        day = find_due(text).words or "today"
    got = _needs(request, "list_appointments", f"list the appointments for {day}", {"when": day})
    if not isinstance(got, Done):
        return got
    items = _items(got.result, "appointments")
    span = got.get("range") or {}
    label = str(span.get("label") or day)
    if label not in _SINGLE_DAYS and _moment(span.get("from")):
        label = f"{label} ({_moment(span.get('from')).strftime('%a %b %-d')})"  # type: ignore[union-attr]
    named = label if label in ("today", "tomorrow") else "for " + label
    note = scope_note(got.result)
    if not items:
        return f"No appointments {named}.{note}"
    lines = []
    for item in items[: 2 * LIST_ITEMS]:
        start, end = _moment(item.get("starts")), _moment(item.get("ends"))
        slot = (
            f"{when(item.get('starts'))}-{clock(end)}"
            if start and end
            else when(item.get("starts"))
        )
        details = [name_of(item) or "a customer"]
        if item.get("address"):
            details.append(str(item["address"]))
        if item.get("rep"):
            details.append(f"rep {item['rep']}")
        if item.get("status") and item["status"] != "scheduled":
            details.append(str(item["status"]))
        lines.append(f"{slot}: {', '.join(details)}")
    heading = f"{plural(len(items), 'appointment')} {named}"
    return f"{heading}:\n" + bullets(lines) + more_note(len(items), len(lines)) + note


def _suffix(number: int) -> str:
    if 10 <= number % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")


def who_answers(item: dict[str, Any]) -> str:
    """`; Ann has taken it over` or `; the AI is replying`: who is on a waiting customer."""
    if item.get("waiting_on") == "person":
        holder = (item.get("taken_over_by") or {}).get("name") or "a colleague"
        return f"; {holder} has taken it over"
    if item.get("waiting_on") == "ai":
        return "; the AI is replying"
    return ""


def unanswered(request: Request) -> Step:
    got = _needs(request, "list_unanswered_messages", "check the inbox")
    if not isinstance(got, Done):
        return got
    items = _items(got.result, "items")
    if not items:
        return "Nobody is waiting on a reply. Inbox zero!"
    lines = [
        f"{name_of(item) or 'Unknown'} ({item.get('channel', 'sms')}, waiting "
        f"{duration(item.get('waiting_minutes'))}{who_answers(item)}): "
        f"“{item.get('last_message', '')}”"
        for item in items[:LIST_ITEMS]
    ]
    total = _number(got.result, "total") or len(items)
    return (
        f"{plural(total, 'customer')} waiting on a reply, longest first:\n"
        + bullets(lines)
        + more_note(total, len(lines))
    )


_OVERDUE = re.compile(r"\boverdue\b|\blate\b|\bpast due\b|\bbehind\b", re.IGNORECASE)
_DUE_WINDOW = re.compile(
    r"\b(?:due |for )?(today|tomorrow|this week)(?:'?s)?\b|\btoday'?s tasks\b", re.IGNORECASE
)
_QUEUE_WORDS = re.compile(r"\b(csr|rep|manager)s?(?:'s)? queue\b", re.IGNORECASE)


def tasks(request: Request) -> Step:
    status = "overdue" if _OVERDUE.search(request.text) else "pending"
    arguments: dict[str, Any] = {"status": status, "limit": 20}
    window = _DUE_WINDOW.search(request.text)
    if window and re.search(r"\bdue\b|\btasks?\b|\bto-?dos?\b", request.text, re.I):
        arguments["due"] = (window.group(1) or "today").lower().replace(" ", "_")
    if re.search(r"\bhigh[- ]priority\b|\burgent\b", request.text, re.I):
        arguments["priority"] = "high"
    queue = _QUEUE_WORDS.search(request.text)
    if queue:
        arguments["assigned_role"] = queue.group(1).lower()
    got = _needs(request, "list_tasks", "list your tasks", arguments)
    if not isinstance(got, Done):
        return got
    items = _items(got.result, "tasks")
    note = scope_note(got.result)
    if not items:
        return (
            "No overdue tasks. Nice work!" if status == "overdue" else "You have no open tasks."
        ) + note
    total = _number(got.result, "total") or len(items)
    heading = (
        f"{plural(total, 'overdue task')}; tackle them in this order (highest priority, "
        "longest overdue first):"
        if status == "overdue"
        else f"{plural(total, 'open task')}, most urgent first:"
    )
    lines = [task_line(task) for task in items[:LIST_ITEMS]]
    return f"{heading}\n" + bullets(lines) + more_note(total, len(lines)) + note


# Field words anywhere in the title; desk work by the title's leading verb, so "Coach Marcus
# on price objections (Castillo call)" is not mistaken for a phone call a CSR could make.
_FIELD_WORK = re.compile(
    r"\b(?:measure|inspect|visit|site|install|estimate|walk ?through|on-?site)"
)
_DESK_WORK = re.compile(r"^(?:call|text|reply|confirm|schedul|book|remind|email|send|follow)")


def delegate(request: Request) -> Step:
    got = _needs(
        request,
        "list_tasks",
        "look at your tasks",
        {"status": "pending", "assigned_to_me": True, "limit": 50},
    )
    if not isinstance(got, Done):
        return got
    items = _items(got.result, "tasks")
    if not items:
        return "You have no open tasks assigned to you, so there's nothing to delegate."
    keep = [t for t in items if t.get("priority") == "high"]
    hand_off = [t for t in items if t.get("priority") != "high"]
    if not hand_off:
        return (
            "Everything on your plate is high priority; I'd keep it. Your top ones: "
            + "; ".join(task_line(t) for t in keep[:3])
        )
    lines = []
    for task in hand_off[:LIST_ITEMS]:
        title = str(task.get("title", "")).lower()
        if _FIELD_WORK.search(title):
            owner = "a sales rep"
        elif _DESK_WORK.search(title):
            owner = "a CSR"
        else:
            owner = "a teammate"
        lines.append(f"{task_line(task)} → {owner}")
    text = "These could go to someone else (not high priority):\n" + bullets(lines)
    if keep:
        text += "\nKeep for yourself: " + "; ".join(task_line(t) for t in keep[:3])
    return text + "\nSay “assign <task> to <name>” and I'll hand it over."


_HOURS = re.compile(
    r"next\s+(?:(\d+(?:\.\d+)?)|(an?|one|two|three|four|five|six|couple(?: of)?|few))\s+hours?",
    re.I,
)
_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def plan_hours(text: str) -> float:
    match = _HOURS.search(text)
    if match is None:
        return 2.0
    if match.group(1):
        return min(max(float(match.group(1)), 0.5), 10.0)
    word = match.group(2).lower()
    return float(_WORDS.get(word, 2 if word.startswith("couple") else 3))


_CLOSED_APPOINTMENT = ("cancelled", "completed", "no_show", "rescheduled")


def plan(request: Request) -> Step:
    got = _needs(request, "get_daily_digest", "get today's digest")
    if not isinstance(got, Done):
        return got
    digest = got.result
    hours = plan_hours(request.text)
    now = _moment(digest.get("now"))
    if now is None:
        return "I couldn't tell the current time from the digest, so I can't plan."
    # Start at the next five-minute mark.
    cursor = now + timedelta(minutes=(5 - now.minute % 5) % 5)
    cursor = cursor.replace(second=0, microsecond=0)
    end = now + timedelta(hours=hours)

    fixed: list[tuple[datetime, datetime, str]] = []
    for item in _items(digest, "appointments_today", "items"):
        starts, ends = _moment(item.get("starts")), _moment(item.get("ends"))
        if starts is None or ends is None or item.get("status") in _CLOSED_APPOINTMENT:
            continue
        # A manager's or CSR's digest lists every rep's visits: only their own fill their time.
        if item.get("mine") is False:
            continue
        if ends > now and starts < end:
            where = f" at {item['address']}" if item.get("address") else ""
            fixed.append((starts, ends, f"Appointment with {name_of(item) or 'a customer'}{where}"))
    fixed.sort()

    todo: list[tuple[int, str]] = []
    for item in _items(digest, "unanswered_messages", "items"):
        todo.append(
            (
                10,
                f"Reply to {name_of(item) or 'a customer'} (waiting {duration(item.get('waiting_minutes'))})",
            )
        )
    # The company-wide digest of a manager or CSR holds everyone's tasks: plan only their own.
    top = [t for t in _items(digest, "tasks", "top") if t.get("mine") is not False]
    for task in [t for t in top if t.get("status") == "overdue"]:
        todo.append((20, f"Overdue: {task_line(task)}"))
    replied = {name_of(item) for item in _items(digest, "unanswered_messages", "items")}
    for lead in _items(digest, "follow_ups_due", "leads_not_contacted", "items"):
        # Replying to a new lead's text is the first contact: no separate call to plan.
        if name_of(lead) and name_of(lead) in replied:
            continue
        todo.append((10, f"First call to new lead {name_of(lead) or ''}".rstrip()))
    seen = {line for _, line in todo}
    due_today = [t for t in _items(digest, "follow_ups_due", "tasks") if t.get("mine") is not False]
    for task in due_today + top:
        line = f"Due today: {task_line(task)}"
        if task.get("status") != "overdue" and line not in seen:
            seen.add(line)
            todo.append((15, line))

    lines: list[str] = []
    for starts, ends, label in [*fixed, (end, end, "")]:
        while todo and cursor + timedelta(minutes=todo[0][0]) <= min(starts, end):
            minutes, line = todo.pop(0)
            lines.append(f"{clock(cursor)}: {line}")
            cursor += timedelta(minutes=minutes)
        if label:
            lines.append(f"{clock(max(starts, now))}-{clock(ends)}: {label}")
            cursor = max(cursor, ends + timedelta(minutes=15))
        if cursor >= end:
            break
    span = f"the next {hours:g} {'hour' if hours == 1 else 'hours'} ({clock(now)}-{clock(end)})"
    if not lines:
        return (
            f"Your {span[4:]} are clear: nothing overdue, no appointments and nobody waiting. "
            "A good time for prospecting calls or preparing tomorrow."
        )
    text = f"Here's a plan for {span}:\n" + "\n".join(f"- {line}" for line in lines)
    if todo:
        text += f"\nStill on the list after that: {plural(len(todo), 'item')}."
    return text


_SMS = re.compile(
    r"^(?:please\s+)?(?:can you\s+|could you\s+)?(?:send\s+)?(?:a\s+)?"
    r"(?:text|sms|txt|message)(?:\s+to)?\s+(?P<who>.+?)"
    r"(?:\s*[:,]\s*[\"“](?P<quoted>.+?)[\"”]|\s+(?:that|saying|to say)\s+(?P<body>.+?))[.!]?$",
    re.IGNORECASE | re.DOTALL,
)
_SMS_SEND = re.compile(
    r"^(?:please\s+)?send\s+(?P<who>.+?)\s+a\s+(?:text|message|sms)\s*"
    r"(?:[:,]\s*[\"“](?P<quoted>.+?)[\"”]|(?:that|saying|to say)\s+(?P<body>.+?))[.!]?$",
    re.IGNORECASE | re.DOTALL,
)


def parse_sms(text: str) -> tuple[str, str] | None:
    """'text Mrs. Lopez that the crew is running 15 minutes late' ->
    ('Mrs. Lopez', 'The crew is running 15 minutes late.')."""
    match = _SMS.match(text.strip()) or _SMS_SEND.match(text.strip())
    if match is None:
        return None
    who = match.group("who").strip(" ,")
    if match.group("quoted"):
        return who, match.group("quoted").strip()
    body = match.group("body").strip()
    body = body[:1].upper() + body[1:]
    return who, body if body[-1:] in ".!?" else body + "."


def send_sms(request: Request) -> Step:
    parsed = parse_sms(request.text)
    if parsed is None:
        return "Who should I text, and what should it say? For example: “text Mrs. Lopez that the crew is running 15 minutes late”."
    who, body = parsed
    target: dict[str, Any] = {"contact": clean_name(who)}
    reference = refer(who, request.memory, "contact")
    if reference is not None:
        if reference.one is None:
            if reference.records:
                return "Which customer should I text?\n" + bullets(
                    [r.label for r in reference.records[:LIST_ITEMS]]
                )
            return "Who should I text? I don't know who you mean yet: give me a name."
        target = {"contact_id": reference.one.id}
        who = reference.one.label
    got = _needs(request, "send_sms", "send that text", {**target, "body": body})
    if not isinstance(got, Done):
        return got
    sent = got.get("sent") or {}
    to = f" at {sent['to']}" if sent.get("to") else ""
    return f"Sent to {name_of(sent) or who}{to}: “{sent.get('body', body)}”"


def greeting(request: Request) -> Step:
    return "Hi! " + capabilities(request)


def thanks(request: Request) -> Step:
    return "You're welcome! Anything else?"


HANDLERS: dict[str, Callable[[Request], Step]] = {
    "urgent": lambda request: most_urgent(request),
    "plan": lambda request: plan(request),
    "follow_ups": lambda request: follow_ups(request),
    "list_tasks": tasks,
    "delegate": lambda request: delegate(request),
    "create_task": create_task,
    "complete_task": complete_task,
    "update_task": update_task,
    "appointments": appointments,
    "unanswered": lambda request: unanswered(request),
    "summarize_contact": summarize_contact,
    "search_contacts": search_contacts,
    "send_sms": send_sms,
    "greeting": greeting,
    "thanks": thanks,
    "help": capabilities,
    "out_of_scope": refuse,
}
