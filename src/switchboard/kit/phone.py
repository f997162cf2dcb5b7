"""Phone numbers in E.164, parsed with Google's libphonenumber."""

from __future__ import annotations

from typing import Annotated

import phonenumbers
from pydantic import AfterValidator

DEFAULT_REGION = "US"


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """'(555) 010-0123' -> '+15550100123'; ValueError when it cannot be a phone number."""
    try:
        parsed = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError("not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def try_normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str | None:
    try:
        return normalize_phone(raw, region)
    except ValueError:
        return None


PhoneNumber = Annotated[str, AfterValidator(normalize_phone)]
