"""Plain values the switchboard hands the store to write in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundRecord:
    """A customer's message as the store keeps it, whatever channel it came from."""

    channel: str
    channel_message_id: str
    sender: str
    thread_key: str
    text: str
    received_at: datetime
    sender_name: str | None = None
    phone: str | None = None
    reply_address: str | None = None
    locale: str | None = None
    timezone: str | None = None
    media: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Stored:
    """Where `store_inbound` put a message, and whether it had it already."""

    message_id: int
    conversation_id: int
    duplicate: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class StepRecord:
    """One run step as measured by the switchboard."""

    kind: str
    agent: str | None = None
    model: str | None = None
    input: dict[str, Any] | None = None
    output: dict[str, Any] | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class HandoffRecord:
    """One desk passing the conversation to another."""

    from_agent: str | None
    to_agent: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplyRecord:
    """A message to send back; it goes to the outbox."""

    author: str
    text: str
    language: str
    agent: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EscalationRecord:
    """A request for a person, with what staff need to know (`packet`: the context packet)."""

    reason: str
    summary: str
    packet: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnRecord:
    """Everything one turn changed, written at once so a crash leaves no half turn."""

    conversation_id: int
    turn_id: str
    inbound_ids: tuple[int, ...]
    inbound_status: str
    language: str
    active_agent: str | None
    inbound_languages: dict[int, str] = field(default_factory=dict)
    inbound_error: str | None = None
    steps: tuple[StepRecord, ...] = ()
    handoffs: tuple[HandoffRecord, ...] = ()
    replies: tuple[ReplyRecord, ...] = ()
    escalation: EscalationRecord | None = None
