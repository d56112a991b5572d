"""When the team is in: business hours and holidays per country, and when it is back.

Hours are written as `"<IANA zone> <days> <HH:MM>-<HH:MM>"`, e.g.
`"America/Sao_Paulo mon-fri 09:00-18:00"` or `"America/Bogota mon-sat 08:00-20:00"`, keyed by
ISO country code ("MX", "BR", ...) with "default" for everyone else. Holidays are dates,
`YYYY-MM-DD` for one day or `MM-DD` for every year.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agents.errors import ConfigurationError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_HOURS = json.dumps(
    {
        "default": "America/Mexico_City mon-fri 09:00-18:00",
        "BR": "America/Sao_Paulo mon-fri 09:00-18:00",
        "AR": "America/Argentina/Buenos_Aires mon-fri 09:00-18:00",
        "CO": "America/Bogota mon-fri 09:00-18:00",
        "CL": "America/Santiago mon-fri 09:00-18:00",
        "PE": "America/Lima mon-fri 09:00-18:00",
    }
)
DEFAULT_HOLIDAYS = json.dumps({"default": ["01-01", "05-01", "12-25"]})

_SPEC = re.compile(
    r"^(?P<zone>\S+)\s+(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+"
    r"(?P<open>\d{2}:\d{2})-(?P<close>\d{2}:\d{2})$",
    re.IGNORECASE,
)
# Calling codes of the countries frontdesk's customers write from, longest first when matched.
_COUNTRY_CODES = {
    "52": "MX", "55": "BR", "54": "AR", "57": "CO", "56": "CL", "51": "PE", "58": "VE",
    "593": "EC", "591": "BO", "595": "PY", "598": "UY", "506": "CR", "507": "PA", "502": "GT",
    "503": "SV", "504": "HN", "505": "NI", "53": "CU", "34": "ES", "351": "PT", "1": "US",
}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Hours:
    """One country's opening hours: a time zone, the open weekdays, and the daily window."""

    zone: ZoneInfo
    weekdays: frozenset[int]
    opens: time
    closes: time

    @classmethod
    def parse(cls, spec: str) -> Hours:
        """Read `"<zone> <days> <HH:MM>-<HH:MM>"`; raise ConfigurationError when malformed."""
        match = _SPEC.match(spec.strip())
        if match is None:
            raise ConfigurationError(f"FRONTDESK_BUSINESS_HOURS: cannot read {spec!r}")
        try:
            zone = ZoneInfo(match["zone"])
            first = DAYS.index(match["first"].lower())
            last = DAYS.index((match["last"] or match["first"]).lower())
            opens = time.fromisoformat(match["open"])
            # "24:00" closes at midnight: a team that is always in writes "mon-sun 00:00-24:00".
            closes = time.max if match["close"] == "24:00" else time.fromisoformat(match["close"])
        except (ValueError, ZoneInfoNotFoundError) as exc:
            raise ConfigurationError(f"FRONTDESK_BUSINESS_HOURS: {spec!r}: {exc}") from exc
        days = range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
        return cls(zone=zone, weekdays=frozenset(days), opens=opens, closes=closes)


class BusinessHours:
    """Opening hours and holidays by country; tells whether the team is in, or when it is back."""

    def __init__(self, hours: str = DEFAULT_HOURS, holidays: str = DEFAULT_HOLIDAYS) -> None:
        try:
            hours_by_country = json.loads(hours)
            holidays_by_country = json.loads(holidays)
        except ValueError as exc:
            raise ConfigurationError(f"FRONTDESK_BUSINESS_HOURS/HOLIDAYS: {exc}") from exc
        self._hours = {key.upper(): Hours.parse(spec) for key, spec in hours_by_country.items()}
        if "DEFAULT" not in self._hours:
            raise ConfigurationError('FRONTDESK_BUSINESS_HOURS: needs a "default" entry')
        self._holidays = {key.upper(): set(days) for key, days in holidays_by_country.items()}

    def back_at(self, now: datetime, phone: str | None) -> datetime | None:
        """None while the team is in for this customer's country; else when it opens next."""
        country = country_of(phone)
        hours = self._hours.get(country or "", self._hours["DEFAULT"])
        local = now.astimezone(hours.zone)
        for offset in range(0, 15):
            day = local.date() + timedelta(days=offset)
            if day.weekday() not in hours.weekdays or self._holiday(day, country):
                continue
            opens = datetime.combine(day, hours.opens, hours.zone)
            closes = datetime.combine(day, hours.closes, hours.zone)
            if offset == 0 and opens <= local < closes:
                return None
            if local < opens:
                return opens
        return None  # open every day of the next two weeks is impossible; treat as open

    def _holiday(self, day: date, country: str | None) -> bool:
        days = self._holidays.get(country or "", set()) | self._holidays.get("DEFAULT", set())
        return day.isoformat() in days or day.isoformat()[5:] in days


def country_of(phone: str | None) -> str | None:
    """The ISO country of an E.164 number, for the countries in `_COUNTRY_CODES`."""
    digits = (phone or "").lstrip("+")
    for length in (3, 2, 1):
        if (country := _COUNTRY_CODES.get(digits[:length])) is not None:
            return country
    return None
