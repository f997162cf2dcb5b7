"""The built-in model's rules for customer text conversations.

On a customer turn it works out what they want, calls the auto-responder's tools for the
facts (real tool calls, `call_1`, `call_2`...), and once the results are back phrases them
as a short SMS. It states only times, addresses, names and prices a tool returned, and
never says a change was made: reschedules, cancellations, bookings and pricing questions
become tasks for the team."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from switchboard.ai.model import (
    Completion,
    ModelMessage,
    ToolCall,
    ToolSpec,
    Usage,
    estimate_tokens,
)

MODEL_NAME = "builtin"
BOOKING_OFFER = "Would you like to book one?"
HANDOFF_REPLY = (
    "Thanks for your message! I've passed it to our team, and someone will get back to you shortly."
)
# Also what the auto-responder sends when it withholds a reply and hands the text to the team.
FALLBACK_REPLY = "Thanks for your message! Someone from our team will follow up with you shortly."


class Intent(StrEnum):
    reschedule = "reschedule"
    cancel = "cancel"
    eta = "eta"
    price = "price"
    book = "book"
    appointment = "appointment"
    accept_booking = "accept_booking"
    thanks = "thanks"
    greeting = "greeting"
    other = "other"


def _pattern(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


_RESCHEDULE = _pattern(
    r"re-?schedul\w*",
    r"(?:move|change|push|bump|switch|shift)\w* (?:my |the |our |this |that )?"
    r"(?:appointment|appt|it|time|date|day|visit|inspection|survey|consultation|estimate)",
    r"(?:a |another |some )?(?:different|other|another|new) (?:day|time|date)",
    r"can'?t make it",
    r"cannot make it",
    r"won'?t (?:make it|be (?:home|there|around))",
    r"not going to be (?:home|there|around)",
)
_CANCEL = _pattern(r"cancel\w*", r"call (?:it|the appointment) off", r"no longer (?:need|want)")
_ETA = _pattern(
    r"on (?:his|her|their|the|your|its) way",
    r"running late",
    r"eta",
    r"where(?: is|'s| are) (?:he|she|they|the rep|my rep|the tech\w*|your guy|the guy|someone)",
    r"how (?:long|far)(?: away| out| until| till)?",
    r"still coming",
    r"when will (?:he|she|they|the rep|someone|your rep) (?:be here|arrive|get here|show)",
    r"(?:is|are) (?:he|she|they|someone|the rep|your rep) (?:coming|here|close)",
    r"nobody(?:'s| has| is)? (?:here|shown|showed|come)",
    r"no one(?:'s| has| is)? (?:here|shown|showed|come)",
)
_PRICE = _pattern(
    r"price\w*",
    r"cost\w*",
    r"how much",
    r"quote\w*",
    r"charge\w*",
    r"financ\w*",
    r"payment plans?",
    r"afford\w*",
    r"budget",
)
_BOOK = _pattern(
    r"(?:book|schedule|set up|setup|arrange) (?:a|an|me|us|my|another|the|for)\b",
    r"(?:like|want|need|love) (?:to )?(?:book|schedule)",
    r"(?:get|need|want) (?:a|an) (?:estimate|inspection|appointment|consultation|quote|visit)",
    r"free (?:estimate|inspection|consultation)",
    r"come out",
    r"available (?:this|next|on|tomorrow)",
)
_APPOINTMENT = _pattern(
    r"what time",
    r"when(?: is|'s| are| was)",
    r"what day",
    r"which day",
    r"appointments?",
    r"appts?",
    r"inspection",
    r"consultation",
    r"confirm\w*",
    r"still on",
)
_ACCEPT = re.compile(
    r"^(?:yes|yeah|yep|yup|sure|please|ok(?:ay)?|definitely|absolutely|that'?d be great)\b"
)
_THANKS = _pattern(
    r"thanks?",
    r"thank you",
    r"thx",
    r"ty",
    r"appreciate",
    r"bye",
    r"goodbye",
    r"have a (?:good|great|nice)",
    r"sounds good",
    r"perfect",
    r"great",
    r"awesome",
    r"got it",
    r"ok(?:ay)?",
    r"see you",
    r"will do",
)
_GREETING = re.compile(r"^(?:hi|hello|hey|hiya|howdy|good (?:morning|afternoon|evening)|yo)\b")


def classify(text: str, previous_reply: str = "") -> Intent:
    """What the customer wants, from what they wrote since our last reply."""
    said = _normalise(text)
    for pattern, intent in (
        (_RESCHEDULE, Intent.reschedule),
        (_CANCEL, Intent.cancel),
        (_ETA, Intent.eta),
        (_PRICE, Intent.price),
        (_BOOK, Intent.book),
        (_APPOINTMENT, Intent.appointment),
    ):
        if pattern.search(said):
            return intent
    short = len(said.split()) <= 8
    if short and BOOKING_OFFER in previous_reply and _ACCEPT.search(said):
        return Intent.accept_booking
    if short and _THANKS.search(said):
        return Intent.thanks
    if short and _GREETING.search(said):
        return Intent.greeting
    return Intent.other


def _normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'")
    return re.sub(r"[^\w'$ ]+", " ", text).strip()


# --- reading the conversation ---------------------------------------------------------------


@dataclass
class Turn:
    """The customer's latest turn and what has happened in it so far."""

    text: str
    previous_reply: str
    offered: set[str]
    called: set[str] = field(default_factory=set)
    results: dict[str, Any] = field(default_factory=dict)
    calls_so_far: int = 0

    def can(self, tool: str) -> bool:
        return tool in self.offered and tool not in self.called

    def failed(self) -> bool:
        return any(isinstance(r, dict) and "error" in r for r in self.results.values())

    def appointments(self) -> list[dict[str, Any]]:
        found = self.results.get("get_upcoming_appointments")
        if not isinstance(found, dict):
            return []
        return [a for a in found.get("appointments", []) if a.get("active", True)]

    def contact(self) -> dict[str, Any]:
        found = self.results.get("get_contact")
        return found if isinstance(found, dict) and "error" not in found else {}

    def quote(self, limit: int = 500) -> str:
        said = " ".join(self.text.split())
        return said if len(said) <= limit else said[: limit - 1] + "\u2026"


