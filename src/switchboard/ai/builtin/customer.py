"""The built-in model's rules for customer text conversations.

On a customer turn it works out what they want (the classifier learned from
`corpus/customer.txt`, in English or Spanish; when unsure it hands the text to a person),
calls the auto-responder's tools for the facts (real tool calls, `call_1`, `call_2`...),
and once the results are back phrases them as a short SMS in the customer's language. It
states only times, addresses, names and prices a tool returned, and never says a change
was made: reschedules, cancellations, bookings and pricing questions become tasks for the
team."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from switchboard.ai.builtin import intents
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


# Greetings, thanks and a "yes" are short: a long text that looks like one says more, and a
# person should read it.
SHORT_WORDS = 8


def understand(text: str, previous_reply: str = "") -> tuple[Intent, str]:
    """What the customer wants, from what they wrote since our last reply, and the language
    to answer in ("en" or "es"). Unsure: `Intent.other`, so a person answers."""
    said = " ".join(text.split())
    if not said:
        return Intent.other, "en"
    scored = intents.classify("customer", said)
    language = scored.language if scored.language in PHRASES else "en"
    short = len(said.split()) <= SHORT_WORDS
    if scored.intent is None:
        return Intent.other, language
    if scored.intent == "affirm":
        offered = any(p["booking_offer"] in previous_reply for p in PHRASES.values())
        return (Intent.accept_booking if offered and short else Intent.other), language
    intent = Intent(scored.intent)
    if intent in (Intent.thanks, Intent.greeting) and not short:
        return Intent.other, language
    return intent, language


def classify(text: str, previous_reply: str = "") -> Intent:
    """What the customer wants, from what they wrote since our last reply."""
    return understand(text, previous_reply)[0]


def _normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'")
    return re.sub(r"[^\w'$ ]+", " ", text).strip()


# Every sentence a reply is made of, in each language a customer may write in. Facts
# (times, names, addresses) are filled in only from tool results.
PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "booking_offer": BOOKING_OFFER,
        "handoff": HANDOFF_REPLY,
        "fallback": FALLBACK_REPLY,
        "is": "{lead} {label} is {when}",
        "lead": "Your",
        "lead_next": "Your next",
        "with": " with {rep}",
        "at": " at {address}",
        "today_at": "today at {time}",
        "tomorrow_at": "tomorrow at {time}",
        "also": " You also have {article} {label} on {when}.",
        "none_on_file": "I don't see an upcoming appointment on file for you. {offer} "
        "I've asked our scheduling team to reach out to find a time that works.",
        "none_to_change": "Got it. I don't see an upcoming appointment on file, so I've asked "
        "our team to look into it and reach out to you shortly.",
        "reschedule": "Got it. I've asked our team to reschedule {slot}. Someone will reach "
        "out shortly to confirm a new time.",
        "cancel": "Understood. I've passed your request to cancel {slot} to our team. Someone "
        "will reach out shortly to confirm.",
        "slot": "your {label}",
        "slot_on": "your {label} on {when}",
        "eta_today": "{appointment}. I don't have live arrival updates, so I've asked our team "
        "to check with {rep} and text you back shortly.",
        "the_rep": "the rep",
        "eta_not_today": "I don't see an appointment for you today. {appointment}. I've asked "
        "our team to double-check and follow up with you.",
        "eta_none": "I don't see an appointment on file for today. I've asked our team to "
        "check and get back to you shortly.",
        "price": "Great question! Pricing depends on the details of your project, so I've "
        "asked our team to follow up with you about {topic}.",
        "price_topic_service": "pricing for your {service} project",
        "price_topic": "a quote",
        "booked": "Great! Our scheduling team will reach out shortly to find a time that "
        "works for you.",
        "book": "Happy to help you get that scheduled! I've asked our team to reach out "
        "shortly to find a time that works for you.",
        "bye": "Thanks for reaching out! Have a great day.",
        "welcome": "You're welcome! Let us know if there's anything else we can help with.",
        "hello_name": "Hi {name}!",
        "hello": "Hi there!",
        "company": " for texting {company}",
        "greeting": "{hello} Thanks{company}. How can I help you today?",
    },
    "es": {
        "booking_offer": "¿Le gustaría agendar una?",
        "handoff": "¡Gracias por su mensaje! Se lo pasé a nuestro equipo y alguien le "
        "responderá en breve.",
        "fallback": "¡Gracias por su mensaje! Alguien de nuestro equipo le responderá en breve.",
        "is": "{lead} ({label}) es {when}",
        "lead": "Su cita",
        "lead_next": "Su próxima cita",
        "with": " con {rep}",
        "at": " en {address}",
        "today_at": "hoy a las {time}",
        "tomorrow_at": "mañana a las {time}",
        "also": " También tiene otra cita ({label}) el {when}.",
        "none_on_file": "No veo una próxima cita registrada para usted. {offer} Le pedí a "
        "nuestro equipo de citas que se comunique para encontrar un horario que le convenga.",
        "none_to_change": "Entendido. No veo una próxima cita registrada, así que le pedí a "
        "nuestro equipo que lo revise y se comunique con usted en breve.",
        "reschedule": "Entendido. Le pedí a nuestro equipo que reprograme {slot}. Alguien se "
        "comunicará en breve para confirmar un nuevo horario.",
        "cancel": "Entendido. Pasé su solicitud de cancelar {slot} a nuestro equipo. Alguien "
        "se comunicará en breve para confirmar.",
        "slot": "su cita ({label})",
        "slot_on": "su cita ({label}) del {when}",
        "eta_today": "{appointment}. No tengo información de llegada en tiempo real, así que "
        "le pedí a nuestro equipo que consulte con {rep} y le escriba en breve.",
        "the_rep": "el representante",
        "eta_not_today": "No veo una cita para usted hoy. {appointment}. Le pedí a nuestro "
        "equipo que lo verifique y se comunique con usted.",
        "eta_none": "No veo una cita registrada para hoy. Le pedí a nuestro equipo que lo "
        "revise y le responda en breve.",
        "price": "¡Buena pregunta! El precio depende de los detalles de su proyecto, así que "
        "le pedí a nuestro equipo que se comunique con usted sobre {topic}.",
        "price_topic_service": "el precio de su proyecto ({service})",
        "price_topic": "una cotización",
        "booked": "¡Perfecto! Nuestro equipo de citas se comunicará en breve para encontrar "
        "un horario que le convenga.",
        "book": "¡Con gusto le ayudamos a agendarla! Le pedí a nuestro equipo que se comunique "
        "en breve para encontrar un horario que le convenga.",
        "bye": "¡Gracias por escribirnos! Que tenga un excelente día.",
        "welcome": "¡Con gusto! Avísenos si hay algo más en lo que le podamos ayudar.",
        "hello_name": "¡Hola, {name}!",
        "hello": "¡Hola!",
        "company": " por escribir a {company}",
        "greeting": "{hello} Gracias{company}. ¿En qué le puedo ayudar hoy?",
    },
}
_ES_DAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
_ES_MONTHS = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]


def say(language: str, key: str, **facts: str) -> str:
    return PHRASES.get(language, PHRASES["en"])[key].format(**facts)


# --- reading the conversation ---------------------------------------------------------------


@dataclass
@dataclass
class Turn:
    """The customer's latest turn and what has happened in it so far."""

    text: str
    previous_reply: str
    offered: set[str]
    called: set[str] = field(default_factory=set)
    results: dict[str, Any] = field(default_factory=dict)
    calls_so_far: int = 0
    language: str = "en"  # the customer's, which the reply is written in

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

    def say(self, key: str, **facts: str) -> str:
        return say(self.language, key, **facts)


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


