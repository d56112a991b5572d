"""Tools: a name, a pydantic argument schema and an async handler the engine can run.

The engine gives every handler a `ToolContext` (who is asking, on which channel, in which
language); the handler returns JSON-able content for the model and, optionally, a reason to
escalate the conversation to a human once the tool has run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from agents.errors import BadToolCallError
from agents.models.base import ToolSpec

# Keys whose values map names to schemas; a property may well be called "title".
_NAMED_SCHEMAS = frozenset({"properties", "$defs", "definitions", "patternProperties"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolContext:
    """Who a tool runs for: the conversation, its channel and contact, phone and language."""

    conversation_id: int
    channel: str
    contact: str
    phone: str | None
    language: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolResult:
    """What a tool returns: content for the model, and an escalation reason if one is due."""

    content: dict[str, Any]
    escalate: str | None = None


Handler = Callable[[Any, ToolContext], Awaitable[ToolResult]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Tool:
    """A tool an agent may call; `parameters` validates the model's arguments."""

    name: str
    description: str
    parameters: type[BaseModel]
    handler: Handler

    def spec(self) -> ToolSpec:
        """The tool as the model sees it, with a JSON schema free of pydantic's titles."""
        schema = _without_titles(self.parameters.model_json_schema())
        return ToolSpec(name=self.name, description=self.description, parameters=schema)

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        """Validate the arguments and run the handler; bad arguments raise BadToolCallError."""
        try:
            parsed = self.parameters.model_validate(arguments)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc']) or 'arguments'}: {error['msg']}"
                for error in exc.errors()
            )
            raise BadToolCallError(f"{self.name}: invalid arguments ({problems})") from exc
        return await self.handler(parsed, context)


def _without_titles(node: Any, *, names: bool = False) -> Any:
    """Drop the auto-generated "title" keys, keeping properties that happen to be named so."""
    if isinstance(node, dict):
        return {
            key: _without_titles(value, names=key in _NAMED_SCHEMAS and not names)
            for key, value in node.items()
            if names or not (key == "title" and isinstance(value, str))
        }
    if isinstance(node, list):
        return [_without_titles(item) for item in node]
    return node
