"""What Twilio's messaging error codes mean, in words a CSR can act on.

From Twilio's error dictionary; the codes a text to a customer meets in practice."""

from __future__ import annotations

MEANINGS: dict[str, str] = {
    "21211": "not a valid phone number",
    "21408": "this region is not enabled for texting",
    "21610": "the customer opted out (replied STOP)",
    "21612": "this number cannot be reached from our number",
    "21614": "not a mobile number: it cannot receive texts",
    "30001": "Twilio's queue overflowed; try again later",
    "30002": "our Twilio account is suspended",
    "30003": "unreachable: the phone is off or out of coverage",
    "30004": "blocked by the customer or their carrier",
    "30005": "unknown number: it may no longer exist",
    "30006": "a landline or a number that cannot take texts",
    "30007": "filtered by the carrier as spam",
    "30008": "the carrier did not say why",
    "30032": "our toll-free number is not verified",
    "30034": "our number is not registered for business texting (A2P 10DLC)",
    "63016": "outside WhatsApp's 24-hour window: only a template can be sent",
}


def meaning_of(code: str | None) -> str | None:
    return MEANINGS.get(code) if code else None
