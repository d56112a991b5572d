"""The channel seam: what adapters hand the switchboard, and what it hands them back.

Every channel (Slack, WhatsApp, the console) turns its wire format into one `InboundMessage`
and sends one `OutboundMessage`. Nothing below `bots/` knows a vendor's format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class Media:
    """An attachment: a photo, audio, a document or a location."""

    kind: str
    url: str | None = None
    content_type: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundMessage:
    """One customer message, channel-neutral.

    `channel_message_id` is the channel's own id (Twilio MessageSid, Slack event id): the
    idempotency key. `thread_key` names the conversation within the channel.
    """

    channel: str
    channel_message_id: str
    sender: str
    thread_key: str
    text: str
    sender_name: str | None = None
    phone: str | None = None
    reply_address: str | None = None
    locale: str | None = None
    timezone: str | None = None
    media: tuple[Media, ...] = ()
    received_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundMessage:
    """One reply for a channel's sender, with what it needs to address it."""

    message_id: int
    conversation_id: int
    channel: str
    thread_key: str
    recipient: str
    text: str
    language: str
    author: str
    agent: str | None = None
    attempt: int = 0
    last_inbound_at: datetime | None = None
    media_urls: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class SendReceipt:
    """What the channel answered: its id for the (first) message it created."""

    channel_message_id: str | None = None


class ChannelSender(Protocol):
    """Delivers replies on one channel.

    Raise `agents.errors.TransientSendError` for what a retry may fix and
    `PermanentSendError` for what it cannot.
    """

    channel: str

    async def send(self, message: OutboundMessage) -> SendReceipt:
        """Deliver one reply."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class EscalationNotice:
    """What staff are told when a conversation needs a person: the context packet."""

    escalation_id: int
    conversation_id: int
    channel: str
    contact: str
    contact_name: str | None
    language: str
    reason: str
    summary: str
    desk: str | None = None
    tried: tuple[str, ...] = ()
    last_messages: tuple[str, ...] = ()
    window_closes_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OwnerChange:
    """A claim, a resolve or a reminder, for the staff channel to show."""

    escalation_id: int
    conversation_id: int
    kind: str  # "claimed" | "resolved" | "reminder"
    actor_name: str | None
    at: datetime


class StaffChannel(Protocol):
    """Where people hear about escalations, and about the customer while they hold a thread."""

    async def escalated(self, notice: EscalationNotice) -> None:
        """A conversation needs a person."""
        ...

    async def relayed(self, conversation_id: int, text: str) -> None:
        """A customer wrote while a person holds (or is about to hold) the conversation."""
        ...

    async def changed(self, change: OwnerChange) -> None:
        """Someone claimed or resolved an escalation, or it waits too long unclaimed."""
        ...

    async def reply_failed(self, conversation_id: int, reason: str) -> None:
        """A staff reply could not be delivered (e.g. outside WhatsApp's 24-hour window); the
        person holding the conversation should be told."""
        ...
