from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.messaging.support import Inbox, events, inbox, simulated, use_sender_for_test

__all__ = ["events", "inbox", "simulated", "use_sender_for_test"]


OFFICE = "+13125550900"


@pytest.fixture
def at(frozen_clock: Any) -> Any:
    """`at(moment)`: pin the clock there."""

    def set_time(when: datetime) -> None:
        frozen_clock.now = when

    return set_time


@pytest.fixture
async def office(inbox: Inbox, session: AsyncSession) -> Inbox:
    """The inbox's company with an office line, in Chicago."""
    inbox.tenant.office_phone = OFFICE
    inbox.tenant.timezone = "America/Chicago"
    await session.flush()
    return inbox
