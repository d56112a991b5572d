"""Picks the desk for a new topic: cheap keyword rules first, the fast model when unsure."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from agents.desks import ROUTER_INSTRUCTIONS
from agents.errors import ModelError
from agents.intents import DESKS, classify_desk
from agents.models.base import ModelProvider, ModelRequest, UserText
from handoffs.contract import transfer_target, transfer_tool
from handoffs.steps import model_step
from storage.records import StepRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteDecision:
    """Which desk takes a topic, how that was decided, and the step that records it."""

    desk: str
    reason: str
    step: StepRecord


class Router:
    """Language-aware front door: rules in any of the three languages, then the model."""

    def __init__(
        self,
        provider: ModelProvider,
        *,
        default_desk: str = "support",
        instructions: str = ROUTER_INSTRUCTIONS,
    ) -> None:
        self.provider = provider
        self.default_desk = default_desk
        self.instructions = instructions
        self._tools = tuple(transfer_tool(desk) for desk in DESKS)

    async def route(self, text: str, language: str) -> RouteDecision:
        """Choose the desk for `text`."""
        guess = classify_desk(text)
        if guess.confident and guess.desk is not None:
            return self._decision(guess.desk, "rules", f"keywords: {guess.desk}", language)
        started = time.perf_counter()
        request = ModelRequest(
            agent="router",
            tier="fast",
            system=self.instructions,
            transcript=(UserText(text=text[:2000]),),
            tools=self._tools,
            language=language,
            max_output_tokens=100,
        )
        try:
            response = await self.provider.respond(request)
        except ModelError as exc:
            log.warning("router model failed, using default desk: %s", exc)
            return self._decision(self.default_desk, "default", f"model failed: {exc}", language)
        targets = (transfer_target(call.name) for call in response.tool_calls)
        desk = next((target for target in targets if target in DESKS), None)
        method = "model" if desk else "default"
        chosen = desk or self.default_desk
        step = model_step(
            kind="route",
            agent="router",
            response=response,
            started=started,
            input={"method": method, "language": language},
            output={"desk": chosen, "text": response.text},
        )
        return RouteDecision(desk=chosen, reason=f"{method}: {chosen}", step=step)

    @staticmethod
    def _decision(desk: str, method: str, reason: str, language: str) -> RouteDecision:
        step = StepRecord(
            kind="route",
            agent="router",
            input={"method": method, "language": language},
            output={"desk": desk},
        )
        return RouteDecision(desk=desk, reason=reason, step=step)
