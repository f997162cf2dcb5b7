"""When a reminder goes and what it says, as pure rules: quiet hours (later, earlier, not at
all), the offsets, how soon it reads, and the placeholders a template may use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from switchboard.appointment_texts.schedule import (
    QuietHours,
    offset_label,
    plan_reminder,
    render,
    starts_in,
    template_fields,
    text_values,
)

CHICAGO = ZoneInfo("America/Chicago")
QUIET = QuietHours.of("21:00", "08:00")
NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)  # 09:00 in Chicago


def local(day: int, clock: str) -> datetime:
    hour, minute = map(int, clock.split(":"))
    return datetime(2026, 11, day, hour, minute, tzinfo=CHICAGO).astimezone(UTC)


def plan(starts: datetime, offset: int, *, now: datetime = NOW, booked: datetime | None = None):  # type: ignore[no-untyped-def]
    return plan_reminder(
        starts, offset, now=now, booked_at=booked or now - timedelta(days=3), quiet=QUIET,
        zone=CHICAGO,
    )  # fmt: skip


def test_a_reminder_outside_quiet_hours_goes_at_its_offset() -> None:
    starts = local(23, "14:00")
    assert plan(starts, 24 * 60).due_at == local(22, "14:00")
    assert plan(starts, 60).due_at == local(23, "13:00")


def test_a_reminder_in_quiet_hours_goes_when_they_end_if_that_is_before_the_appointment() -> None:
    # 08:30: the hour-before reminder would be 07:30, in quiet hours; 08:00 is still before.
    assert plan(local(23, "08:30"), 60).due_at == local(23, "08:00")
    # 07:30 the day before: quiet; it goes at 08:00 that day, long before the appointment.
    assert plan(local(23, "07:30"), 24 * 60).due_at == local(22, "08:00")


def test_else_just_before_quiet_hours_began() -> None:
    # 07:00: the reminder at 06:00 cannot wait for 08:00; it goes at 20:59 the evening before.
    assert plan(local(23, "07:00"), 60).due_at == local(22, "20:59")


def test_else_not_at_all_and_it_says_why() -> None:
    # Now is 22:00 (quiet), the appointment is at 07:00: 20:59 has passed, 08:00 is too late.
    result = plan(local(23, "07:00"), 60, now=local(22, "22:00"))
    assert result.due_at is None
    assert result.reason is not None and "quiet hours (21:00\u201308:00)" in result.reason


def test_a_reminder_whose_time_has_passed_or_that_the_confirmation_covers_is_not_planned() -> None:
    starts = NOW + timedelta(hours=5)
    passed = plan(starts, 24 * 60)
    assert passed.due_at is None and "its time has passed" in (passed.reason or "")
    soon = plan(NOW + timedelta(minutes=80), 60, booked=NOW)  # due 20 minutes after booking
    assert soon.due_at is None and "confirmation" in (soon.reason or "")


def test_quiet_hours_within_one_day_and_none() -> None:
    lunch = QuietHours.of("12:00", "13:00")
    assert lunch is not None
    assert lunch.window_at(local(23, "12:30"), CHICAGO) == (local(23, "12:00"), local(23, "13:00"))
    assert lunch.window_at(local(23, "13:00"), CHICAGO) is None
    assert QuietHours.of(None, None) is None and QuietHours.of("09:00", "09:00") is None


def test_offsets_read_as_people_say_them() -> None:
    assert [offset_label(m) for m in (1440, 60, 90, 30)] == ["24 h", "1 h", "1 h 30 min", "30 min"]


def test_how_soon_reads_from_when_the_text_goes() -> None:
    starts = local(23, "14:00")
    assert starts_in(starts - timedelta(minutes=60), starts, CHICAGO) == "in 1 hour"
    assert starts_in(starts - timedelta(minutes=57), starts, CHICAGO) == "in 1 hour"
    assert starts_in(starts - timedelta(minutes=30), starts, CHICAGO) == "in 30 minutes"
    assert starts_in(starts - timedelta(hours=3), starts, CHICAGO) == "in 3 hours"
    assert starts_in(local(23, "06:00"), starts, CHICAGO) == "today"
    assert starts_in(local(22, "14:00"), starts, CHICAGO) == "tomorrow"
    assert starts_in(local(20, "14:00"), starts, CHICAGO) == "in 3 days"


def test_the_default_reminder_in_the_companys_time() -> None:
    starts = local(23, "14:00")
    values = text_values(
        now=starts - timedelta(hours=1), starts_at=starts, zone=CHICAGO, company="Summit Roofing",
        first_name=None, name="Pat Lee", rep="Rita Rep", address=None,
    )  # fmt: skip
    body = render(
        "Reminder: your appointment with {company} is {starts_in}, {date} at {time}. "
        "{rep} will see you, {first_name}.",
        values,
    )
    assert body == (
        "Reminder: your appointment with Summit Roofing is in 1 hour, Monday, November 23 at "
        "2:00 PM. Rita will see you, there."
    )


@pytest.mark.parametrize(
    "template", ["Hi {nmae}", "Hi {company.__class__}", "Hi {company!r}", "Hi {company:>99}", "{"]
)
def test_a_template_uses_only_our_placeholders(template: str) -> None:
    with pytest.raises(ValueError):
        template_fields(template)


def test_braces_of_its_own_are_doubled() -> None:
    assert template_fields("{{ok}} {company}") == ["company"]
    assert render("{{ok}} {company}", {"company": "Acme"}) == "{ok} Acme"