def _when(appointment: dict[str, Any], language: str) -> str:
    """When an appointment is, in the reply's language, from the tool's own strings (or,
    in Spanish, from its start time)."""
    if appointment.get("is_today") and appointment.get("time"):
        return say(language, "today_at", time=appointment["time"])
    if appointment.get("is_tomorrow") and appointment.get("time"):
        return say(language, "tomorrow_at", time=appointment["time"])
    if language == "es" and appointment.get("starts_at") and appointment.get("time"):
        try:
            moment = datetime.fromisoformat(str(appointment["starts_at"]))
        except ValueError:
            moment = None
        if moment is not None:
            day = f"{_ES_DAYS[moment.weekday()]} {moment.day} de {_ES_MONTHS[moment.month - 1]}"
            return f"{day} a las {appointment['time']}"
    return str(appointment.get("when") or ("próximamente" if language == "es" else "coming up"))


def describe(appointment: dict[str, Any], *, lead: str = "Your", language: str = "en") -> str:
    """`Your roof inspection is Tuesday, Nov 24 at 2:00 PM with Dana Ruiz at 123 Main St`."""
    if language != "en":
        lead = say(language, "lead_next" if lead == "Your next" else "lead")
    label = _label(appointment.get("title")) if language == "en" else appointment.get("title")
    when = _when(appointment, language)
    if language == "es" and not appointment.get("is_today") and not appointment.get("is_tomorrow"):
        when = f"el {when}"
    sentence = say(language, "is", lead=lead, label=label or "cita", when=when)
    if language == "es" and not appointment.get("title"):
        sentence = sentence.replace(" (cita)", "")
    if appointment.get("rep_name"):
        sentence += say(language, "with", rep=appointment["rep_name"])
    if appointment.get("address"):
        sentence += say(language, "at", address=appointment["address"])
    return sentence


