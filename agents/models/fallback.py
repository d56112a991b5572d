"""Two providers as one: the primary answers unless it keeps failing, then the secondary does.

A primary that gave up (its retries spent) is skipped for a cool-down, so the rest of the turn
and the next turns go straight to the secondary instead of paying the retries again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace

from agents.errors import ModelUnavailableError
from agents.models.base import ModelProvider, ModelRequest, ModelResponse

log = logging.getLogger(__name__)


class FallbackProvider:
    """Implements `ModelProvider` over a primary and a secondary provider."""

    def __init__(
        self,
        primary: ModelProvider,
        secondary: ModelProvider,
        *,
        cooldown_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary = primary
        self.secondary = secondary
        self.name = f"{primary.name}+{secondary.name}"
        self.cooldown_seconds = cooldown_seconds
        self._clock = clock
        self._primary_down_until = 0.0

    async def respond(self, request: ModelRequest) -> ModelResponse:
        """The primary's answer, else the secondary's; ModelUnavailableError when neither."""
        if self._clock() < self._primary_down_until:
            order = (self.secondary, self.primary)
        else:
            order = (self.primary, self.secondary)
        failures: list[str] = []
        last: ModelUnavailableError | None = None
        for provider in order:
            try:
                response = await provider.respond(self._for(provider, request))
            except ModelUnavailableError as exc:
                failures.append(str(exc))
                last = exc
                if provider is self.primary:
                    self._primary_down_until = self._clock() + self.cooldown_seconds
                log.warning(
                    "model provider %s failed (%s); %s",
                    provider.name,
                    exc,
                    "trying the next" if len(failures) < len(order) else "none left",
                )
                continue
            if provider is self.primary:
                self._primary_down_until = 0.0
            return response
        raise ModelUnavailableError("no model answered: " + "; ".join(failures)) from last

    def _for(self, provider: ModelProvider, request: ModelRequest) -> ModelRequest:
        # A per-agent model names one vendor's model; the secondary uses its own tier default.
        if provider is self.secondary and request.model is not None:
            return replace(request, model=None)
        return request

    async def aclose(self) -> None:
        """Close both providers' connections."""
        for provider in (self.primary, self.secondary):
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()
