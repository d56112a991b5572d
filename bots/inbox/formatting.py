"""How the pages write times, waits, money and owner states (Jinja filters and globals)."""

from __future__ import annotations

from datetime import UTC, datetime

from jinja2 import Environment

from storage.models import utcnow

STATUS_LABELS = {
    "bot": "With the bot",
    "waiting_human": "Waiting for a person",
    "with_human": "With a person",
    "closed": "Closed",
}
CHANNEL_LABELS = {"whatsapp": "WhatsApp", "slack": "Slack", "playground": "Playground"}
LANGUAGE_LABELS = {"en": "English", "es": "Spanish", "pt": "Portuguese"}
DESKS = ("sales", "support", "billing")


def aware(moment: datetime) -> datetime:
    """`moment` as aware UTC (SQLite hands back what it stored)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def iso(moment: datetime | None) -> str:
    """Machine-readable time for `<time datetime>` (the page's script shows it in local time)."""
    return "" if moment is None else aware(moment).isoformat(timespec="seconds")


def clock(moment: datetime | None, now: datetime | None = None) -> str:
    """ "14:02 UTC" today, "3 Dec 14:02 UTC" on other days."""
    if moment is None:
        return ""
    moment, now = aware(moment), now or utcnow()
    if moment.date() == now.date():
        return moment.strftime("%H:%M UTC")
    return f"{moment.day} {moment.strftime('%b %H:%M')} UTC"


def since(moment: datetime | None, now: datetime | None = None) -> str:
    """How long ago, briefly: "just now", "4 min", "2 h 5 min", "3 d"."""
    if moment is None:
        return ""
    return _span(((now or utcnow()) - aware(moment)).total_seconds())


def until(moment: datetime | None, now: datetime | None = None) -> str:
    """How long until `moment`, briefly ("5 h 10 min"); "" once it passed."""
    if moment is None:
        return ""
    seconds = (aware(moment) - (now or utcnow())).total_seconds()
    return _span(seconds, short="under a minute") if seconds > 0 else ""


def _span(seconds: float, *, short: str = "just now") -> str:
    minutes = int(max(0.0, seconds) // 60)
    if minutes < 1:
        return short
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{hours // 24} d"


def usd(amount: float | None) -> str:
    """Dollars with enough digits for a cheap model call ("$0.0012")."""
    value = amount or 0.0
    return f"${value:.2f}" if value >= 1 else f"${value:.4f}"


def contact_label(name: str | None, number: str | None) -> str:
    """ "Ana Souza · +5511987654321", or whichever of the two exists."""
    parts = [part for part in (name, number) if part]
    return " · ".join(dict.fromkeys(parts)) or "Unknown contact"


def install(env: Environment) -> None:
    """Make the filters and labels available to every template."""
    env.filters.update(
        iso=iso, clock=clock, since=since, until=until, usd=usd, contact=contact_label
    )
    env.globals.update(
        STATUS_LABELS=STATUS_LABELS,
        CHANNEL_LABELS=CHANNEL_LABELS,
        LANGUAGE_LABELS=LANGUAGE_LABELS,
        DESKS=DESKS,
    )
