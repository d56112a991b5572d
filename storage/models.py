"""The tables: contacts, conversations, messages, outbox, handoffs, escalations, run steps,
and the staff desk's: staff members, ownership events, notes, saved replies.

Times are timezone-aware UTC (`utcnow()`); SQLModel's UTCDateTime stores them alike on SQLite
and PostgreSQL.
Nothing here is SQLite-only: JSON columns use SQLAlchemy's portable `JSON` type.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current time as aware UTC, the one form every table stores."""
    return datetime.now(UTC)


def _json_column() -> Any:
    return Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))


def _text_column(nullable: bool = True) -> Any:
    return Field(default=None if nullable else "", sa_column=Column(Text, nullable=nullable))


class Contact(SQLModel, table=True):
    """One person on one channel: a WhatsApp number or a Slack user."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_contact_identity"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    external_id: str = Field(max_length=255)
    display_name: str | None = Field(default=None, max_length=255)
    phone: str | None = Field(default=None, max_length=32, index=True)
    # Where replies go when the channel needs another form than `external_id` (the exact
    # WhatsApp address the person last wrote from, e.g. Mexico's +521 form).
    reply_address: str | None = Field(default=None, max_length=255)
    language: str | None = Field(default=None, max_length=8)
    locale: str | None = Field(default=None, max_length=32)
    timezone: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Conversation(SQLModel, table=True):
    """A thread with one contact; `status` says who owns it, `active_agent` which desk."""

    __tablename__ = "conversations"
    # open_key is thread_key while the conversation is open and NULL once closed, so at most one
    # open conversation exists per thread on either database (NULLs never collide).
    __table_args__ = (UniqueConstraint("channel", "open_key", name="uq_conversation_open"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    thread_key: str = Field(max_length=255, index=True)
    open_key: str | None = Field(default=None, max_length=255)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    status: str = Field(default="bot", max_length=20)
    active_agent: str | None = Field(default=None, max_length=40)
    language: str | None = Field(default=None, max_length=8)
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float = 0.0
    last_inbound_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Message(SQLModel, table=True):
    """One message in or out. Inbound `status`: pending | answered | relayed | failed.

    Outbound `status` is its delivery status: queued | sent | delivered | read | failed |
    undelivered | cancelled.
    """

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel", "channel_message_id", name="uq_message_channel_id"),
        Index("ix_messages_conversation_status", "conversation_id", "direction", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    channel: str = Field(max_length=20)
    channel_message_id: str | None = Field(default=None, max_length=255)
    direction: str = Field(max_length=3)
    author: str = Field(max_length=10)
    agent: str | None = Field(default=None, max_length=40)
    # The staff member's name on a staff reply, so the customer and the transcript say who.
    author_name: str | None = Field(default=None, max_length=100)
    text: str = _text_column(nullable=False)
    media: list[dict[str, Any]] | None = _json_column()
    language: str | None = Field(default=None, max_length=8)
    status: str = Field(default="pending", max_length=20)
    error: str | None = _text_column()
    turn_id: str | None = Field(default=None, max_length=32, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class OutboxItem(SQLModel, table=True):
    """An outbound message waiting for (or done with) its channel's sender."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="messages.id", unique=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    channel: str = Field(max_length=20)
    status: str = Field(default="pending", max_length=20, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = _text_column()
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class HandoffEvent(SQLModel, table=True):
    """An agent passed the conversation to another (`from_agent` None: the router chose)."""

    __tablename__ = "handoffs"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    turn_id: str = Field(max_length=32)
    from_agent: str | None = Field(default=None, max_length=40)
    to_agent: str = Field(max_length=40)
    reason: str = _text_column(nullable=False)
    created_at: datetime = Field(default_factory=utcnow)


class Escalation(SQLModel, table=True):
    """A request for a person: open → claimed → resolved.

    `claimed_by` is the holder's display name and `claimed_by_ref` who they are ("staff:3" for
    an inbox account, "slack:U123" for a Slack user); `staff_ref` is where the staff channel
    shows it (the Slack message's ts). `packet` is the context staff get with it.
    """

    __tablename__ = "escalations"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    reason: str = _text_column(nullable=False)
    summary: str = _text_column(nullable=False)
    status: str = Field(default="open", max_length=20, index=True)
    claimed_by: str | None = Field(default=None, max_length=255)
    claimed_by_ref: str | None = Field(default=None, max_length=64)
    staff_ref: str | None = Field(default=None, max_length=255)
    packet: dict[str, Any] | None = _json_column()
    created_at: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = None
    first_response_at: datetime | None = None
    reminded_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = Field(default=None, max_length=255)


class RunStep(SQLModel, table=True):
    """One step of a turn: route, model_call, tool_call, handoff, escalation, reply, error."""

    __tablename__ = "run_steps"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    turn_id: str = Field(max_length=32, index=True)
    seq: int
    kind: str = Field(max_length=20)
    agent: str | None = Field(default=None, max_length=40)
    model: str | None = Field(default=None, max_length=100)
    input: dict[str, Any] | None = _json_column()
    output: dict[str, Any] | None = _json_column()
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    created_at: datetime = Field(default_factory=utcnow)


class StaffMember(SQLModel, table=True):
    """A person who may pick up escalations: an inbox account, a Slack user, or both."""

    __tablename__ = "staff_members"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=100)
    # An argon2 hash (pwdlib); None for someone who only works from Slack.
    password_hash: str | None = _text_column()
    slack_user_id: str | None = Field(default=None, max_length=32, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class OwnershipEvent(SQLModel, table=True):
    """One change of who owns a conversation: who did it, when, from which state to which."""

    __tablename__ = "ownership_events"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    escalation_id: int | None = Field(default=None, foreign_key="escalations.id")
    from_status: str = Field(max_length=20)
    to_status: str = Field(max_length=20)
    actor: str = Field(max_length=64)
    actor_name: str | None = Field(default=None, max_length=255)
    reason: str | None = _text_column()
    created_at: datetime = Field(default_factory=utcnow)


class StaffNote(SQLModel, table=True):
    """An internal note on a conversation: staff see it, the customer and the agents never do."""

    __tablename__ = "staff_notes"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    author: str = Field(max_length=64)
    author_name: str | None = Field(default=None, max_length=255)
    text: str = _text_column(nullable=False)
    source: str = Field(max_length=20)
    created_at: datetime = Field(default_factory=utcnow)


class StaffInput(SQLModel, table=True):
    """A staff action already taken, by its source's own key (a Slack message's channel and ts,
    an inbox form's one-time key): a retried event or a double submit is not taken twice."""

    __tablename__ = "staff_inputs"

    key: str = Field(primary_key=True, max_length=128)
    created_at: datetime = Field(default_factory=utcnow)


class SavedReply(SQLModel, table=True):
    """A reply staff can insert and edit before sending, in one language."""

    __tablename__ = "saved_replies"

    id: int | None = Field(default=None, primary_key=True)
    language: str = Field(max_length=8, index=True)
    title: str = Field(max_length=100)
    text: str = _text_column(nullable=False)
    created_at: datetime = Field(default_factory=utcnow)
