"""How an escalation looks in the Slack staff channel: the context packet as Block Kit, with
the `frontdesk_claim` and `frontdesk_resolve` buttons (value: the escalation id)."""

from __future__ import annotations

from typing import Any

from handoffs.channels import EscalationNotice
from storage.models import Escalation

CLAIM = "frontdesk_claim"
RESOLVE = "frontdesk_resolve"
CHANNEL_NAMES = {"whatsapp": "WhatsApp", "slack": "Slack"}
MAX_FIELD = 2900  # Block Kit allows 3,000 characters in a text object


def escalation_text(notice: EscalationNotice) -> str:
    """The plain-text fallback (notifications, screen readers)."""
    who = notice.contact_name or notice.contact
    return f"Conversation {notice.conversation_id} needs a person: {who} — {notice.reason}"


def escalation_blocks(notice: EscalationNotice, escalation: Escalation | None) -> list[Any]:
    """The packet, the current owner and the buttons that still make sense."""
    who = notice.contact_name or notice.contact
    if notice.contact_name:
        who = f"{notice.contact_name} ({notice.contact})"
    facts = [
        f"*Customer:* {who}",
        f"*Channel:* {CHANNEL_NAMES.get(notice.channel, notice.channel)}",
        f"*Language:* {notice.language}",
        f"*Desk:* {notice.desk or 'none yet'}",
    ]
    blocks: list[Any] = [
        _section(f":raising_hand: *Conversation {notice.conversation_id} needs a person*"),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": fact} for fact in facts]},
        _section(f"*Why:* {notice.reason}\n*Summary:* {notice.summary}"),
    ]
    if notice.tried:
        blocks.append(_section("*The bot tried:*\n" + "\n".join(f"• {t}" for t in notice.tried)))
    if notice.last_messages:
        quoted = "\n".join(f"> {line}" for line in notice.last_messages)
        blocks.append(_section(f"*Last messages:*\n{quoted}"))
    if notice.window_closes_at is not None:
        stamp = int(notice.window_closes_at.timestamp())
        blocks.append(
            _context(
                f"WhatsApp lets a person reply freely until <!date^{stamp}^{{date_short_pretty}} "
                f"{{time}}|{notice.window_closes_at:%Y-%m-%d %H:%M} UTC>; later, only the "
                "template goes out."
            )
        )
    blocks.append(_context(owner_line(escalation)))
    buttons = _buttons(notice.escalation_id, escalation)
    if buttons:
        blocks.append({"type": "actions", "block_id": "frontdesk_staff", "elements": buttons})
    return blocks


def owner_line(escalation: Escalation | None) -> str:
    """Who holds the escalation now, in one line."""
    if escalation is None or escalation.status == "open":
        return ":hourglass_flowing_sand: Waiting for someone to claim it."
    if escalation.status == "claimed":
        holder, since = escalation.claimed_by, _at(escalation.claimed_at)
        return f":bust_in_silhouette: Claimed by *{holder}*{since}."
    by, at = escalation.resolved_by, _at(escalation.resolved_at)
    return f":white_check_mark: Resolved by *{by}*{at}."


def _buttons(escalation_id: int, escalation: Escalation | None) -> list[Any]:
    status = escalation.status if escalation is not None else "open"
    if status == "resolved":
        return []
    resolve = _button("Resolve", RESOLVE, escalation_id)
    if status == "claimed":
        return [resolve]
    return [{**_button("Claim", CLAIM, escalation_id), "style": "primary"}, resolve]


def _button(label: str, action_id: str, escalation_id: int) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": str(escalation_id),
    }


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:MAX_FIELD]}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:MAX_FIELD]}]}


def _at(moment: Any) -> str:
    if moment is None:
        return ""
    stamp = int(moment.timestamp())
    return f" <!date^{stamp}^at {{time}} on {{date_short}}|at {moment:%Y-%m-%d %H:%M} UTC>"
