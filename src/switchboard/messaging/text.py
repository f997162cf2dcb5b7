"""What every inbox path does to a message's text and to a person's address: text without
NUL, the one-line preview a list shows, and the number a person is known by."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from switchboard.kit.phone import try_normalize_phone
from switchboard.tenancy.models import WHATSAPP_PREFIX


def bare_address(address: str) -> str:
    """`whatsapp:+15551234567` -> `+15551234567`: the number a contact card is found by."""
    return address[len(WHATSAPP_PREFIX) :] if address.startswith(WHATSAPP_PREFIX) else address


@functools.lru_cache(maxsize=65_536)
def person_number(address: str) -> str:
    """The number a person is known by: E.164 when it parses. Cached: customers write again
    and again from the same few numbers, and libphonenumber's parse costs more than a
    webhook's whole session lookup."""
    bare = bare_address(address.strip())
    return try_normalize_phone(bare) or bare


def clean_text(value: str) -> str:
    """PostgreSQL text cannot hold NUL; nothing a customer meant was ever in one."""
    return value.replace("\x00", "")


def preview_of(body: str, media: Sequence[object]) -> str:
    text = " ".join(body.split())
    if not text and media:
        text = f"[{len(media)} attachment{'s' if len(media) > 1 else ''}]"
    return text[:200]
