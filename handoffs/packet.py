"""The context packet staff get with an escalation: who, where, why, what the bot tried, the
last messages, and until when WhatsApp lets a person answer freely."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from handoffs.channels import EscalationNotice
from handoffs.prompt import joined
from storage.models import Contact, Conversation, Escalation, Message
from storage.records import StepRecord, TurnRecord

LAST_MESSAGES = 6
# WhatsApp lets a business write freely for 24 hours after the customer's last message.
WHATSAPP_WINDOW = timedelta(hours=24)


def context_packet(
    conversation: Conversation,
    contact: Contact,
    record: TurnRecord,
    history: Sequence[Message],
    batch: Sequence[Message],
) -> dict[str, Any]:
    """The packet as JSON-able values, stored with the escalation and shown wherever staff look."""
    lines = [_line(message) for message in history[-LAST_MESSAGES:]]
    lines.append(f"customer: {joined(batch)[:500]}")
    last_inbound = max((m.created_at for m in batch), default=conversation.last_inbound_at)
    window = (
        (last_inbound + WHATSAPP_WINDOW).isoformat()
        if conversation.channel == "whatsapp" and last_inbound is not None
        else None
    )
    return {
        "contact": contact.external_id,
        "contact_name": contact.display_name,
        "channel": conversation.channel,
        "language": record.language,
        "desk": record.active_agent,
        "tried": [_tried(step) for step in record.steps if step.kind == "tool_call"][:10],
        "last_messages": lines[-LAST_MESSAGES:],
        "window_closes_at": window,
    }


def notice_for(escalation: Escalation) -> EscalationNotice:
    """The staff channel's notice for a stored escalation and its packet."""
    packet = escalation.packet or {}
    window = packet.get("window_closes_at")
    return EscalationNotice(
        escalation_id=escalation.id or 0,
        conversation_id=escalation.conversation_id,
        channel=str(packet.get("channel", "")),
        contact=str(packet.get("contact", "")),
        contact_name=packet.get("contact_name"),
        language=str(packet.get("language", "en")),
        reason=escalation.reason,
        summary=escalation.summary,
        desk=packet.get("desk"),
        tried=tuple(packet.get("tried", ())),
        last_messages=tuple(packet.get("last_messages", ())),
        window_closes_at=datetime.fromisoformat(window) if window else None,
    )


def _line(message: Message) -> str:
    who = {"customer": "customer", "staff": message.author_name or "staff"}.get(
        message.author, message.agent or message.author
    )
    return f"{who}: {message.text[:300]}"


def _tried(step: StepRecord) -> str:
    inputs = step.input or {}
    arguments = json.dumps(inputs.get("arguments", {}), ensure_ascii=False)[:120]
    result = json.dumps(step.output or {}, ensure_ascii=False)[:160]
    return f"{inputs.get('name', '?')}({arguments}) → {result}"
