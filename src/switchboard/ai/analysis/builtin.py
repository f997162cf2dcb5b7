"""The built-in offline analyser: deterministic rules over the transcript's lines, in English
and Spanish. It reports only what the transcript says, and cites the lines it read it in;
it never guesses a time, a price or a decision nobody stated."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from switchboard.ai.analysis import AnalysisAnswer, AnalysisRequest
from switchboard.ai.model import Usage
from switchboard.callintel.due import find_due_words
from switchboard.callintel.lines import Line
from switchboard.callintel.schemas import (
    BookingOutcome,
    Citation,
    Findings,
    NextStep,
    Objection,
    ObjectionKind,
    Owner,
    Sentiment,
    SourceKind,
    StepKind,
)
from switchboard.tasks.models import TaskPriority

MODEL_NAME = "builtin-analyser-1"


def _rx(*alternatives: str) -> re.Pattern[str]:
    """One pattern of `alternatives`, each starting at a word, read in lower case: the
    transcript is lowered once, and a leading word boundary lets the scan skip the middle
    of every word (case-insensitive alternations cost Python's re twice as much)."""
    branches = "|".join(f"(?:{a.removeprefix(chr(92) + 'b')})" for a in alternatives)
    return re.compile(rf"\b(?:{branches})")


# Who speaks: labels that name our side, and words only our side says.
_STAFF_LABELS = frozenset(
    [
        "agent",
        "csr",
        "rep",
        "sales",
        "staff",
        "office",
        "representative",
        "advisor",
        "technician",
        "tech",
        "dispatcher",
        "salesperson",
        "otto",
        "shunya",
        "agente",
        "asesor",
        "representante",
        "vendedor",
        "operator",
    ]
)
_CUSTOMER_LABELS = frozenset(
    [
        "customer",
        "caller",
        "homeowner",
        "client",
        "prospect",
        "cliente",
        "llamante",
        "wife",
        "husband",
        "spouse",
    ]
)
_STAFF_WORDS = _rx(
    r"thanks? (?:you )?for calling",
    r"this is \w+ (?:with|from|at)\b",
    r"how (?:can|may) i help",
    r"gracias por llamar",
    r"¿?en qué (?:le )?puedo ayudar",
)

_OBJECTIONS: tuple[tuple[ObjectionKind, re.Pattern[str]], ...] = (
    (
        ObjectionKind.price,
        _rx(
            r"too (?:expensive|much|high|pricey)",
            r"\bexpensive\b",
            r"can'?t afford",
            r"(?:out of|over|beyond) (?:my|our) budget",
            r"(?:price|cost|quote|number) (?:is|seems|was|sounds) (?:high|steep|a lot|crazy)",
            r"\bcheaper\b",
            r"lower (?:the )?price",
            r"(?:muy|demasiado) caro",
            r"\bel precio\b.*\b(?:alto|caro)",
            r"no (?:me|nos) alcanza",
        ),
    ),
    (
        ObjectionKind.spouse,
        _rx(
            r"(?:talk|speak|discuss|check|decide|consult|run (?:it|this) by|ask)\b[^.?!\n]{0,30}"
            r"\b(?:my|the) (?:wife|husband|spouse|partner)",
            r"(?:my|the) (?:wife|husband|spouse|partner)\b[^.?!\n]{0,40}"
            r"\b(?:decide|decision|say|agree|look at it|see it|on board|has to)",
            r"(?:hablar|consultar|decidir|platicar)\w*\b[^.?!\n]{0,30}"
            r"\b(?:mi|con mi) (?:esposa|esposo|marido|mujer|pareja)",
        ),
    ),
    (
        ObjectionKind.timing,
        _rx(
            r"not (?:ready|right now|a good time|in a hurry)",
            r"(?:maybe|probably|wait (?:until|till)) next (?:year|spring|summer|fall|month)",
            r"wait (?:until|till)",
            r"too soon",
            r"todav[ií]a no",
            r"el pr[oó]ximo año",
            r"m[aá]s adelante",
        ),
    ),
    (
        ObjectionKind.trust,
        _rx(
            r"(?:read|heard|seen) (?:some )?(?:bad|mixed|negative|awful) (?:reviews|things)",
            r"how do i know",
            r"(?:are|is) (?:you|y'?all|your (?:company|guys)) (?:guys )?(?:licensed|insured|legit)",
            r"\bscam\b",
            r"(?:don'?t|do not) trust",
            r"not sure (?:i|we) (?:can )?trust",
            r"malas reseñas",
            r"no conf[ií]o",
        ),
    ),
    (
        ObjectionKind.competitor,
        _rx(
            r"(?:another|other|a different|second) (?:company|contractor|quote|bid|estimate|roofer)",
            r"(?:got|getting|have|had) (?:a |another |other |two |three )?(?:quotes?|bids?|estimates?) from",
            r"shopping around",
            r"compar(?:e|ing) (?:quotes|prices|bids)",
            r"\bcompetitor",
            r"otra (?:compañ[ií]a|empresa|cotizaci[oó]n)",
            r"otras cotizaciones",
        ),
    ),
    (
        ObjectionKind.financing,
        _rx(
            r"\bfinanc(?:e|ing)\b",
            r"payment plans?",
            r"monthly payments?",
            r"pay (?:it )?(?:over time|in installments)",
            r"credit (?:check|score)",
            r"financiamiento",
            r"pagos mensuales",
            r"a plazos",
        ),
    ),
)
_OBJECTION_NAMES = {
    ObjectionKind.price: "price",
    ObjectionKind.spouse: "deciding with their spouse or partner",
    ObjectionKind.timing: "timing",
    ObjectionKind.trust: "trust",
    ObjectionKind.competitor: "comparing other companies",
    ObjectionKind.financing: "financing",
    ObjectionKind.other: "other",
}

_WRONG_NUMBER = _rx(
    r"wrong number",
    r"n[uú]mero equivocado",
    r"you(?:'ve| have) (?:got )?the wrong",
    r"i didn'?t call (?:you|anyone|a roofer|about)",
    r"not who you(?:'re| are) looking for",
    r"no (?:es|soy) (?:quien|la persona)",
)
_COMPLAINT = _rx(
    r"\bcomplain",
    r"\bunhappy\b",
    r"not (?:happy|satisfied)",
    r"\bupset\b",
    r"\bdisappointed\b",
    r"\bterrible\b",
    r"still leak",
    r"leak(?:ing|s)? again",
    r"(?:nobody|no one|no-one) (?:showed|came|called)",
    r"never (?:showed|came|called back)",
    r"overflow(?:ing|s)? again",
    r"damaged?\b",
    r"\brefund\b",
    r"\bqueja",
    r"\bmolest[oa]\b",
    r"no (?:estoy|estamos) content",
    r"sigue goteando",
)
_RESCHEDULE = _rx(
    r"reschedul", r"move (?:my|the|our) appointment", r"change (?:my|the|our) appointment",
    r"cambiar (?:la|mi) cita",
)  # fmt: skip
_CANCEL = _rx(r"cancel (?:my|the|our) (?:appointment|service|project|job)", r"cancelar (?:la|mi)")
_ESTIMATE = _rx(
    r"\bestimate\b", r"\bquote\b", r"inspection", r"come (?:out|by|take)", r"take a look",
    r"\bappointment\b", r"\bschedule\b", r"\bbook\b", r"replace", r"install",
    r"filled out (?:the|your) form", r"interested in",
    r"cotizaci[oó]n", r"presupuesto", r"\bcita\b", r"inspecci[oó]n",
)  # fmt: skip

_BOOKED = _rx(
    r"(?:you'?re|you are) (?:all )?(?:set|booked|scheduled|confirmed) for",
    r"(?:you'?re|you are) all set",
    r"i(?:'ve| have) (?:got you|booked you|scheduled you|put you) (?:down|in)",
    r"(?:booked|scheduled) (?:you|it) for",
    r"appointment is (?:set|confirmed|booked)",
    r"queda (?:agendad|programad|confirmad)[ao]",
    r"su cita (?:est[aá]|queda) (?:confirmada|agendada)",
    r"(?:le|lo|la) (?:agend[eé]|anot[eé])",
)
_SOLD = _rx(
    r"let'?s (?:do it|go ahead|move forward)",
    r"we'?ll go (?:ahead|with (?:it|you))",
    r"(?:we'?re|we are|i'?m|i am) ready to (?:sign|move forward|go ahead)",
    r"where do (?:i|we) sign",
    r"vamos a hacerlo",
    r"d[oó]nde firmo",
)
_REFUSED = _rx(
    r"not interested", r"we'?ll pass", r"going (?:to go )?with (?:another|the other)",
    r"no (?:me|nos) interesa",
)  # fmt: skip

_CALL_BACK = _rx(
    r"call (?:me|us) back",
    r"give (?:me|us) a (?:call|ring)",
    r"call me (?:on|at|after|before|tomorrow|next|this|in|around|later)",
    r"can (?:you|someone) call (?:me|back)",
    r"(?:i'?ll|we'?ll|i will|we will|someone will|somebody will) (?:call|give) you (?:a call )?back",
    r"(?:i'?ll|we'?ll|i will|we will) (?:call|ring) you",
    r"(?:have|get|ask) (?:a manager|someone|somebody|the office|\w+) (?:to )?call you",
    r"ll[aá]m(?:e|a)me",
    r"me (?:puede|pueden|podr[ií]an?) llamar",
    r"(?:le|te) (?:llamo|llamamos|vuelvo a llamar|volvemos a llamar)",
    r"vuelva a llamar",
)
_FOLLOW_UP = _rx(
    r"check back",
    r"follow(?:ing)? up",
    r"get back to (?:you|me|us)",
    r"think (?:it|this|about it) over",
    r"let (?:me|us) think",
    r"sleep on it",
    r"give (?:me|us) (?:a )?(?:couple|few) (?:of )?days",
    r"lo (?:voy a |vamos a )?pens(?:ar|amos)",
    r"d[eé]jeme pensarlo",
)
_SEND_CONTRACT = _rx(
    r"send (?:me |you |us |it )?(?:over )?(?:the |a |your )?(?:contract|agreement|paperwork)",
    r"(?:email|e-mail) (?:me |you )?(?:the )?(?:contract|agreement|paperwork)",
    r"enviar(?:le|me|nos)? el contrato",
)
_SEND_QUOTE = _rx(
    r"send (?:me |you |us )?(?:over )?(?:the |a |an |your |some )?"
    r"(?:written )?(?:quote|estimate|proposal|pricing|price sheet|information|info|brochure)",
    r"(?:email|e-mail|text) (?:me |you |us )?(?:the |a )?(?:quote|estimate|proposal|pricing)",
    r"enviar(?:le|me|nos)? (?:la |una )?(?:cotizaci[oó]n|informaci[oó]n|presupuesto)",
    r"m[aá]nde(?:me|nos) (?:la|el) (?:cotizaci[oó]n|presupuesto)",
)

_POSITIVE = _rx(
    r"\bthanks?\b", r"thank you", r"\bgreat\b", r"\bperfect\b", r"\bawesome\b",
    r"\bappreciate", r"sounds good", r"\bwonderful\b", r"\bexcellent\b", r"\bgracias\b",
    r"\bperfecto\b", r"\bexcelente\b", r"\bmuy bien\b",
)  # fmt: skip
_NEGATIVE = _rx(
    r"\bupset\b", r"\bunhappy\b", r"\bangry\b", r"\bterrible\b", r"\bfrustrat",
    r"\bdisappoint", r"\bawful\b", r"\bridiculous\b", r"\bmolest[oa]\b", r"\bp[eé]simo\b",
    r"not happy", r"\bwaste\b",
)  # fmt: skip
_SPANISH = re.compile(
    r"\b(?:que|por|para|usted|gracias|hola|cita|bueno|está|estoy|señor|señora|sí|pero|muy|"
    r"nosotros|cuando|también)\b",
    re.I,
)
_ENGLISH = re.compile(r"\b(?:the|and|you|is|to|for|my|we|it|that|this|with|can)\b", re.I)


@dataclass
class _Read:
    """The transcript as the rules read it: lines, who is staff, what each rule matched.

    Each rule scans the whole transcript once (one regex pass over the joined text, in C)
    rather than line by line: an hour of talk is a thousand lines."""

    lines: Sequence[Line]
    staff: frozenset[str]
    _text: str = ""
    _starts: list[int] = field(default_factory=list)
    _hits: dict[re.Pattern[str], frozenset[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        parts, position = [], 0
        for line in self.lines:
            self._starts.append(position)
            flat = line.text.replace("\n", " ").lower()
            parts.append(flat)
            position += len(flat) + 1
        self._text = "\n".join(parts)

    def hits(self, pattern: re.Pattern[str]) -> frozenset[int]:
        """The indexes of the lines `pattern` matches."""
        found = self._hits.get(pattern)
        if found is None:
            found = frozenset(
                bisect_right(self._starts, match.start()) - 1
                for match in pattern.finditer(self._text)
            )
            self._hits[pattern] = found
        return found

    def is_staff(self, line: Line) -> bool:
        return line.speaker.lower() in self.staff

    def customer(self) -> list[Line]:
        return [line for line in self.lines if not self.is_staff(line)]

    def staff_lines(self) -> list[Line]:
        return [line for line in self.lines if self.is_staff(line)]


def _staff_speakers(request: AnalysisRequest) -> frozenset[str]:
    speakers = list(dict.fromkeys(line.speaker.lower() for line in request.lines))
    staff = {s for s in speakers if s in request.staff_speakers}
    for speaker in speakers:
        words = set(re.split(r"[\s_\-]+", speaker))
        if words & _STAFF_LABELS:
            staff.add(speaker)
    if staff or any(set(re.split(r"[\s_\-]+", s)) & _CUSTOMER_LABELS for s in speakers):
        return frozenset(staff)
    for line in request.lines[:6]:
        if _STAFF_WORDS.search(line.text.lower()):
            return frozenset({line.speaker.lower()})
    # Nobody named: whoever speaks first answered the phone (or runs the visit).
    return frozenset(speakers[:1])


def _matching(read: _Read, lines: Iterable[Line], pattern: re.Pattern[str]) -> list[Line]:
    hits = read.hits(pattern)
    return [line for line in lines if line.index in hits]


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _due_near(read: _Read, line: Line, window: int = 2) -> tuple[str | None, list[Line]]:
    """The time words of `line`, or of the next few lines (the answer to "when?")."""
    for candidate in read.lines[line.index : line.index + window + 1]:
        found = find_due_words(candidate.text)
        if found is not None:
            cited = [line] if candidate is line else [line, candidate]
            return found.words, cited
    return None, [line]


class BuiltinAnalyser:
    name = MODEL_NAME

    async def analyse(self, request: AnalysisRequest) -> AnalysisAnswer:
        return AnalysisAnswer(analyse_lines(request), MODEL_NAME, Usage(estimated=True))


def analyse_lines(request: AnalysisRequest) -> Findings:
    read = _Read(request.lines, _staff_speakers(request))
    name = request.contact_name or "the customer"
    language = _language(request.lines)  # what was said, whatever the import claimed
    customer = read.customer()
    visit = request.kind == SourceKind.recording

    wrong = _matching(read, read.lines[:8], _WRONG_NUMBER)
    complaint = _matching(read, customer, _COMPLAINT)
    if wrong:
        return _wrong_number(wrong, language)

    objections = _objections(read, customer)
    steps: list[NextStep] = []
    call_backs = _call_backs(read, name, visit)
    if complaint:
        # Whoever calls back about a complaint resolves it: one task, the managers'.
        promised = call_backs[0] if call_backs else None
        call_backs = []
        steps.append(
            NextStep(
                kind=StepKind.resolve_complaint,
                title=_clip(f"Resolve {name}'s complaint: {complaint[0].text}", 200),
                owner=Owner.manager,
                due=promised.due if promised else None,
                priority=TaskPriority.high,
                lines=sorted(
                    {c.index for c in complaint[:20]} | set(promised.lines if promised else [])
                ),
            )
        )
    steps += _one_call_back(call_backs, _follow_ups(read, name, visit, objections), objections)
    steps += _documents(read, name, visit)

    booked = _matching(read, read.staff_lines() or read.lines, _BOOKED)
    sold = _matching(read, customer, _SOLD) if visit else []
    refused = _matching(read, customer, _REFUSED)
    outcome, outcome_lines = _booking(visit, booked, sold, refused, steps, objections, complaint)
    if visit and outcome == BookingOutcome.sold:
        steps.append(
            NextStep(
                kind=StepKind.schedule,
                title=f"Schedule the installation for {name}",
                owner=Owner.csr,
                priority=TaskPriority.high,
                lines=[line.index for line in sold[:3]],
            )
        )

    intent, intent_lines = _intent(read, complaint, visit)
    sentiment, sentiment_lines = _sentiment(read, customer, complaint)
    summary_lines = sorted({*intent_lines[:2], *outcome_lines[:2]})
    return Findings(
        summary=_summary(name, visit, intent, outcome, objections, steps),
        summary_lines=Citation(lines=summary_lines),
        sentiment=sentiment,
        sentiment_lines=Citation(lines=sentiment_lines[:10]),
        intent=intent,
        intent_lines=Citation(lines=intent_lines[:10]),
        objections=objections,
        booking_outcome=outcome,
        booking_lines=Citation(lines=outcome_lines[:10]),
        next_steps=steps[:20],
        language=language,
    )


def _wrong_number(lines: list[Line], language: str) -> Findings:
    cited = [line.index for line in lines[:5]]
    return Findings(
        summary="Wrong number: the caller was not looking for us. Nothing to follow up.",
        summary_lines=Citation(lines=cited),
        sentiment=Sentiment.neutral,
        intent="wrong_number",
        intent_lines=Citation(lines=cited),
        booking_outcome=BookingOutcome.not_applicable,
        booking_lines=Citation(lines=cited),
        language=language,
    )


def _objections(read: _Read, customer: list[Line]) -> list[Objection]:
    found = []
    for kind, pattern in _OBJECTIONS:
        lines = _matching(read, customer, pattern)
        if lines:
            found.append(
                Objection(
                    kind=kind,
                    detail=_clip(lines[0].text, 300),
                    lines=[line.index for line in lines[:20]],
                )
            )
    return found


def _call_backs(read: _Read, name: str, visit: bool) -> list[NextStep]:
    asked = _matching(read, read.lines, _CALL_BACK)
    if not asked:
        return []
    first = asked[0]
    due, cited = _due_near(read, first)
    by_customer = any(not read.is_staff(line) for line in asked)
    title = f"Call back {name}" + (f" {due}" if due else "")
    return [
        NextStep(
            kind=StepKind.call_back,
            title=_clip(title, 200),
            owner=Owner.rep if visit else Owner.csr,
            due=due,
            priority=TaskPriority.high if by_customer else TaskPriority.medium,
            lines=[line.index for line in cited],
        )
    ]


def _one_call_back(
    call_backs: list[NextStep], follow_ups: list[NextStep], objections: list[Objection]
) -> list[NextStep]:
    """A call-back and a check-back are one task for one person: the call-back, saying
    why when the customer is deciding with their spouse."""
    if not call_backs or not follow_ups:
        return call_backs + follow_ups
    call_back, follow_up = call_backs[0], follow_ups[0]
    title = call_back.title
    if any(o.kind == ObjectionKind.spouse for o in objections):
        title += " (deciding with their spouse)"
    merged = call_back.model_copy(
        update={
            "title": _clip(title, 200),
            "due": call_back.due or follow_up.due,
            "lines": sorted(set(call_back.lines) | set(follow_up.lines)),
        }
    )
    return [merged]


def _follow_ups(read: _Read, name: str, visit: bool, objections: list[Objection]) -> list[NextStep]:
    said = _matching(read, read.lines, _FOLLOW_UP)
    spouse = next((o for o in objections if o.kind == ObjectionKind.spouse), None)
    if not said and spouse is None:
        return []
    anchor = said[0] if said else read.lines[spouse.lines[0]]  # type: ignore[union-attr]
    due, cited = _due_near(read, anchor)
    if due is None and spouse is not None:
        due, cited = _due_near(read, read.lines[spouse.lines[0]], window=3)
    lines = {line.index for line in cited} | set(spouse.lines[:3] if spouse else [])
    if spouse is not None:
        title = f"{name} is deciding with their spouse: check back" + (f" {due}" if due else "")
    else:
        title = f"Follow up with {name}" + (f" {due}" if due else "")
    return [
        NextStep(
            kind=StepKind.follow_up,
            title=_clip(title[0].upper() + title[1:], 200),
            owner=Owner.rep if visit else Owner.csr,
            due=due,
            priority=TaskPriority.medium,
            lines=sorted(lines),
        )
    ]


def _due_in_sentence(line: Line, pattern: re.Pattern[str]) -> str | None:
    """The time words of the sentence that asks for a document: elsewhere on the line a
    time is usually the appointment's ("Thursday at 10 is fine. Can you email the quote?")."""
    for sentence in re.split(r"(?<=[.!?¿])\s+", line.text):
        if pattern.search(sentence.lower()):
            found = find_due_words(sentence)
            return found.words if found else None
    return None


def _documents(read: _Read, name: str, visit: bool) -> list[NextStep]:
    steps = []
    contract = _matching(read, read.lines, _SEND_CONTRACT)
    if contract:
        due, cited = _due_in_sentence(contract[0], _SEND_CONTRACT), [contract[0]]
        steps.append(
            NextStep(
                kind=StepKind.send_contract,
                title=f"Send the contract to {name}",
                owner=Owner.rep if visit else Owner.csr,
                due=due,
                priority=TaskPriority.high,
                lines=[line.index for line in cited],
            )
        )
    quote = _matching(read, read.lines, _SEND_QUOTE)
    if quote:
        due, cited = _due_in_sentence(quote[0], _SEND_QUOTE), [quote[0]]
        steps.append(
            NextStep(
                kind=StepKind.send_quote,
                title=f"Send the quote to {name}",
                owner=Owner.rep if visit else Owner.csr,
                due=due,
                priority=TaskPriority.medium,
                lines=[line.index for line in cited],
            )
        )
    return steps


def _booking(
    visit: bool,
    booked: list[Line],
    sold: list[Line],
    refused: list[Line],
    steps: list[NextStep],
    objections: list[Objection],
    complaint: list[Line],
) -> tuple[BookingOutcome, list[int]]:
    if visit and sold:
        return BookingOutcome.sold, [line.index for line in sold]
    if booked and not refused:
        return BookingOutcome.booked, [line.index for line in booked]
    if refused:
        outcome = BookingOutcome.not_sold if visit else BookingOutcome.not_booked
        return outcome, [line.index for line in refused]
    if complaint:  # a complaint is about work done: nothing to book
        return BookingOutcome.not_applicable, [line.index for line in complaint[:3]]
    waiting = [s for s in steps if s.kind in (StepKind.call_back, StepKind.follow_up)]
    if waiting:
        return BookingOutcome.follow_up, waiting[0].lines
    if objections:
        outcome = BookingOutcome.not_sold if visit else BookingOutcome.not_booked
        return outcome, objections[0].lines
    return BookingOutcome.not_booked if not visit else BookingOutcome.follow_up, []


def _intent(read: _Read, complaint: list[Line], visit: bool) -> tuple[str, list[int]]:
    if complaint:
        return "complaint", [line.index for line in complaint]
    for intent, pattern in (("reschedule", _RESCHEDULE), ("cancel", _CANCEL)):
        lines = _matching(read, read.lines, pattern)
        if lines:
            return intent, [line.index for line in lines]
    if visit:
        return "in_home_consultation", [0] if read.lines else []
    lines = _matching(read, read.customer(), _ESTIMATE) or _matching(read, read.lines, _ESTIMATE)
    if lines:
        return "estimate_request", [line.index for line in lines]
    return "general_inquiry", [read.customer()[0].index] if read.customer() else []


def _sentiment(
    read: _Read, customer: list[Line], complaint: list[Line]
) -> tuple[Sentiment, list[int]]:
    good = _matching(read, customer, _POSITIVE)
    bad = {line.index: line for line in [*_matching(read, customer, _NEGATIVE), *complaint]}
    cited = sorted({line.index for line in good} | set(bad))
    if bad and len(bad) >= len(good):
        return (Sentiment.mixed if good else Sentiment.negative), cited
    if good and bad:
        return Sentiment.mixed, cited
    if good:
        return Sentiment.positive, cited
    return Sentiment.neutral, []


_INTENT_PHRASES = {
    "complaint": "complained",
    "reschedule": "asked to reschedule",
    "cancel": "asked to cancel",
    "estimate_request": "asked about an estimate",
    "general_inquiry": "had a question",
    "in_home_consultation": "had an in-home consultation",
}
_OUTCOME_PHRASES = {
    BookingOutcome.booked: "An appointment was booked on the call.",
    BookingOutcome.not_booked: "Nothing was booked.",
    BookingOutcome.follow_up: "No decision yet; they expect to hear back.",
    BookingOutcome.sold: "The customer agreed to go ahead.",
    BookingOutcome.not_sold: "The customer did not go ahead.",
    BookingOutcome.not_applicable: "",
}


def _summary(
    name: str,
    visit: bool,
    intent: str,
    outcome: BookingOutcome,
    objections: list[Objection],
    steps: list[NextStep],
) -> str:
    subject = name[0].upper() + name[1:]
    opening = f"{subject} {_INTENT_PHRASES.get(intent, 'called')}"
    opening += " during the visit." if visit and intent != "in_home_consultation" else "."
    parts = [opening, _OUTCOME_PHRASES[outcome]]
    if objections:
        parts.append("Objections: " + ", ".join(_OBJECTION_NAMES[o.kind] for o in objections) + ".")
    if steps:
        parts.append("Next: " + "; ".join(s.title.rstrip(".") for s in steps[:4]) + ".")
    return _clip(" ".join(p for p in parts if p), 2000)


def _language(lines: Sequence[Line]) -> str:
    sample = " ".join(line.text for line in lines[:60])
    spanish, english = len(_SPANISH.findall(sample)), len(_ENGLISH.findall(sample))
    return "es" if spanish > english else "en"
