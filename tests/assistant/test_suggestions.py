"""Suggested questions follow the user's situation right now."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from switchboard.assistant.service import suggest_questions
from switchboard.tenancy.models import Role
from tests.factories import Factory
from tests.kit.helpers import AsUser


async def test_suggestions_follow_the_situation(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, frozen_clock: Any
) -> None:
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    headers = as_user(csr)
    calm = (await client.get("/api/chat/suggestions", headers=headers)).json()["items"]
    assert 4 <= len(calm) <= 6
    assert "Which of my overdue tasks should I tackle first?" not in calm
    assert calm[0] == "What's most urgent today?"

    now = frozen_clock.now
    await factory.task(tenant, title="Late", due_at=now - timedelta(hours=5))
    contact = await factory.contact(tenant)
    await factory.appointment(tenant, contact, starts_at=now + timedelta(days=1, hours=1))
    busy = (await client.get("/api/chat/suggestions", headers=headers)).json()["items"]
    assert 4 <= len(busy) <= 6 and len(set(busy)) == len(busy)
    assert busy[0] == "Which of my overdue tasks should I tackle first?"
    assert "What appointments do I have tomorrow?" in busy
    assert (await client.get("/api/chat/suggestions")).status_code == 401


def test_suggestions_from_a_digest() -> None:
    digest = {
        "for": {"role": "manager"},
        "tasks": {"open": 7, "overdue": 2},
        "unanswered_messages": {"count": 3},
        "follow_ups_due": {"tasks": [], "leads_not_contacted": {"count": 1}},
        "appointments_today": {"count": 2},
    }
    picked = suggest_questions(digest, appointments_tomorrow=1)
    assert picked == [
        "Which of my overdue tasks should I tackle first?",
        "Which customers are waiting on a reply?",
        "Who do I need to follow up with?",
        "Help me plan my next 2 hours",
        "What appointments do I have tomorrow?",
        "What can I delegate?",
    ]
    assert len(suggest_questions({}, 0)) == 4
