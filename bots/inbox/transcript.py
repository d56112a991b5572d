"""A conversation's timeline as staff read it: messages by author, internal notes, changes of
owner, handoffs, and after each turn what it did (steps, tool calls, cost)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from bots.inbox.formatting import aware
from storage.models import HandoffEvent, Message, OwnershipEvent, RunStep, StaffNote

# Within one instant: the routing, then the messages and notes, then owner changes, then the
# turn's summary.
_ORDER = {"handoff": 0, "message": 1, "note": 1, "event": 2, "turn": 3}


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One run step, in a line."""

    kind: str
    title: str
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Turn:
    """What one turn did and cost."""

    turn_id: str
    steps: tuple[Step, ...]
    cost_usd: float
    input_tokens: int
    output_tokens: int
    model_calls: int
    tool_calls: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One line of the timeline. `kind`: customer, agent, staff, system (messages), note,
    event (owner changes, handoffs) or turn."""

    kind: str
    at: datetime
    who: str = ""
    text: str = ""
    status: str | None = None
    error: str | None = None
    outbound: bool = False
    media: tuple[str, ...] = ()
    turn: Turn | None = None


def timeline(
    *,
    contact_name: str | None,
    messages: Sequence[Message],
    notes: Sequence[StaffNote],
    events: Sequence[OwnershipEvent],
    handoffs: Sequence[HandoffEvent],
    steps: Sequence[RunStep],
) -> list[Entry]:
    """Everything that happened in a conversation, oldest first."""
    ranked: list[tuple[datetime, int, int, Entry]] = []

    def add(kind: str, seq: int, entry: Entry) -> None:
        ranked.append((entry.at, _ORDER[kind], seq, entry))

    for message in messages:
        add("message", message.id or 0, _message(message, contact_name))
    for note in notes:
        who = f"Internal note · {note.author_name or note.author}"
        add(
            "note",
            note.id or 0,
            Entry(kind="note", at=aware(note.created_at), who=who, text=note.text),
        )
    for event in events:
        add(
            "event",
            event.id or 0,
            Entry(kind="event", at=aware(event.created_at), text=_owner_change(event)),
        )
    for handoff in handoffs:
        add(
            "handoff",
            handoff.id or 0,
            Entry(kind="event", at=aware(handoff.created_at), text=_handoff(handoff)),
        )
    for turn_id, group in groupby(sorted(steps, key=_turn_order), key=lambda step: step.turn_id):
        turn_steps = list(group)
        at = max(aware(step.created_at) for step in turn_steps)
        add(
            "turn",
            turn_steps[0].id or 0,
            Entry(kind="turn", at=at, turn=_turn(turn_id, turn_steps)),
        )
    ranked.sort(key=lambda item: item[:3])
    return [entry for *_, entry in ranked]


def _turn_order(step: RunStep) -> tuple[datetime, str, int]:
    return aware(step.created_at), step.turn_id, step.seq


def _message(message: Message, contact_name: str | None) -> Entry:
    author = message.author
    if author == "customer":
        who = contact_name or "Customer"
    elif author == "agent":
        who = f"{(message.agent or 'bot').capitalize()} agent"
    elif author == "staff":
        who = f"{message.author_name or 'Staff'} · staff"
    else:
        who = "System"
    media = tuple(
        str(item.get("description") or item.get("kind") or "attachment")
        for item in message.media or ()
    )
    return Entry(
        kind=author if author in ("customer", "agent", "staff") else "system",
        at=aware(message.created_at),
        who=who,
        text=message.text,
        status=message.status,
        error=message.error,
        outbound=message.direction == "out",
        media=media,
    )


def _owner_change(event: OwnershipEvent) -> str:
    who = event.actor_name or event.actor
    if event.to_status == "waiting_human":
        reason = f": {event.reason}" if event.reason else ""
        return f"Escalated to a person{reason}"
    if event.to_status == "with_human":
        return f"{who} claimed the conversation"
    if event.to_status == "bot":
        return f"{who} resolved it; back with the bot"
    if event.to_status == "closed":
        return f"{who} closed the conversation"
    return f"{who}: {event.from_status} → {event.to_status}"


def _handoff(handoff: HandoffEvent) -> str:
    if handoff.from_agent is None:
        return f"Routed to {handoff.to_agent} ({handoff.reason})"
    return f"Handoff {handoff.from_agent} → {handoff.to_agent}: {handoff.reason}"


def _turn(turn_id: str, steps: Sequence[RunStep]) -> Turn:
    return Turn(
        turn_id=turn_id,
        steps=tuple(step for step in map(_step, steps) if step is not None),
        cost_usd=sum(step.cost_usd for step in steps),
        input_tokens=sum(step.input_tokens for step in steps),
        output_tokens=sum(step.output_tokens for step in steps),
        model_calls=sum(1 for step in steps if step.model is not None),
        tool_calls=sum(1 for step in steps if step.kind == "tool_call"),
    )


def _step(step: RunStep) -> Step | None:
    given, out = step.input or {}, step.output or {}
    agent = step.agent or "bot"
    if step.kind == "route":
        title = f"Router chose {out.get('desk', '?')} (by {given.get('method', '?')})"
        return Step(kind="route", title=title + _usage(step))
    if step.kind == "model_call":
        asked = [call.get("name", "?") for call in out.get("tool_calls") or ()]
        wants = f", asked for {', '.join(asked)}" if asked else ""
        return Step(kind="model", title=f"{agent}: model call{wants}" + _usage(step))
    if step.kind == "tool_call":
        arguments = _short(given.get("arguments", {}), 160)
        return Step(
            kind="tool",
            title=f"{agent}: {given.get('name', '?')}({arguments})",
            detail="→ " + _short(out, 400),
        )
    if step.kind == "handoff":
        return Step(
            kind="handoff", title=f"{agent} → {out.get('to', '?')}: {out.get('reason', '')}"
        )
    if step.kind == "escalation":
        return Step(kind="escalation", title=f"{agent} escalated: {out.get('reason', '')}")
    if step.kind == "error":
        return Step(kind="error", title=f"Error: {out.get('error', '?')}")
    if step.kind == "reply":
        return None  # the reply is in the transcript itself
    return Step(kind=step.kind, title=f"{agent}: {step.kind}", detail=_short(out, 200))


def _usage(step: RunStep) -> str:
    if step.model is None:
        return ""
    tokens = f"{step.input_tokens:,} in / {step.output_tokens:,} out tokens"
    return f" · {step.model} · {tokens} · ${step.cost_usd:.4f} · {step.latency_ms:.0f} ms"


def _short(value: Any, limit: int) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"
