"""Default models and list prices, and the cost of one call from its token usage.

Prices are USD per million tokens, short-prompt band (frontdesk bounds its prompts far below
the 100K/272K-token thresholds where Haiku 5.5 and OpenAI bill more). Each row says when it was
taken; operators override or add rows with FRONTDESK_PRICES_JSON.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from agents.errors import ConfigurationError
from agents.models.base import Usage

log = logging.getLogger(__name__)

# Chosen 2026-11-25 from the model lists in anthropic 2.14.0 and openai 3.57.0 and the vendors'
# model pages: the newest generally available, non-deprecated cheap and strong model of each.
# claude-sonnet-4-5 retires 2026-11-30 and gpt-5 / o3 on 2026-12-11, gpt-4.1 / gpt-4o on
# 2027-01-14, so none of those may be a default.
DEFAULT_MODELS: Mapping[str, Mapping[str, str]] = {
    "anthropic": {"fast": "claude-haiku-5-5", "strong": "claude-sonnet-5-5"},
    "openai": {"fast": "gpt-6-luna", "strong": "gpt-6.2-sol"},
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Price:
    """USD per million tokens for each way a vendor bills tokens, and when it was read."""

    input: float
    output: float
    cache_write: float
    cache_read: float
    as_of: str = ""


# Anthropic cache writes are the 5-minute TTL rate (what cache_control "ephemeral" buys);
# OpenAI cache writes are the 30-minute rate. `as_of` is the date each price took effect (or,
# when unknown, the date it was read); all were checked against the vendors' model and pricing
# pages on 2026-11-25.
DEFAULT_PRICES: Mapping[str, Price] = {
    "claude-haiku-5-5": Price(
        input=0.10, output=0.50, cache_write=0.125, cache_read=0.01, as_of="2026-10-07"
    ),
    "claude-sonnet-5-5": Price(
        input=2.00, output=10.00, cache_write=2.50, cache_read=0.20, as_of="2026-10-07"
    ),
    "claude-opus-5-5": Price(
        input=4.00, output=20.00, cache_write=5.00, cache_read=0.20, as_of="2026-09-22"
    ),
    "claude-sonnet-5": Price(
        input=2.00, output=10.00, cache_write=2.50, cache_read=0.20, as_of="2026-09-28"
    ),
    "claude-opus-5": Price(
        input=5.00, output=25.00, cache_write=6.25, cache_read=0.50, as_of="2026-09-22"
    ),
    "claude-haiku-4-5": Price(
        input=1.00, output=5.00, cache_write=1.25, cache_read=0.10, as_of="2026-06-01"
    ),
    "claude-sonnet-4-6": Price(
        input=3.00, output=15.00, cache_write=3.75, cache_read=0.30, as_of="2026-06-01"
    ),
    "gpt-6-luna": Price(
        input=0.10, output=0.50, cache_write=0.125, cache_read=0.01, as_of="2026-09-22"
    ),
    "gpt-6.1-terra": Price(
        input=1.00, output=5.00, cache_write=1.25, cache_read=0.05, as_of="2026-10-26"
    ),
    "gpt-6.2-sol": Price(
        input=2.00, output=10.00, cache_write=2.50, cache_read=0.10, as_of="2026-11-25"
    ),
    "gpt-6.1-sol": Price(
        input=2.00, output=10.00, cache_write=2.50, cache_read=0.10, as_of="2026-09-29"
    ),
    "gpt-6-sol": Price(
        input=2.00, output=10.00, cache_write=2.50, cache_read=0.20, as_of="2026-09-22"
    ),
}

# Vendors answer with dated snapshots ("gpt-6.2-sol-2026-11-18", "claude-haiku-4-5-20251001").
_DATE_SUFFIX = re.compile(r"-(?:\d{8}|\d{4}-\d{2}-\d{2})$")


class PriceTable:
    """Looks up a model's price (exact name, then without a date suffix) and costs a call."""

    def __init__(self, prices: Mapping[str, Price] = DEFAULT_PRICES) -> None:
        self._prices = dict(prices)
        self._unpriced: set[str] = set()

    def price(self, model: str) -> Price | None:
        """The model's price, or None when the table does not know it."""
        return self._prices.get(model) or self._prices.get(_DATE_SUFFIX.sub("", model))

    def cost(self, model: str, usage: Usage) -> float:
        """USD for one call; an unknown model costs 0 and is logged once, loudly."""
        price = self.price(model)
        if price is None:
            if model not in self._unpriced:
                self._unpriced.add(model)
                log.warning(
                    "no price for model %r; its calls are costed at $0 "
                    "(add it to FRONTDESK_PRICES_JSON)",
                    model,
                )
            return 0.0
        total = (
            usage.input_tokens * price.input
            + usage.output_tokens * price.output
            + usage.cache_write_tokens * price.cache_write
            + usage.cache_read_tokens * price.cache_read
        )
        return total / 1_000_000


def load_prices(overrides_json: str | None) -> PriceTable:
    """The default table with FRONTDESK_PRICES_JSON rows laid over it.

    The JSON maps a model to any of "input", "output", "cache_write", "cache_read", "as_of";
    a known model keeps the fields not given, a new model must give the four prices.
    """
    prices = dict(DEFAULT_PRICES)
    if not overrides_json:
        return PriceTable(prices)
    try:
        rows = json.loads(overrides_json)
        if not isinstance(rows, dict):
            raise TypeError("expected an object of model -> prices")
        for model, row in rows.items():
            if not isinstance(row, dict):
                raise TypeError(f"{model}: expected an object")
            base = prices.get(model)
            fields = {
                key: row[key]
                for key in ("input", "output", "cache_write", "cache_read")
                if key in row
            }
            values = {key: float(value) for key, value in fields.items()}
            if any(value < 0 for value in values.values()):
                raise ValueError(f"{model}: prices cannot be negative")
            as_of = str(row.get("as_of", "override"))
            if base is not None:
                prices[model] = replace(base, **values, as_of=as_of)
            else:
                prices[model] = Price(**values, as_of=as_of)
    except (ValueError, TypeError, KeyError) as exc:
        raise ConfigurationError(f"FRONTDESK_PRICES_JSON: not a valid price table: {exc}") from exc
    return PriceTable(prices)