def read_turn(messages: list[ModelMessage], tools: list[ToolSpec]) -> Turn:
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
    first_user = last_user
    while first_user > 0 and messages[first_user - 1].role == "user":
        first_user -= 1
    text = (
        " ".join(m.content for m in messages[first_user : last_user + 1]) if last_user >= 0 else ""
    )
    previous_reply = next(
        (
            m.content
            for m in reversed(messages[: max(first_user, 0)])
            if m.role == "assistant" and m.content
        ),
        "",
    )
    turn = Turn(text=text, previous_reply=previous_reply, offered={t.name for t in tools})
    turn.calls_so_far = sum(len(m.tool_calls) for m in messages)
    names: dict[str, str] = {}
    for message in messages[last_user + 1 :]:
        for call in message.tool_calls:
            names[call.id] = call.name
            turn.called.add(call.name)
        if message.role == "tool":
            name = message.name or names.get(message.tool_call_id or "", "")
            try:
                turn.results[name] = json.loads(message.content)
            except ValueError:
                turn.results[name] = {"error": message.content}
    return turn


# --- phrasing -------------------------------------------------------------------------------


def _label(title: str | None) -> str:
    """`Roof inspection` -> `roof inspection`; `HVAC tune-up` stays as it is."""
    if not title:
        return "appointment"
    title = title.strip()
    if len(title) > 1 and title[0].isupper() and title[1].islower():
        return title[0].lower() + title[1:]
    return title


def describe(appointment: dict[str, Any], *, lead: str = "Your") -> str:
    """`Your roof inspection is Tuesday, Nov 24 at 2:00 PM with Dana Ruiz at 123 Main St`."""
    if appointment.get("is_today") and appointment.get("time"):
        when = f"today at {appointment['time']}"
    elif appointment.get("is_tomorrow") and appointment.get("time"):
        when = f"tomorrow at {appointment['time']}"
    else:
        when = appointment.get("when") or "coming up"
    sentence = f"{lead} {_label(appointment.get('title'))} is {when}"
    if appointment.get("rep_name"):
        sentence += f" with {appointment['rep_name']}"
    if appointment.get("address"):
        sentence += f" at {appointment['address']}"
    return sentence


