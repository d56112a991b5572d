"""The swarm run loop: one active agent at a time, handoffs by tool call, guards in code.

A turn starts with the conversation's active agent (or the router's pick), calls the model,
runs desk tools, follows at most one `transfer_to_<desk>` per response, and ends with a reply,
an escalation, or an abort when a person took the conversation meanwhile.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agents.desks import AgentSpec
from agents.errors import BadToolCallError, ModelUnavailableError
from agents.models.base import (
    AssistantText,
    ModelProvider,
    ModelRequest,
    ModelResponse,
    ToolCall,
    ToolCallItem,
    ToolResultItem,
    ToolSpec,
    TranscriptItem,
    UserText,
)
from agents.tools import ToolContext
from handoffs.contract import ESCALATE_TOOL, HandoffBrief, transfer_target, transfer_tool
from handoffs.prompt import system_text
from handoffs.router import RouteDecision, Router
from handoffs.steps import model_step
from storage.records import EscalationRecord, HandoffRecord, StepRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class SwarmLimits:
    """Per-turn guards: exceeding either escalates instead of looping."""

    max_handoffs: int = 3
    max_model_calls: int = 8
    max_cost_per_conversation_usd: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnInput:
    """One turn of one conversation, as the swarm needs it."""

    context: ToolContext
    active_agent: str | None
    history: tuple[UserText | AssistantText, ...]
    user_text: str
    spent_usd: float = 0.0
    last_call_usd: float = 0.0
    earlier: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnResult:
    """How a turn ended and everything it did on the way."""

    agent: str | None
    pinned: bool = True  # False: the agent only answered a greeting; no desk is chosen yet
    reply: str | None = None
    escalation: EscalationRecord | None = None
    failure: str | None = None
    aborted: bool = False
    steps: tuple[StepRecord, ...] = ()
    handoffs: tuple[HandoffRecord, ...] = ()


@dataclass(slots=True)
class _Run:
    turn: TurnInput
    agent: str
    steps: list[StepRecord] = field(default_factory=list)
    handoffs: list[HandoffRecord] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    work: list[TranscriptItem] = field(default_factory=list)
    brief: HandoffBrief | None = None
    pinned: bool = True

    def result(self, **outcome: object) -> TurnResult:
        return TurnResult(
            agent=self.agent or None,
            pinned=self.pinned,
            steps=tuple(self.steps),
            handoffs=tuple(self.handoffs),
            **outcome,  # type: ignore[arg-type]
        )

    def escalate(self, reason: str, *, failure: str | None = None) -> TurnResult:
        self.steps.append(
            StepRecord(kind="escalation", agent=self.agent or None, output={"reason": reason})
        )
        summary = f"{reason}. Last customer message: {self.turn.user_text[:500]}"
        return self.result(
            escalation=EscalationRecord(reason=reason, summary=summary), failure=failure
        )

    def spent(self) -> float:
        return self.turn.spent_usd + sum(step.cost_usd for step in self.steps)

    def last_call_cost(self) -> float:
        calls = (s.cost_usd for s in reversed(self.steps) if s.kind in ("model_call", "route"))
        return next((cost for cost in calls if cost > 0), self.turn.last_call_usd)


class Swarm:
    """Runs turns over a set of desk agents sharing one model provider."""

    def __init__(
        self,
        agents: Mapping[str, AgentSpec],
        provider: ModelProvider,
        router: Router,
        limits: SwarmLimits | None = None,
    ) -> None:
        self.agents = dict(agents)
        self.provider = provider
        self.router = router
        self.limits = limits or SwarmLimits()
        # Tool schemas are fixed per agent; building them per call dominated the engine's cost.
        self._tools = {name: self._tools_for(spec) for name, spec in self.agents.items()}

    async def run(self, turn: TurnInput, still_ours: Callable[[], Awaitable[bool]]) -> TurnResult:
        """Answer one turn; `still_ours` is asked before every model call."""
        run = _Run(turn=turn, agent=turn.active_agent or "")
        try:
            return await self._run(run, still_ours)
        except ModelUnavailableError as exc:
            # No model answered: keep what the turn spent, hand the customer to a person.
            log.warning("conversation %s: %s", turn.context.conversation_id, exc)
            run.steps.append(StepRecord(kind="error", agent=run.agent, output={"error": str(exc)}))
            return run.escalate("model unavailable", failure=f"model unavailable: {exc}"[:500])

    async def _run(self, run: _Run, still_ours: Callable[[], Awaitable[bool]]) -> TurnResult:
        turn = run.turn
        language = turn.context.language
        decision: RouteDecision | None
        if run.agent not in self.agents:
            if turn.active_agent:
                log.warning(
                    "conversation %s had unknown agent %r; routing again",
                    turn.context.conversation_id,
                    turn.active_agent,
                )
                run.agent = ""
            decision = await self.router.route(turn.user_text, language)
        else:
            # The safety net: a request for a person escalates before any model runs.
            decision = self.router.screen(turn.user_text, language)
        if decision is not None:
            run.steps.append(decision.step)
            if decision.escalate:
                return run.escalate("customer asked for a person")
            if decision.desk is None:
                # A greeting or thanks names no topic: the default desk answers it, but the
                # conversation stays unassigned until a message that has one.
                run.agent, run.pinned = self.router.default_desk, False
            else:
                run.agent = decision.desk
                run.handoffs.append(
                    HandoffRecord(from_agent=None, to_agent=decision.desk, reason=decision.reason)
                )
        run.visited.append(run.agent)
        model_calls = 0
        while True:
            if model_calls >= self.limits.max_model_calls:
                return run.escalate(f"guard: more than {self.limits.max_model_calls} model calls")
            if not await still_ours():
                return run.result(aborted=True)
            if self._over_budget(run):
                return run.escalate("budget: conversation cost limit reached")
            response = await self._call_model(run)
            model_calls += 1
            if not response.tool_calls:
                reply = response.text.strip()
                run.steps.append(StepRecord(kind="reply", agent=run.agent, output={"text": reply}))
                return run.result(reply=reply)
            outcome = await self._run_tools(run, response)
            if outcome is not None:
                return outcome

    async def _call_model(self, run: _Run) -> ModelResponse:
        spec = self.agents[run.agent]
        transcript: tuple[TranscriptItem, ...] = (
            *run.turn.history,
            UserText(text=run.turn.user_text),
            *run.work,
        )
        request = ModelRequest(
            agent=spec.name,
            tier=spec.tier,
            model=spec.model,
            system=system_text(
                spec.instructions,
                run.turn.context.language,
                earlier=run.turn.earlier,
                brief=run.brief,
            ),
            transcript=transcript,
            tools=self._tools[spec.name],
            language=run.turn.context.language,
        )
        started = time.perf_counter()
        response = await self.provider.respond(request)
        run.steps.append(
            model_step(
                kind="model_call",
                agent=spec.name,
                response=response,
                started=started,
                input={"items": len(transcript), "tools": [tool.name for tool in request.tools]},
                output={
                    "text": response.text,
                    "tool_calls": [
                        {"name": call.name, "arguments": call.arguments}
                        for call in response.tool_calls
                    ],
                },
            )
        )
        return response

    def _over_budget(self, run: _Run) -> bool:
        """Whether one more call, costing what the last one did, would pass the budget."""
        budget = self.limits.max_cost_per_conversation_usd
        return budget is not None and run.spent() + run.last_call_cost() > budget

    def _tools_for(self, spec: AgentSpec) -> tuple[ToolSpec, ...]:
        handoffs = tuple(transfer_tool(desk) for desk in self.agents if desk != spec.name)
        return (*(tool.spec() for tool in spec.tools), *handoffs, ESCALATE_TOOL)

    async def _run_tools(self, run: _Run, response: ModelResponse) -> TurnResult | None:
        """Run one response's tool calls; return a result when the turn ends here."""
        target: tuple[str, str] | None = None
        escalation: str | None = None
        results: list[ToolResultItem] = []
        for call in response.tool_calls:
            reason = str(call.arguments.get("reason", "")).strip()
            if call.name == ESCALATE_TOOL.name:
                escalation = reason or "the agent asked for a person"
                break
            desk = transfer_target(call.name)
            if desk is not None:
                if target is not None:
                    results.append(_result(call, {"ignored": "one handoff per response"}, True))
                elif desk not in self.agents or desk == run.agent:
                    results.append(_result(call, {"error": f"no other desk named {desk}"}, True))
                else:
                    target = (desk, reason or f"{run.agent} handed off")
                    results.append(_result(call, {"transferred": desk}, False))
                continue
            result_item, escalate_reason = await self._run_desk_tool(run, call)
            results.append(result_item)
            if escalate_reason:
                escalation = escalate_reason
                break
        if escalation is not None:
            return run.escalate(escalation)
        if target is not None:
            return self._hand_off(run, *target)
        run.work.extend([ToolCallItem(calls=response.tool_calls, text=response.text), *results])
        return None

    async def _run_desk_tool(self, run: _Run, call: ToolCall) -> tuple[ToolResultItem, str | None]:
        spec = self.agents[run.agent]
        tool = next((tool for tool in spec.tools if tool.name == call.name), None)
        started = time.perf_counter()
        escalate: str | None = None
        if tool is None:
            content, is_error = {"error": f"{spec.name} has no tool named {call.name}"}, True
        else:
            try:
                result = await tool.run(call.arguments, run.turn.context)
                content, is_error, escalate = result.content, False, result.escalate
            except BadToolCallError as exc:
                content, is_error = {"error": str(exc)}, True
        run.steps.append(
            StepRecord(
                kind="tool_call",
                agent=spec.name,
                input={"name": call.name, "arguments": call.arguments},
                output=content,
                latency_ms=(time.perf_counter() - started) * 1000,
            )
        )
        if not is_error:
            run.known.append(f"{call.name} → {json.dumps(content, ensure_ascii=False)[:300]}")
        return _result(call, content, is_error), escalate

    def _hand_off(self, run: _Run, desk: str, reason: str) -> TurnResult | None:
        if len(run.handoffs) - _routed(run) >= self.limits.max_handoffs:
            return run.escalate(f"guard: more than {self.limits.max_handoffs} handoffs in a turn")
        if desk in run.visited:
            path = " → ".join([*run.visited, desk])
            return run.escalate(f"guard: handoff loop {path}")
        run.handoffs.append(HandoffRecord(from_agent=run.agent, to_agent=desk, reason=reason))
        run.steps.append(
            StepRecord(kind="handoff", agent=run.agent, output={"to": desk, "reason": reason})
        )
        run.brief = HandoffBrief(
            from_agent=run.agent,
            reason=reason,
            language=run.turn.context.language,
            known=tuple(run.known),
        )
        run.agent, run.pinned = desk, True
        run.visited.append(desk)
        run.work = []
        return None


def _routed(run: _Run) -> int:
    """How many of the run's handoffs were the router's pick (those are not agent handoffs)."""
    return sum(1 for handoff in run.handoffs if handoff.from_agent is None)


def _result(call: ToolCall, content: dict[str, Any], is_error: bool) -> ToolResultItem:
    return ToolResultItem(call_id=call.id, name=call.name, content=content, is_error=is_error)