def _slot(appointment: dict[str, Any], language: str = "en") -> str:
    """`your roof inspection on Tuesday, Nov 24 at 2:00 PM`."""
    label = _label(appointment.get("title")) if language == "en" else appointment.get("title")
    when = _when(appointment, language) if appointment.get("when") else ""
    if language == "es":
        label = label or "cita"
    return say(language, "slot_on" if when else "slot", label=str(label), when=when)


# --- the rules ------------------------------------------------------------------------------

Call = tuple[str, dict[str, Any]]
Step = list[Call] | str


def _task(title: str, turn: Turn, priority: str, note: str, **links: Any) -> Call:
    wrote = "The customer wrote (in Spanish)" if turn.language == "es" else "The customer wrote"
    description = f'{note}\n\n{wrote}: "{turn.quote()}"'
    args: dict[str, Any] = {"title": title, "description": description, "priority": priority}
    args.update({k: v for k, v in links.items() if v})
    return ("create_task", args)


def _appointment_question(turn: Turn) -> Step:
    if turn.can("get_upcoming_appointments"):
        return [("get_upcoming_appointments", {})]
    appointments = turn.appointments()
    if appointments:
        reply = describe(appointments[0], language=turn.language) + "."
        if len(appointments) > 1:
            other = appointments[1]
            label = _label(other.get("title"))
            article = "an" if label[:1].lower() in "aeiou" else "a"
            if turn.language == "es":
                label = str(other.get("title") or "cita")
            reply += turn.say(
                "also",
                article=article,
                label=label,
                when=_when(other, turn.language)
                if turn.language == "es"
                else str(other.get("when")),
            )
        return reply
    if turn.can("create_task"):
        note = "The customer asked about their appointment; none is on file. Offer to book one."
        return [_task("Book an appointment", turn, "medium", note)]
    return turn.say("none_on_file", offer=turn.say("booking_offer"))


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
            return turn.say("none_to_change")
        return turn.say(kind, slot=_slot(appointment, turn.language))

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
        rep = today.get("rep_name") or turn.say("the_rep")
        return turn.say("eta_today", appointment=describe(today, language=turn.language), rep=rep)
    if appointments:
        first = describe(appointments[0], lead="Your next", language=turn.language)
        return turn.say("eta_not_today", appointment=first)
    return turn.say("eta_none")


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
    topic = (
        turn.say("price_topic_service", service=services[0].lower())
        if services
        else turn.say("price_topic")
    )
    return turn.say("price", topic=topic)


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
        return turn.say("booked" if accepted else "book")

    return rule


_GOODBYE = re.compile(
    r"\b(?:bye|goodbye|have a (?:good|great|nice)|see you|adios|hasta|nos vemos|que tenga)\b"
)


def _thanks(turn: Turn) -> Step:
    said = _normalise(turn.text).replace("ó", "o")
    return turn.say("bye" if _GOODBYE.search(said) else "welcome")


def _greeting(turn: Turn) -> Step:
    if turn.can("get_contact"):
        return [("get_contact", {})]
    contact = turn.contact()
    hello = (
        turn.say("hello_name", name=contact["first_name"])
        if contact.get("first_name")
        else turn.say("hello")
    )
    company = (
        turn.say("company", company=contact["company_name"]) if contact.get("company_name") else ""
    )
    return turn.say("greeting", hello=hello, company=company)


def _hand_off(turn: Turn) -> Step:
    if turn.can("hand_to_human"):
        reason = "The customer asked something the auto-reply cannot answer from their records."
        if turn.language == "es":
            reason += " They wrote in Spanish."
        return [("hand_to_human", {"reason": reason, "summary": turn.quote()})]
    return turn.say("handoff") if "hand_to_human" in turn.called else turn.say("fallback")


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
    intent, turn.language = understand(turn.text, turn.previous_reply)
    # A tool could not give us the facts: never guess, let a person answer.
    step = _hand_off(turn) if turn.failed() else RULES[intent](turn)
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
