"""Where a customer is, from their phone number, and the currency plans are sold in there.

Only the countries the demo business sells in have a currency here; an operator's backend
lists its own plans, and this only decides which of them a customer sees first or at all.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.backend import Plan

# Longest prefix first, so Portugal's +351 is not read as another country.
_COUNTRIES = (
    ("351", "PT"),
    ("52", "MX"),
    ("55", "BR"),
    ("57", "CO"),
    ("54", "AR"),
    ("56", "CL"),
    ("51", "PE"),
    ("34", "ES"),
    ("1", "US"),
)
CURRENCIES = {"MX": "MXN", "BR": "BRL", "US": "USD"}


def country_of(phone: str | None) -> str | None:
    """The ISO country of an E.164 number ("+5511…" is "BR"), or None when unknown."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return next((country for prefix, country in _COUNTRIES if digits.startswith(prefix)), None)


def plans_for(plans: Sequence[Plan], phone: str | None) -> tuple[tuple[Plan, ...], str | None]:
    """The plans sold in the customer's country (all of them when it is unknown or has none),
    and that country."""
    country = country_of(phone)
    currency = CURRENCIES.get(country or "")
    local = tuple(plan for plan in plans if plan.currency == currency)
    return (local, country) if local else (tuple(plans), None)
