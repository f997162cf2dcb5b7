"""The built-in model's rules for staff conversations.

It reads the staff member's last message, works out which of the common requests it is
("what's most urgent today?", "create a task to call the Hendersons tomorrow at 5pm",
"mark the Garcia follow-up done", "text Mrs. Lopez that ..."), emits real calls to the
staff tools it was offered, one step at a time, and once the results are back phrases
them. It states only what a tool returned; when it does not understand, it says so and
lists what it can do. Deterministic and offline."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from switchboard.ai.builtin.customer import MODEL_NAME
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
    "list_appointments": 'list appointments for a day ("what appointments do I have tomorrow?")',
    "get_contact_summary": 'summarize a customer ("summarize the Patel account")',
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

    @property
    def lower(self) -> str:
        return self.text.lower()

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
    return Request(text.strip(), done, {tool.name for tool in tools})


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
    for matches, handler in INTENTS:
        if matches(request.lower):
            return handler(request)
    return not_understood(request)


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
_DUE_PART = re.compile(
    r"\b(?:today|tonight|tomorrow|noon|midnight|eod|end of (?:the )?(?:day|week)"
    rf"|(?:this|next) (?:morning|afternoon|evening|week|month|{_WEEKDAY})"
    rf"|{_WEEKDAY}"
    r"|in (?:an?|\d+) (?:minutes?|mins?|hours?|hrs?|days?|weeks?)"
    rf"|{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?"
    r"|\d{4}-\d{2}-\d{2}(?:[ t]\d{1,2}:\d{2})?"
    r"|\d{1,2}/\d{1,2}"
    r"|(?:at )?\d{1,2}(?::\d{2})? ?(?:am|pm|a\.m\.|p\.m\.)"
    r"|at \d{1,2}(?::\d{2})?"
    r"|(?:in the )?(?:morning|afternoon|evening))\b",
    re.IGNORECASE,
)
_DUE_GLUE = re.compile(r"^[\s,]*(?:at|on|by)?[\s,]*$", re.IGNORECASE)
_LEAD_IN = re.compile(r"^(?:by|on|at|due|for|before)\s+", re.IGNORECASE)
_TASK_REQUEST = re.compile(
    r"^(?:please\s+)?(?:can you\s+|could you\s+)?"
    r"(?:(?:create|add|make|set up|open|log|put in)\s+(?:me\s+)?(?:a|an|another|the)?\s*"
    r"(?:(?:new|follow[- ]?up|high[- ]priority|low[- ]priority|urgent)\s+)*"
    r"(?:task|reminder|to-?do|follow[- ]?up)\s*(?:for me\s*)?(?:to|:|-|that|for)?"
    r"|remind me to|new task:?)\s*",
    re.IGNORECASE,
)
_PRIORITY = re.compile(
    r"\b(?:(high|low|medium)[- ]priority|(urgent|asap|as soon as possible))\b[,.]?", re.I
)


def split_due(text: str) -> tuple[str, str | None]:
    """'call the Hendersons tomorrow at 5pm' -> ('call the Hendersons', 'tomorrow at 5pm'):
    the first run of time words becomes the due time, in the user's own words."""
    spans = [match.span() for match in _DUE_PART.finditer(text)]
    if not spans:
        return text, None
    start, end = spans[0]
    for next_start, next_end in spans[1:]:
        if _DUE_GLUE.match(text[end:next_start]):
            end = next_end
        else:
            break
    due = _LEAD_IN.sub("", text[start:end].strip(" ,"))
    before = re.sub(r"\s+(?:by|on|at|due|for|before)\s*$", "", text[:start], flags=re.I)
    rest = (before + " " + text[end:]).strip(" ,.")
    return " ".join(rest.split()), due


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
    'Send Karen Holt the scope' -> 'Karen Holt', 'Confirm Friday appointments' -> None."""
    for run in _NAME_RUN.finditer(title):
        words = [w for w in run.group().split() if not _NOT_A_NAME.fullmatch(w.rstrip("."))]
        name = clean_name(" ".join(words).strip(" &"))
        if name:
            return name
    return None


def search_for(request: Request, name: str) -> Call | Done:
    """Look `name` up with search_contacts: the search to run next, or the last one run. A
    family ("the Hendersons") is filed under its surname, so an empty search for a plural is
    tried once more in the singular."""
    searches = [done for done in request.done if done.name == "search_contacts"]
    if not searches:
        return Call("search_contacts", {"query": name})
    found = searches[-1]
    empty = not found.error and not _items(found.result, "contacts")
    if empty and len(searches) == 1 and re.search(r"[a-z]s$", name):
        return Call("search_contacts", {"query": name[:-1]})
    return found


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
    words, due_words = split_due(body)
    title = words.strip(" .,:;-")
    if not title:
        return "What should the task say? For example: “create a task to call the Hendersons tomorrow at 5pm”."
    arguments: dict[str, Any] = {"title": title[:1].upper() + title[1:200]}
    if due_words:
        arguments["due"] = due_words
    if priority:
        arguments["priority"] = priority
    # Link the customer the title names, when exactly one contact is theirs.
    name = named_contact(title)
    unlinked = ""
    if name and request.has("search_contacts"):
        searched = search_for(request, name)
        if isinstance(searched, Call):
            return searched
        contacts = _items(searched.result, "contacts")
        exact = [c for c in contacts if str(c.get("name", "")).lower() == name.lower()]
        if len(contacts) == 1 or len(exact) == 1:
            arguments["contact_id"] = (exact or contacts)[0]["id"]
        elif contacts:
            unlinked = f" “{name}” matches several contacts, so I didn't link it to one."
        else:
            unlinked = f" No contact matches “{name}”, so it isn't linked to one."
    if done is None:
        return Call("create_task", arguments)
    if done.error:
        return failed("create that task", done)
    task = done.get("created") or {}
    linked = f", linked to {name_of(task)}" if name_of(task) else ""
    due = f", due {when(task['due'])}" if task.get("due") else ""
    who = f", assigned to {task['assignee']}" if task.get("assignee") else ""
    return f"Done: I created the task “{task.get('title', '')}”{linked}{due}{who}.{unlinked}"


_COMPLETE = re.compile(
    r"(?:^|\b)(?:mark|set|check off|tick off|close|complete|finish|finished|done with|"
    r"i (?:did|finished|completed|called|texted))\s+(?:the\s+|my\s+|off\s+)?(?P<what>.+?)"
    r"(?:\s+(?:as\s+)?(?:done|complete|completed|finished|closed))?[.!]?$",
    re.IGNORECASE,
)
_GENERIC = {"follow", "followup", "up", "task", "call", "callback", "back", "the", "with", "my"}


def _task_words(description: str) -> list[str]:
    words = [w for w in re.findall(r"[a-z0-9]+", description.lower()) if len(w) > 2]
    return [w for w in words if w not in _GENERIC] or words


def complete_task(request: Request) -> Step:
    match = _COMPLETE.search(request.text)
    description = (match.group("what") if match else request.text).strip(" .")
    completed = request.result("complete_task")
    if completed is not None:
        if completed.error:
            return failed("mark that task done", completed)
        task = completed.get("completed") or {}
        contact = f" for {name_of(task)}" if name_of(task) else ""
        return f"Marked “{task.get('title', description)}”{contact} as done."
    if not request.has("complete_task"):
        return unavailable("complete_task")
    listed = request.result("list_tasks")
    if listed is None and request.has("list_tasks"):
        return Call("list_tasks", {"status": "pending", "limit": 50})
    words = _task_words(description)

    def score(task: dict[str, Any]) -> int:
        haystack = f"{task.get('title', '')} {name_of(task)}".lower()
        return sum(1 for word in words if word in haystack)

    tasks = _items(listed.result if listed else None, "tasks")
    ranked = sorted(tasks, key=score, reverse=True)
    best = score(ranked[0]) if ranked else 0
    top = [task for task in ranked if best and score(task) == best]
    if len(top) == 1:
        return Call("complete_task", {"task_id": top[0]["id"]})
    if len(top) > 1:
        return "Several open tasks match; which one should I mark done?\n" + bullets(
            [task_line(task) for task in top[:LIST_ITEMS]]
        )
    # Not among the most urgent: let the tool search every open task.
    return Call("complete_task", {"task": description})


_SUMMARY = re.compile(
    r"(?:summari[sz]e|summary (?:of|for|on)|tell me about|brief me on|what do (?:we|i) know "
    r"about|overview (?:of|for)|pull up|look up|who is)\s+(?P<who>.+)",
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
    match = _SUMMARY.search(request.text)
    name = clean_name(match.group("who")) if match else ""
    if not name:
        return "Whose account should I summarize? Give me a name or phone number."
    summary = request.result("get_contact_summary")
    if summary is not None:
        if summary.error:
            return failed(f"summarize {name}", summary)
        return phrase_summary(summary.result)
    if not request.has("get_contact_summary"):
        return unavailable("get_contact_summary")
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
    if len(contacts) > 1:
        lines = [f"{c.get('name')} ({c.get('phone') or 'no phone'})" for c in contacts]
        return f"Several contacts match “{name}”; which one?\n" + bullets(lines[:LIST_ITEMS])
    return Call("get_contact_summary", {"contact_id": contacts[0]["id"]})


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


def appointments(request: Request) -> Step:
    found = _WHEN.search(request.text)
    day = found.group(1).lower() if found else "today"
    got = _needs(request, "list_appointments", f"list the appointments for {day}", {"when": day})
    if not isinstance(got, Done):
        return got
    items = _items(got.result, "appointments")
    label = str((got.get("range") or {}).get("label") or day)
    if not items:
        return f"No appointments {label if label in ('today', 'tomorrow') else 'for ' + label}."
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
    heading = f"{plural(len(items), 'appointment')} {label if label in ('today', 'tomorrow') else 'for ' + label}"
    return f"{heading}:\n" + bullets(lines) + more_note(len(items), len(lines))


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


def tasks(request: Request) -> Step:
    status = "overdue" if "overdue" in request.lower else "pending"
    arguments: dict[str, Any] = {"status": status, "limit": 20}
    if re.search(r"\bdue today\b|\btoday'?s tasks\b", request.lower):
        arguments["due"] = "today"
    got = _needs(request, "list_tasks", "list your tasks", arguments)
    if not isinstance(got, Done):
        return got
    items = _items(got.result, "tasks")
    if not items:
        return "No overdue tasks. Nice work!" if status == "overdue" else "You have no open tasks."
    total = _number(got.result, "total") or len(items)
    heading = (
        f"{plural(total, 'overdue task')}; tackle them in this order (highest priority, "
        "longest overdue first):"
        if status == "overdue"
        else f"{plural(total, 'open task')}, most urgent first:"
    )
    lines = [task_line(task) for task in items[:LIST_ITEMS]]
    return f"{heading}\n" + bullets(lines) + more_note(total, len(lines))


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
    got = _needs(request, "send_sms", "send that text", {"contact": clean_name(who), "body": body})
    if not isinstance(got, Done):
        return got
    sent = got.get("sent") or {}
    to = f" at {sent['to']}" if sent.get("to") else ""
    return f"Sent to {name_of(sent) or who}{to}: “{sent.get('body', body)}”"


def greeting(request: Request) -> Step:
    if re.search(r"\bthanks?\b|\bthank you\b|\bthx\b", request.lower):
        return "You're welcome! Anything else?"
    return "Hi! " + capabilities(request)


def _has(*patterns: str) -> Callable[[str], bool]:
    compiled = re.compile("|".join(patterns), re.IGNORECASE)
    return lambda text: compiled.search(text) is not None


INTENTS: list[tuple[Callable[[str], bool], Callable[[Request], Step]]] = [
    (lambda text: parse_sms(text) is not None, send_sms),
    (
        _has(
            r"^(?:please\s+)?(?:can you\s+|could you\s+)?(?:create|add|make|set up|open|log)\b.*"
            r"\b(?:task|reminder|to-?do|follow[- ]?up)\b",
            r"^remind me\b",
            r"^new task\b",
        ),
        create_task,
    ),
    (
        _has(
            r"\b(?:mark|set|tick|check)\b.*\b(?:done|complete|completed|finished|off)\b",
            r"^(?:complete|finish|close)\b",
            r"\bi (?:finished|completed)\b",
        ),
        complete_task,
    ),
    (
        _has(
            r"\bsummar",
            r"\btell me about\b",
            r"\bbrief me on\b",
            r"\bwhat do (?:we|i) know about\b",
            r"\boverview (?:of|for)\b",
            r"\bpull up\b",
        ),
        summarize_contact,
    ),
    (_has(r"\bdelegat", r"\bhand (?:off|over)\b", r"\boffload\b"), delegate),
    (_has(r"\bplan\b", r"\bnext (?:\d+|an?|one|two|three|four|few|couple(?: of)?) hours?\b"), plan),
    (
        _has(
            r"\bappointments?\b",
            r"\bappts?\b",
            r"\bcalendar\b",
            r"\bmy schedule\b",
            r"\bwho am i (?:seeing|meeting)\b",
        ),
        appointments,
    ),
    (
        _has(
            r"\bunanswered\b",
            r"\bwaiting (?:on|for) (?:a |my |our )?(?:reply|response|answer)",
            r"\bwho (?:texted|messaged)\b",
            r"\binbox\b",
            r"\bneeds? a reply\b",
        ),
        unanswered,
    ),
    (
        _has(
            r"follow[\s-]?up",
            r"\bwho (?:should|do|must) i (?:call|contact|text|reach)",
            r"\breach out\b",
            r"\bcall back\b",
        ),
        follow_ups,
    ),
    (_has(r"\btasks?\b", r"\bto-?dos?\b", r"\boverdue\b"), tasks),
    (
        _has(
            r"\burgent\b",
            r"\bpriorit",
            r"\bmost important\b",
            r"\bfocus\b",
            r"\bwhat should i (?:do|work on|start|tackle)\b",
            r"\bstart with\b",
            r"\bdigest\b",
            r"\bmy day\b",
            r"\bwhat'?s (?:going on|happening|up)\b",
            r"\bat a glance\b",
        ),
        most_urgent,
    ),
    (
        _has(
            r"^(?:hi|hello|hey|good (?:morning|afternoon|evening))\b",
            r"\bthanks?\b",
            r"\bthank you\b",
        ),
        greeting,
    ),
]
