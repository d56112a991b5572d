"""Picks the desk for a new topic: the local classifier first, the fast model when it is unsure.

The classifier also screens every message for a request to speak to a person, so that request
escalates before any model runs, whichever provider is configured.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from agents.desks import ROUTER_INSTRUCTIONS
from agents.errors import ModelError
from agents.intents import DESKS
from agents.models.base import ModelProvider, ModelRequest, UserText
from agents.routing.model import Prediction, RoutingModel, default_model
from handoffs.contract import transfer_target, transfer_tool
from handoffs.steps import model_step
from storage.records import StepRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteDecision:
    """Who takes a message and how that was decided: a desk, a person (`escalate`), or
    nobody yet (`desk` None: a greeting or thanks, no topic to route)."""

    desk: str | None
    reason: str
    step: StepRecord
    escalate: bool = False


class Router:
    """Language-aware front door: the local classifier in any of the three languages, then
    the model."""

    def __init__(
        self,
        provider: ModelProvider,
        *,
        default_desk: str = "support",
        instructions: str = ROUTER_INSTRUCTIONS,
        classifier: RoutingModel | None = None,
    ) -> None:
        self.provider = provider
        self.default_desk = default_desk
        self.instructions = instructions
        self.classifier = classifier or default_model()
        self._tools = tuple(transfer_tool(desk) for desk in DESKS)

    def screen(self, text: str, language: str) -> RouteDecision | None:
        """An escalation when the message asks for a person (sure enough to skip any model)."""
        prediction = self.classifier.predict(text)
        if not prediction.wants_human:
            return None
        return self._local(prediction, None, language, escalate=True)

    async def route(self, text: str, language: str) -> RouteDecision:
        """Choose who takes `text`: a person, a desk, or nobody yet."""
        prediction = self.classifier.predict(text)
        if prediction.wants_human:
            return self._local(prediction, None, language, escalate=True)
        if prediction.confident:
            desk = prediction.label if prediction.label in DESKS else None
            return self._local(prediction, desk, language)
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
            log.warning("router model failed, using the classifier's desk: %s", exc)
            step = _step("default", language, prediction, prediction.desk)
            return RouteDecision(desk=prediction.desk, reason=f"model failed: {exc}", step=step)
        targets = (transfer_target(call.name) for call in response.tool_calls)
        desk = next((target for target in targets if target in DESKS), None)
        method = "model" if desk else "default"
        chosen = desk or self.default_desk
        step = model_step(
            kind="route",
            agent="router",
            response=response,
            started=started,
            input={"method": method, "language": language, **_scores(prediction)},
            output={"desk": chosen, "text": response.text},
        )
        return RouteDecision(desk=chosen, reason=f"{method}: {chosen}", step=step)

    @staticmethod
    def _local(
        prediction: Prediction, desk: str | None, language: str, *, escalate: bool = False
    ) -> RouteDecision:
        label = "human" if escalate else prediction.label
        confidence = prediction.probability(label)
        reason = f"classifier: {label} ({confidence:.2f})"
        step = _step("rules", language, prediction, desk, label=label)
        return RouteDecision(desk=desk, reason=reason, step=step, escalate=escalate)


def _step(
    method: str, language: str, prediction: Prediction, desk: str | None, label: str = ""
) -> StepRecord:
    output: dict[str, object] = {"desk": desk}
    if label:
        output["label"] = label
    return StepRecord(
        kind="route",
        agent="router",
        input={"method": method, "language": language, **_scores(prediction)},
        output=output,
    )


def _scores(prediction: Prediction) -> dict[str, object]:
    """The classifier's view, kept on the route step so any decision can be inspected."""
    return {"classifier": {label: round(p, 3) for label, p in prediction.probabilities}}