def _slot(appointment: dict[str, Any]) -> str:
    """`your roof inspection on Tuesday, Nov 24 at 2:00 PM`."""
    when = appointment.get("when")
    return f"your {_label(appointment.get('title'))}" + (f" on {when}" if when else "")


# --- the rules ------------------------------------------------------------------------------

Call = tuple[str, dict[str, Any]]
Step = list[Call] | str


def _task(title: str, turn: Turn, priority: str, note: str, **links: Any) -> Call:
    description = f'{note}\n\nThe customer wrote: "{turn.quote()}"'
    args: dict[str, Any] = {"title": title, "description": description, "priority": priority}
    args.update({k: v for k, v in links.items() if v})
    return ("create_task", args)


def _appointment_question(turn: Turn) -> Step:
    if turn.can("get_upcoming_appointments"):
        return [("get_upcoming_appointments", {})]
    appointments = turn.appointments()
    if appointments:
        reply = describe(appointments[0]) + "."
        if len(appointments) > 1:
            other = appointments[1]
            label = _label(other.get("title"))
            article = "an" if label[:1].lower() in "aeiou" else "a"
            reply += f" You also have {article} {label} on {other.get('when')}."
        return reply
    if turn.can("create_task"):
        note = "The customer asked about their appointment; none is on file. Offer to book one."
        return [_task("Book an appointment", turn, "medium", note)]
    return (
        f"I don't see an upcoming appointment on file for you. {BOOKING_OFFER} "
        "I've asked our scheduling team to reach out to find a time that works."
    )


def _change_request(kind: str) -> Callable[[Turn], Step]:
    title = {"reschedule": "Reschedule request", "cancel": "Cancellation request"}[kind]

    def rule(turn: Turn) -> Step:
        if turn.can("get_upcoming_appointments"):
            return [("get_upcoming_appointments", {})]
        appointments = turn.appointments()
        appointment = appointments[0] if appointments else None
        if turn.can("create_task"):
            what = (
                f"the {_slot(appointment).removeprefix('your ')}"
                if appointment
                else "an appointment (none on file)"
            )
            note = (
                f"The customer asked to {kind} {what}. "
                "Call them to confirm; nothing has been changed yet."
            )
            return [
                _task(title, turn, "high", note, appointment_id=appointment and appointment["id"])
            ]
        if appointment is None:
            return (
                "Got it. I don't see an upcoming appointment on file, so I've asked our team "
                "to look into it and reach out to you shortly."
            )
        if kind == "reschedule":
            return (
                f"Got it. I've asked our team to reschedule {_slot(appointment)}. "
                "Someone will reach out shortly to confirm a new time."
            )
        return (
            f"Understood. I've passed your request to cancel {_slot(appointment)} to our team. "
            "Someone will reach out shortly to confirm."
        )

    return rule


def _rep_on_the_way(turn: Turn) -> Step:
    if turn.can("get_upcoming_appointments"):
        return [("get_upcoming_appointments", {})]
    appointments = turn.appointments()
    today = next((a for a in appointments if a.get("is_today")), None)
    if turn.can("create_task"):
        if today is not None:
            note = (
                "The customer is asking whether the rep is on the way. "
                "Check with the rep and text them an update."
            )
            return [
                _task(
                    "Customer asking if the rep is on the way",
                    turn,
                    "high",
                    note,
                    appointment_id=today["id"],
                )
            ]
        note = "The customer expects a visit today, but no appointment today is on file."
        return [_task("Customer expecting a visit today", turn, "high", note)]
    if today is not None:
        rep = today.get("rep_name")
        return (
            f"{describe(today)}. I don't have live arrival updates, so I've asked our team to "
            f"check with {rep or 'the rep'} and text you back shortly."
        )
    if appointments:
        return (
            "I don't see an appointment for you today. "
            f"{describe(appointments[0], lead='Your next')}. "
            "I've asked our team to double-check and follow up with you."
        )
    return (
        "I don't see an appointment on file for today. I've asked our team to check and get "
        "back to you shortly."
    )


