"""One entry of a contact's timeline, whatever kind of record it is."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from switchboard.kit.schemas import Schema


class TimelineKind(StrEnum):
    call = "call"
    message = "message"
    task = "task"
    appointment = "appointment"
    recording = "recording"


class TimelineItem(Schema):
    kind: TimelineKind
    id: uuid.UUID
    at: datetime
    title: str
    status: str | None
