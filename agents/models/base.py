"""The one interface every model provider implements, and the values that cross it.

A provider turns a `ModelRequest` (system text, transcript items, tool specs) into a
`ModelResponse` (text and/or tool calls, plus token usage). Vendor SDK types never leave
the provider module; everything here is plain frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Tier = Literal["fast", "strong"]


@dataclass(frozen=True, slots=True, kw_only=True)
class UserText:
    """A customer's words (a burst of messages is joined into one item)."""

    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AssistantText:
    """Something an agent (or staff) already said to the customer."""

    text: str
    agent: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCall:
    """A tool the model asked for; `id` pairs it with its `ToolResultItem`."""

    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCallItem:
    """The model's tool calls within the current turn, kept so results can follow them."""

    calls: tuple[ToolCall, ...]
    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolResultItem:
    """What a tool returned, as JSON-able content."""

    call_id: str
    name: str
    content: dict[str, Any]
    is_error: bool = False


TranscriptItem = UserText | AssistantText | ToolCallItem | ToolResultItem


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolSpec:
    """A tool as the model sees it: a name, a one-paragraph description, a JSON schema.

    `hands_off_to` (a desk) and `escalates` mark the engine's handoff tools, so that a provider
    can tell them apart without knowing how they are named; vendors never see these two.
    """

    name: str
    description: str
    parameters: dict[str, Any]
    hands_off_to: str | None = None
    escalates: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelRequest:
    """One call to a model on behalf of one agent.

    `agent` is the desk the call speaks for ("sales", "support", "billing", or "router"),
    `language` the conversation's language; providers may use both for tracing, and the
    offline provider uses them to decide what to do.
    """

    agent: str
    tier: Tier
    system: str
    transcript: tuple[TranscriptItem, ...]
    tools: tuple[ToolSpec, ...] = ()
    language: str = "en"
    model: str | None = None
    max_output_tokens: int = 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Usage:
    """Token counts for one call, split the way vendors bill them."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelResponse:
    """What came back: text for the customer, tool calls, or both."""

    model: str
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0


@runtime_checkable
class ModelProvider(Protocol):
    """Anything that can answer a `ModelRequest`."""

    name: str

    async def respond(self, request: ModelRequest) -> ModelResponse:
        """Answer one request; raise `agents.errors.ModelError` when no answer can be had."""
        ...
