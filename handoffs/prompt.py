"""What a model is shown of a conversation: system text, bounded history, the turn's text.

Everything here bounds what it returns, so a prompt's size does not grow with the length of
the conversation (`infra/bench/context.py` measures it).
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.models.base import AssistantText, UserText
from handoffs.contract import HandoffBrief
from storage.models import Message
from storage.turns import EarlierFacts

LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "pt": "Portuguese"}


def system_text(
    instructions: str, language: str, *, earlier: str | None, brief: HandoffBrief | None
) -> str:
    """An agent's instructions, the conversation's language, what fell out of the history
    window, and the brief it was handed the conversation with."""
    name = LANGUAGE_NAMES.get(language, language)
    parts = [instructions, f"Conversation language: {language}. Reply in {name}."]
    if earlier:
        parts.append(f"Earlier in this conversation: {earlier}")
    if brief is not None:
        parts.append(brief.render())
    return "\n\n".join(parts)


def joined(batch: Sequence[Message]) -> str:
    """A batch of customer messages as one text, attachments described in place."""
    parts = []
    for message in batch:
        text = message.text
        for media in message.media or ():
            text = f"{text}\n{media.get('description') or '[the customer sent an attachment]'}"
        parts.append(text.strip())
    return "\n".join(part for part in parts if part)


def turn_text(batch: Sequence[Message], max_chars: int) -> str:
    """What the model reads of this turn's messages, bounded to `max_chars`."""
    text = joined(batch).strip()
    if len(text) > max_chars:
        # Very long pastes are kept whole in storage; the model sees the start, bounded.
        text = text[:max_chars] + f"\n[message truncated: {len(text) - max_chars} more characters]"
    return text


def earlier_note(facts: EarlierFacts) -> str | None:
    """A bounded note on what fell out of the history window, so long threads keep their
    thread: the opening request and the latest handoffs."""
    if not facts.hidden:
        return None
    parts = [f"{facts.hidden} earlier messages are not shown."]
    if facts.opening is not None:
        parts.append(f"The customer opened with: {facts.opening[:300]!r}.")
    if facts.handoffs:
        moves = "; ".join(
            f"{source or 'router'} → {desk} ({reason[:80]})"
            for source, desk, reason in facts.handoffs
        )
        parts.append(f"Latest handoffs: {moves}.")
    return " ".join(parts)


def history_items(
    history: Sequence[Message], max_chars: int
) -> tuple[UserText | AssistantText, ...]:
    """Earlier messages as the model sees them, each cut to `max_chars` to bound the prompt."""
    items: list[UserText | AssistantText] = []
    for message in history:
        text = message.text[:max_chars]
        if message.direction == "in":
            if message.status in ("answered", "relayed", "failed") and text.strip():
                items.append(UserText(text=text))
        elif message.status != "cancelled":
            items.append(AssistantText(text=text, agent=message.agent))
    return tuple(items)
