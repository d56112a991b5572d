"""Business hours: whether the team is in for a customer's country, and when it is back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agents.errors import ConfigurationError
from handoffs.hours import BusinessHours, country_of
from handoffs.phrases import escalation_notice

MEXICO = "+5215512345678"
BRAZIL = "+5511987654321"


def test_country_of_a_number() -> None:
    assert [country_of(p) for p in (MEXICO, BRAZIL, "+593991234567", "+14155238886")] == [
        "MX", "BR", "EC", "US",
    ]  # fmt: skip
    assert country_of(None) is None and country_of("+999") is None


def test_open_on_a_weekday_afternoon_in_mexico_city() -> None:
    hours = BusinessHours()
    # Tuesday 2026-12-01 20:00 UTC is 14:00 in Mexico City.
    assert hours.back_at(datetime(2026, 12, 1, 20, 0, tzinfo=UTC), MEXICO) is None


def test_after_hours_the_team_is_back_next_morning_in_local_time() -> None:
    hours = BusinessHours()
    # Tuesday 23:30 in São Paulo (02:30 UTC Wednesday): back Wednesday 09:00 local.
    back = hours.back_at(datetime(2026, 12, 2, 2, 30, tzinfo=UTC), BRAZIL)
    assert back is not None
    assert (back.isoformat(), str(back.tzinfo)) == (
        "2026-12-02T09:00:00-03:00",
        "America/Sao_Paulo",
    )


def test_weekends_and_holidays_are_skipped() -> None:
    hours = BusinessHours()
    # Thursday 2026-12-24 19:00 in Mexico City: Friday is Christmas, so back Monday the 28th.
    back = hours.back_at(datetime(2026, 12, 25, 1, 0, tzinfo=UTC), MEXICO)
    assert back is not None and back.date().isoformat() == "2026-12-28"
    assert back.hour == 9


def test_hours_per_country_and_one_off_holidays_are_settings() -> None:
    hours = BusinessHours(
        '{"default": "UTC mon-sun 00:00-23:59", "BR": "America/Sao_Paulo sat-sun 10:00-14:00"}',
        '{"BR": ["2026-12-05"]}',
    )
    # Friday 2026-12-04 noon in São Paulo: the Brazilian team works weekends only, and
    # Saturday the 5th is a holiday there.
    back = hours.back_at(datetime(2026, 12, 4, 15, 0, tzinfo=UTC), BRAZIL)
    assert back is not None and back.isoformat() == "2026-12-06T10:00:00-03:00"
    assert hours.back_at(datetime(2026, 12, 4, 15, 0, tzinfo=UTC), MEXICO) is None


@pytest.mark.parametrize(
    ("hours", "holidays"),
    [
        ('{"default": "Mars/Olympus mon-fri 09:00-18:00"}', "{}"),
        ('{"default": "UTC someday 09:00-18:00"}', "{}"),
        ('{"MX": "UTC mon-fri 09:00-18:00"}', "{}"),
        ("not json", "{}"),
    ],
)
def test_bad_hours_name_the_setting(hours: str, holidays: str) -> None:
    with pytest.raises(ConfigurationError, match="FRONTDESK_BUSINESS_HOURS"):
        BusinessHours(hours, holidays)


def test_the_notice_gives_the_usual_wait_or_when_the_team_is_back() -> None:
    hours = BusinessHours()
    friday_night = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)  # Friday 20:00 in Mexico City
    back = hours.back_at(friday_night, MEXICO)
    assert escalation_notice("es", back_at=back, wait_minutes=20).endswith(
        "te responderá por aquí cuando volvamos, el lunes a las 09:00."
    )
    assert escalation_notice("pt", back_at=back, wait_minutes=20).endswith(
        "quando voltarmos, na segunda-feira às 09:00."
    )
    assert escalation_notice("en", back_at=back, wait_minutes=20).endswith(
        "when we're back, Monday at 09:00."
    )
    assert "menos de 20 minutos" in escalation_notice("es", back_at=None, wait_minutes=20)
