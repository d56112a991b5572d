"""Picks the desk for a new topic: cheap keyword rules first, the fast model when unsure."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from agents.errors import ModelError
from agents.intents import DESKS, classify_desk
from agents.models.base import ModelProvider, ModelRequest, ToolSpec, UserText
from storage.records import StepRecord

log = logging.getLogger(__name__)

ROUTER_PROMPT = (
    "You route customer messages for a telecom provider to one desk. "
    "sales: plans, prices, new service, upgrades. support: internet or phone not working, "
    "outages, equipment, tickets. billing: invoices, payments, balances, refunds. "
    "Call exactly one transfer tool; never answer the customer yourself."
)


def transfer_tool(desk: str) -> ToolSpec:
    """The `transfer_to_<desk>` tool as models see it."""
    return ToolSpec(
        name=f"transfer_to_{desk}",
        description=f"Hand the conversation to the {desk} desk. Use when the topic belongs there.",
        parameters={
            "type": "object",
            "properties": {
                "reason": {"type": "string", "description": "Why, in a few words, for the desk."}
            },
            "required": ["reason"],
        },
    )


ESCALATE_TOOL = ToolSpec(
    name="escalate_to_human",
    description=(
        "Pass the conversation to a person on the team. Use when the customer asks for a "
        "person, or when you cannot help."
    ),
    parameters={
        "type": "object",
        "properties": {"reason": {"type": "string", "description": "Why a person is needed."}},
        "required": ["reason"],
    },
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteDecision:
    """Which desk takes a topic, how that was decided, and the step that records it."""

    desk: str
    reason: str
    step: StepRecord


class Router:
    """Language-aware front door: rules in any of the three languages, then the model."""

    def __init__(self, provider: ModelProvider, *, default_desk: str = "support") -> None:
        self.provider = provider
        self.default_desk = default_desk
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
            system=ROUTER_PROMPT,
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
        desk = next(
            (
                call.name.removeprefix("transfer_to_")
                for call in response.tool_calls
                if call.name.removeprefix("transfer_to_") in DESKS
            ),
            None,
        )
        method = "model" if desk else "default"
        chosen = desk or self.default_desk
        decision = self._decision(chosen, method, f"{method}: {chosen}", language)
        step = StepRecord(
            kind="route",
            agent="router",
            model=response.model,
            input={"method": method, "language": language},
            output={"desk": chosen, "text": response.text},
            input_tokens=response.usage.input_tokens,
            output_tokens=response.usage.output_tokens,
            cache_write_tokens=response.usage.cache_write_tokens,
            cache_read_tokens=response.usage.cache_read_tokens,
            cost_usd=response.cost_usd,
            latency_ms=(time.perf_counter() - started) * 1000,
        )
        return RouteDecision(desk=decision.desk, reason=decision.reason, step=step)

    @staticmethod
    def _decision(desk: str, method: str, reason: str, language: str) -> RouteDecision:
        step = StepRecord(
            kind="route",
            agent="router",
            input={"method": method, "language": language},
            output={"desk": desk},
        )
        return RouteDecision(desk=desk, reason=reason, step=step)
