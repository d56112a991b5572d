"""Bounded retries for model calls, shared by the vendor providers.

The SDKs' own retries are turned off (max_retries=0): Anthropic's sleeps whatever Retry-After
says, without a cap, while a customer waits. Here every wait is capped and so is every call.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from agents.errors import ModelUnavailableError

log = logging.getLogger(__name__)

T = TypeVar("T")

# Statuses worth another try: timeouts, lock conflicts, rate limits, server errors, overload (529).
RETRY_STATUSES = frozenset({408, 409, 429})


def is_retryable_status(status: int) -> bool:
    """True for the HTTP statuses a later attempt may get past."""
    return status in RETRY_STATUSES or status >= 500


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelRetryPolicy:
    """How hard to try one model call: attempts, per-attempt timeout and capped backoff."""

    attempts: int = 3
    timeout_seconds: float = 30.0
    base_seconds: float = 0.5
    max_seconds: float = 8.0
    max_retry_after_seconds: float = 10.0

    def delay(self, retry: int, retry_after: float | None) -> float:
        """Seconds before retry number `retry` (0-based): Retry-After when given, capped."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_retry_after_seconds)
        backoff = min(self.base_seconds * 2.0**retry, self.max_seconds)
        # Jitter spreads out callers that failed together so they do not retry together.
        return backoff * random.uniform(0.75, 1.0)


class TransientError(Exception):
    """A failed attempt worth repeating; raised by providers' error mapping, never escapes."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


async def with_retries(
    attempt: Callable[[], Awaitable[T]], policy: ModelRetryPolicy, *, label: str
) -> T:
    """Run `attempt` until it succeeds or the policy gives up with ModelUnavailableError."""
    for number in range(1, policy.attempts + 1):
        try:
            return await attempt()
        except TransientError as exc:
            if number >= policy.attempts:
                raise ModelUnavailableError(
                    f"{label}: {exc.reason} (gave up after {number} attempts)"
                ) from exc
            wait = policy.delay(number - 1, exc.retry_after)
            log.warning(
                "%s: %s; retrying in %.2fs (attempt %d of %d)",
                label,
                exc.reason,
                wait,
                number + 1,
                policy.attempts,
            )
            await asyncio.sleep(wait)
    raise ModelUnavailableError(f"{label}: no attempts allowed")


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds the server asked us to wait (retry-after-ms, retry-after seconds or date)."""
    if not headers:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        return None if parsed is None else max(0.0, email.utils.mktime_tz(parsed) - time.time())
