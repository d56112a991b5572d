"""The handoff contract: the tools agents pass a conversation with, and what the receiver is told.

Agents hand off by calling `transfer_to_<desk>` and ask for a person with `escalate_to_human`,
each with one string argument `reason` (DESIGN's contract). Everything that knows those names
reads them from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.models.base import ToolSpec

TRANSFER_PREFIX = "transfer_to_"
ESCALATE = "escalate_to_human"

_REASON = {"type": "string"}


def transfer_tool(desk: str) -> ToolSpec:
    """The `transfer_to_<desk>` tool as models see it."""
    return ToolSpec(
        name=f"{TRANSFER_PREFIX}{desk}",
        description=f"Hand the conversation to the {desk} desk. Use when the topic belongs there.",
        parameters={
            "type": "object",
            "properties": {
                "reason": {**_REASON, "description": "Why, in a few words, for the desk."}
            },
            "required": ["reason"],
        },
        hands_off_to=desk,
    )


ESCALATE_TOOL = ToolSpec(
    name=ESCALATE,
    description=(
        "Pass the conversation to a person on the team. Use when the customer asks for a "
        "person, or when you cannot help."
    ),
    parameters={
        "type": "object",
        "properties": {"reason": {**_REASON, "description": "Why a person is needed."}},
        "required": ["reason"],
    },
    escalates=True,
)


def transfer_target(tool_name: str) -> str | None:
    """The desk a `transfer_to_<desk>` call names, or None for any other tool."""
    if tool_name.startswith(TRANSFER_PREFIX):
        return tool_name.removeprefix(TRANSFER_PREFIX)
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class HandoffBrief:
    """What a receiving agent is told about why it got the conversation."""

    from_agent: str | None
    reason: str
    language: str
    known: tuple[str, ...] = ()

    def render(self) -> str:
        """The brief as a paragraph for the receiving agent's system text."""
        source = self.from_agent or "the router"
        lines = [f"You were just handed this conversation by {source}: {self.reason}."]
        if self.known:
            lines.append("Already known this turn: " + "; ".join(self.known))
        return "\n".join(lines)
