"""Helpers for desk-tool and offline-model tests: demo customers, one tool run, one turn."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agents.demo_backend import DemoBackend
from agents.desk_tools import desk_tools
from agents.desks import AgentSpec
from agents.knowledge import KnowledgeBase
from agents.models.base import (
    ModelRequest,
    ModelResponse,
    ToolCall,
    ToolCallItem,
    ToolResultItem,
    ToolSpec,
    TranscriptItem,
    UserText,
)
from agents.models.offline import OfflineProvider
from agents.tools import Tool, ToolContext, ToolResult
from handoffs.contract import ESCALATE, ESCALATE_TOOL, transfer_target, transfer_tool

NOW = datetime(2025, 11, 20, 15, 30, tzinfo=UTC)
MARIA = "+5215512345678"  # C-1001, Mexico: INV-1041 paid, INV-1042 open, ticket T-4412
JOAO = "+5511987654321"  # C-1002, Brazil
CARLOS = "+5218187654321"  # C-1004, Monterrey Centro, where the demo outage is
STRANGER = "+5215500000000"

DESKS = ("sales", "support", "billing")


def context(phone: str | None, language: str = "es", channel: str = "whatsapp") -> ToolContext:
    contact = f"whatsapp:{phone}" if phone else "U024BE7LH"
    return ToolContext(
        conversation_id=7, channel=channel, contact=contact, phone=phone, language=language
    )


def tool(
    desk: str, name: str, backend: DemoBackend, knowledge: KnowledgeBase, limit: float = 50.0
) -> Tool:
    tools = desk_tools(desk, backend, knowledge, refund_approval_limit=limit)
    return next(t for t in tools if t.name == name)


async def run(
    backend: DemoBackend,
    knowledge: KnowledgeBase,
    desk: str,
    tool_name: str,
    phone: str | None = MARIA,
    /,
    *,
    limit: float = 50.0,
    **arguments: Any,
) -> ToolResult:
    """Run one desk tool for `phone` with keyword arguments as the model would send them."""
    chosen = tool(desk, tool_name, backend, knowledge, limit)
    return await chosen.run(arguments, context(phone))


def tools_of(agent: AgentSpec, *, handoffs: bool = True) -> tuple[ToolSpec, ...]:
    """The agent's tools as the engine offers them: desk tools, transfers, escalation."""
    transfers = [transfer_tool(desk) for desk in DESKS if desk != agent.name]
    extra = [*transfers, ESCALATE_TOOL] if handoffs else []
    return (*(tool.spec() for tool in agent.tools), *extra)


def ask(
    agent: AgentSpec,
    *transcript: TranscriptItem,
    language: str = "es",
    tools: tuple[ToolSpec, ...] | None = None,
) -> ModelRequest:
    return ModelRequest(
        agent=agent.name,
        tier=agent.tier,
        system=agent.instructions,
        transcript=transcript,
        tools=tools_of(agent) if tools is None else tools,
        language=language,
    )


def only_call(response: ModelResponse) -> ToolCall:
    assert response.text == ""
    [call] = response.tool_calls
    return call


async def converse(
    model: OfflineProvider,
    agents: dict[str, AgentSpec],
    desk: str,
    text: str,
    *,
    phone: str = MARIA,
    language: str = "es",
) -> tuple[str, str, list[str], str | None]:
    """Drive one turn the way the engine does: run tools, follow one transfer, stop on text.

    Returns the final desk, the reply, the tools called and the escalation reason, if any.
    """
    tool_context = ToolContext(
        conversation_id=1,
        channel="whatsapp",
        contact=f"whatsapp:{phone}",
        phone=phone,
        language=language,
    )
    work: list[TranscriptItem] = []
    called: list[str] = []
    for _ in range(6):
        agent = agents[desk]
        response = await model.respond(ask(agent, UserText(text=text), *work, language=language))
        if not response.tool_calls:
            return desk, response.text, called, None
        call = only_call(response)
        called.append(call.name)
        if (target := transfer_target(call.name)) is not None:
            desk, work = target, []
            continue
        if call.name == ESCALATE:
            return desk, "", called, str(call.arguments["reason"])
        tool = next(t for t in agent.tools if t.name == call.name)
        result = await tool.run(call.arguments, tool_context)
        if result.escalate:
            return desk, "", called, result.escalate
        work += [
            ToolCallItem(calls=response.tool_calls),
            ToolResultItem(call_id=call.id, name=call.name, content=result.content),
        ]
    raise AssertionError(f"no reply after six model calls: {called}")
