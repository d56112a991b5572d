"""Sign-in throttling: after too many failures in a window, an account or a client address must
wait. Memory stays bounded: at most `max_keys` accounts and addresses are remembered, the
least recently failed forgotten first.

It lives in the process, so with several replicas each counts its own failures; that still
turns a password guesser's millions of tries into a handful per window.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable

ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20
WINDOW_SECONDS = 15 * 60
MAX_KEYS = 10_000


class SignInThrottle:
    """Counts failed sign-ins per account (email) and per client address."""

    def __init__(
        self,
        *,
        account_failures: int = ACCOUNT_FAILURES,
        address_failures: int = ADDRESS_FAILURES,
        window_seconds: float = WINDOW_SECONDS,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limits = {"account": account_failures, "address": address_failures}
        self.window_seconds = window_seconds
        self._max_keys = max_keys
        self._clock = clock
        self._failures: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()

    def wait_seconds(self, email: str, address: str) -> float:
        """How long this account or address must still wait; 0 when it may try now."""
        now = self._clock()
        waits = [0.0]
        for key in self._keys(email, address):
            failures = self._recent(key, now)
            if failures is not None and len(failures) >= self._limits[key[0]]:
                waits.append(failures[0] + self.window_seconds - now)
        return max(waits)

    def failed(self, email: str, address: str) -> None:
        """Count one failed sign-in against the account and the address."""
        now = self._clock()
        for key in self._keys(email, address):
            failures = self._failures.pop(key, None)
            if failures is None:
                failures = deque(maxlen=self._limits[key[0]])
            failures.append(now)
            self._failures[key] = failures
        while len(self._failures) > self._max_keys:
            self._failures.popitem(last=False)

    def succeeded(self, email: str) -> None:
        """A right password clears the account's failures (not the address's)."""
        self._failures.pop(("account", _account(email)), None)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float] | None:
        failures = self._failures.get(key)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window_seconds:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        return failures

    @staticmethod
    def _keys(email: str, address: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("account", _account(email)), ("address", address)


def _account(email: str) -> str:
    return email.strip().lower()[:254]
