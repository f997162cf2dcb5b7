"""Phone numbers are stored in E.164 whatever way they were typed."""

from __future__ import annotations

import pytest

from switchboard.kit.phone import normalize_phone, try_normalize_phone


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("(312) 555-0143", "+13125550143"),
        ("312.555.0143", "+13125550143"),
        (" +1 312 555 0143 ", "+13125550143"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+52 55 1234 5678", "+525512345678"),
    ],
)
def test_normalize(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["", "abc", "12", "+1 312 555 0143 999 999"])
def test_not_a_number(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_phone(raw)
    assert try_normalize_phone(raw) is None
