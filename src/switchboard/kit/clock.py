"""The one source of "now", replaceable in tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def utcnow() -> datetime:
    return _now()


def set_clock(now: Callable[[], datetime] | None) -> None:
    """Tests pin time with this; None restores the real clock."""
    global _now
    _now = now if now is not None else (lambda: datetime.now(UTC))