def _price_question(turn: Turn) -> Step:
    calls: list[Call] = []
    if turn.can("get_contact"):
        calls.append(("get_contact", {}))
    if turn.can("create_task"):
        note = (
            "The customer asked about pricing. "
            "Follow up with a quote; the auto-reply gave no numbers."
        )
        calls.append(_task("Pricing question", turn, "medium", note))
    if calls:
        return calls
    services = [r["service"] for r in turn.contact().get("open_requests", []) if r.get("service")]
    topic = f"pricing for your {services[0].lower()} project" if services else "a quote"
    return (
        "Great question! Pricing depends on the details of your project, so I've asked our "
        f"team to follow up with you about {topic}."
    )


def _booking(accepted: bool) -> Callable[[Turn], Step]:
    def rule(turn: Turn) -> Step:
        calls: list[Call] = []
        if turn.can("get_contact"):
            calls.append(("get_contact", {}))
        if turn.can("create_task"):
            note = "The customer wants to book an appointment. Call them to find a time."
            calls.append(_task("Book an appointment", turn, "high", note))
        if calls:
            return calls
        if accepted:
            return (
                "Great! Our scheduling team will reach out shortly "
                "to find a time that works for you."
            )
        return (
            "Happy to help you get that scheduled! I've asked our team to reach out shortly "
            "to find a time that works for you."
        )

    return rule


def _thanks(turn: Turn) -> Step:
    if re.search(r"\b(?:bye|goodbye|have a (?:good|great|nice)|see you)\b", _normalise(turn.text)):
        return "Thanks for reaching out! Have a great day."
    return "You're welcome! Let us know if there's anything else we can help with."


def _greeting(turn: Turn) -> Step:
    if turn.can("get_contact"):
        return [("get_contact", {})]
    contact = turn.contact()
    hello = f"Hi {contact['first_name']}!" if contact.get("first_name") else "Hi there!"
    company = f" for texting {contact['company_name']}" if contact.get("company_name") else ""
    return f"{hello} Thanks{company}. How can I help you today?"


def _hand_off(turn: Turn) -> Step:
    if turn.can("hand_to_human"):
        reason = "The customer asked something the auto-reply cannot answer from their records."
        return [("hand_to_human", {"reason": reason, "summary": turn.quote()})]
    return HANDOFF_REPLY if "hand_to_human" in turn.called else FALLBACK_REPLY


RULES: dict[Intent, Callable[[Turn], Step]] = {
    Intent.appointment: _appointment_question,
    Intent.reschedule: _change_request("reschedule"),
    Intent.cancel: _change_request("cancel"),
    Intent.eta: _rep_on_the_way,
    Intent.price: _price_question,
    Intent.book: _booking(accepted=False),
    Intent.accept_booking: _booking(accepted=True),
    Intent.thanks: _thanks,
    Intent.greeting: _greeting,
    Intent.other: _hand_off,
}


def respond(messages: list[ModelMessage], tools: list[ToolSpec]) -> Completion:
    turn = read_turn(messages, tools)
    if turn.failed():
        # A tool could not give us the facts: never guess, let a person answer.
        step = _hand_off(turn)
    else:
        step = RULES[classify(turn.text, turn.previous_reply)](turn)
    prompt_tokens = sum(estimate_tokens(m.content) for m in messages)
    if isinstance(step, str):
        usage = Usage(prompt_tokens, estimate_tokens(step), estimated=True)
        return Completion(text=step, usage=usage, model=MODEL_NAME)
    calls = tuple(
        ToolCall(id=f"call_{turn.calls_so_far + n}", name=name, arguments=args)
        for n, (name, args) in enumerate(step, start=1)
    )
    usage = Usage(prompt_tokens, sum(estimate_tokens(json.dumps(c.arguments)) for c in calls), True)
    return Completion(text=None, tool_calls=calls, usage=usage, model=MODEL_NAME)
