"""Customers who text in Spanish: the built-in model understands the same intents, makes the
same tool calls, and answers in Spanish with only the facts the tools returned; end to
end, the auto-reply job sends that answer (the grounding check lets it through)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.ai.builtin.customer import PHRASES, Intent, understand
from switchboard.config import Settings
from switchboard.kit.db import Database
from switchboard.kit.jobs import Worker
from switchboard.kit.resources import Resources
from tests.ai.test_autoresponder import otto_replies, scene, text_in
from tests.ai.test_builtin_customer import ask, records, tasks_of, tools_called
from tests.factories import Factory

SU_CITA = (
    "Su cita (Roof inspection) es el martes 24 de noviembre a las 2:00 PM con Dana Ruiz "
    "en 123 Main St."
)


@pytest.fixture(autouse=True)
def _clock(frozen_clock: object) -> None:
    return None


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("a qué hora es mi cita?", Intent.appointment),
        ("necesito cambiar la cita para otro día", Intent.reschedule),
        ("cancelen mi cita por favor", Intent.cancel),
        ("ya viene el técnico?", Intent.eta),
        ("cuánto me cobran por un techo nuevo", Intent.price),
        ("quiero agendar una estimación", Intent.book),
        ("hola buenas", Intent.greeting),
        ("muchas gracias", Intent.thanks),
        ("hacen limpieza de canaletas?", Intent.other),
    ],
)
def test_spanish_intents(text: str, intent: Intent) -> None:
    assert understand(text) == (intent, "es")


async def test_appointment_time_in_spanish(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    found = await records(factory)
    result = await ask(session, settings, found, "Hola, ¿a qué hora es mi cita?")
    assert tools_called(result) == ["get_upcoming_appointments"]
    assert result.text == SU_CITA


async def test_reschedule_in_spanish_opens_a_task_and_claims_no_change(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    found = await records(factory)
    result = await ask(session, settings, found, "no puedo el martes, podemos cambiar la cita?")
    assert tools_called(result) == ["get_upcoming_appointments", "create_task"]
    assert result.text.startswith("Entendido. Le pedí a nuestro equipo que reprograme su cita")
    assert "martes 24 de noviembre a las 2:00 PM" in result.text
    [task] = await tasks_of(session, found.contact)
    assert task.title == "Reschedule request"  # the team's own language
    assert "The customer wrote (in Spanish)" in (task.description or "")


async def test_price_in_spanish_gives_no_numbers(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    found = await records(factory)
    result = await ask(session, settings, found, "cuánto cuesta un techo nuevo?")
    assert tools_called(result) == ["get_contact", "create_task"]
    assert result.text.startswith("¡Buena pregunta! El precio depende")
    assert "$" not in result.text and "18" not in result.text


async def test_greeting_and_booking_in_spanish(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    found = await records(factory, starts_at=None)
    hello = await ask(session, settings, found, "hola")
    assert (
        hello.text
        == "¡Hola, Pat! Gracias por escribir a Summit Roofing. ¿En qué le puedo ayudar hoy?"
    )
    asked = await ask(session, settings, found, "cuándo es mi cita?")
    assert PHRASES["es"]["booking_offer"] in asked.text
    yes = await ask(session, settings, found, "sí, por favor", before=asked.text)
    assert tools_called(yes) == ["get_contact", "create_task"]
    assert yes.text.startswith("¡Perfecto!")


async def test_what_it_cannot_answer_goes_to_a_person_in_spanish(
    session: AsyncSession, settings: Settings, factory: Factory
) -> None:
    found = await records(factory)
    result = await ask(session, settings, found, "me pueden mandar la factura por correo?")
    assert tools_called(result) == ["hand_to_human"]
    assert result.text == PHRASES["es"]["handoff"]


async def test_the_auto_reply_job_sends_the_spanish_answer(
    db: Database,
    session: AsyncSession,
    factory: Factory,
    settings: Settings,
    resources: Resources,
) -> None:
    at = await scene(factory, session)
    await text_in(session, at, "buenas tardes, a qué hora es mi cita?")
    assert await Worker(db, concurrency=1, resources=resources).drain() >= 1
    [reply] = await otto_replies(session, at)
    assert reply.body == SU_CITA
