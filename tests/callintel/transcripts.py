"""Realistic transcripts and what an analysis of each must find: the intent, objections,
booking outcome and next steps (kind, owner, the due words, and when that lands)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Calls are on Monday 23 November 2026 at 9:00 in Chicago (15:00 UTC) unless said.
CALL_AT = "2026-11-23T15:00:00+00:00"


@dataclass(frozen=True)
class Step:
    kind: str
    owner: str
    due_words: str | None = None
    due_local: str | None = None  # "2026-11-26 17:00" in the tenant's zone
    priority: str | None = None


@dataclass(frozen=True)
class Case:
    name: str
    segments: list[tuple[str, str]]
    intent: str
    booking: str
    objections: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    sentiment: str | None = None
    language: str = "en"
    kind: str = "call"

    def segment_dicts(self) -> list[dict[str, Any]]:
        out, clock = [], 0.0
        for speaker, text in self.segments:
            length = max(1.5, len(text.split()) / 2.7)
            out.append(
                {
                    "speaker": speaker,
                    "start_s": round(clock, 1),
                    "end_s": round(clock + length, 1),
                    "text": text,
                }
            )
            clock += length + 0.5
        return out


BOOKED = Case(
    name="booked",
    segments=[
        ("Agent", "Thanks for calling Summit Roofing, this is Dana. How can I help?"),
        (
            "Customer",
            "Hi, we had a storm last night and I think some shingles came off. Can someone come take a look?",
        ),
        (
            "Agent",
            "Absolutely. I can have an inspector out Wednesday at 10 in the morning. Does that work?",
        ),
        ("Customer", "Wednesday at 10 is perfect."),
        ("Agent", "Great, you're all set for Wednesday at 10am. You'll get a text confirmation."),
        ("Customer", "Thank you so much!"),
    ],
    intent="estimate_request",
    booking="booked",
    sentiment="positive",
)

OBJECTIONS = Case(
    name="not booked, objections",
    segments=[
        ("Agent", "Summit Roofing, this is Marco. How can I help?"),
        ("Customer", "I got your quote for the new roof and honestly it's too expensive."),
        ("Agent", "I understand. Did you have a chance to compare it?"),
        ("Customer", "Yeah, I have two other quotes from another company that came in lower."),
        ("Customer", "And I'm not ready to do this right now anyway, maybe next spring."),
        ("Agent", "We do have financing with monthly payments if that helps."),
        ("Customer", "I'm not interested right now, thanks."),
    ],
    intent="estimate_request",
    booking="not_booked",
    objections=["price", "competitor", "timing"],
)

CALL_BACK = Case(
    name="call-back with a time",
    segments=[
        ("CSR", "Thank you for calling Summit Roofing. How can I help?"),
        ("Caller", "I'm at work and can't talk, I wanted to ask about a quote for gutters."),
        ("CSR", "No problem. When is a good time to reach you?"),
        ("Caller", "Call me back Thursday after 5."),
        ("CSR", "Will do, we'll call you Thursday after 5."),
    ],
    intent="estimate_request",
    booking="follow_up",
    steps=[Step("call_back", "csr", "Thursday after 5", "2026-11-26 17:00", "high")],
)

SPOUSE = Case(
    name="spouse decision",
    segments=[
        ("Agent", "Hi, this is Dana with Summit Roofing following up on your estimate."),
        ("Customer", "Oh hi. It looks good but I need to talk it over with my husband first."),
        ("Agent", "Of course. When should I check back?"),
        ("Customer", "Give us a couple of days. Check back in two days."),
        ("Agent", "Sounds good, I'll follow up in two days."),
    ],
    intent="estimate_request",
    booking="follow_up",
    objections=["spouse"],
    steps=[Step("follow_up", "csr", "in two days", "2026-11-25 09:00", "medium")],
)

COMPLAINT = Case(
    name="complaint",
    segments=[
        ("Agent", "Summit Roofing, how can I help?"),
        ("Customer", "You replaced my roof last month and it's still leaking into the bedroom."),
        ("Customer", "I'm really upset, nobody called me back after my last message."),
        ("Agent", "I'm so sorry. I'll have a manager call you back today by 3pm."),
        ("Customer", "Please do."),
    ],
    intent="complaint",
    booking="not_applicable",
    sentiment="negative",
    # The manager's call-back is the complaint's task: one, due when it was promised.
    steps=[Step("resolve_complaint", "manager", "today by 3pm", "2026-11-23 15:00", "high")],
)

WRONG_NUMBER = Case(
    name="wrong number",
    segments=[
        ("Agent", "Thanks for calling Summit Roofing, how can I help?"),
        ("Caller", "Oh sorry, I think I have the wrong number. I was calling the pizza place."),
        ("Agent", "No problem, have a good day."),
    ],
    intent="wrong_number",
    booking="not_applicable",
)

SPANISH = Case(
    name="Spanish",
    segments=[
        ("Agente", "Gracias por llamar a Summit Roofing, ¿en qué le puedo ayudar?"),
        (
            "Cliente",
            "Hola, quiero una cotización para cambiar el techo, pero es muy caro para nosotros.",
        ),
        ("Cliente", "Tengo que hablarlo con mi esposa antes de decidir."),
        ("Agente", "Claro que sí. ¿Cuándo le puedo llamar?"),
        ("Cliente", "Llámeme el jueves después de las 5, por favor."),
        ("Agente", "Perfecto, le llamo el jueves después de las 5."),
    ],
    intent="estimate_request",
    booking="follow_up",
    objections=["price", "spouse"],
    language="es",
    steps=[Step("call_back", "csr", None, "2026-11-26 17:00", "high")],
)

IN_HOME = Case(
    name="in-home visit, sold",
    kind="recording",
    segments=[
        ("Rep", "So that's the full proposal for the roof replacement, with the 30-year shingles."),
        ("Homeowner", "It's a bit more than we hoped, but the warranty matters to us."),
        ("Homeowner", "Okay, let's do it. Where do I sign?"),
        ("Rep", "Great. I'll send the contract over tonight so you can sign it by email."),
    ],
    intent="in_home_consultation",
    booking="sold",
    steps=[
        Step("send_contract", "rep", "tonight", "2026-11-23 18:00", "high"),
        Step("schedule", "csr"),
    ],
)

CASES = [BOOKED, OBJECTIONS, CALL_BACK, SPOUSE, COMPLAINT, WRONG_NUMBER, SPANISH]
