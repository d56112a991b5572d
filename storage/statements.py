"""Statements built once for the per-message hot path.

Building a SQLAlchemy statement costs about as much as running it on SQLite, and these run
several times per message, so they are built at import with bound parameters (`p_*`).
Statements whose rows hold nullable-typed ids are typed `Any`; the store converts their values.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Integer, String, bindparam, case, func, insert, or_, select, update
from sqlmodel import col

from storage.models import (
    Contact,
    Conversation,
    Escalation,
    HandoffEvent,
    Message,
    OutboxItem,
    OwnershipEvent,
    RunStep,
)

CONTACT_BY_IDENTITY = select(
    col(Contact.id),
    col(Contact.phone),
    col(Contact.reply_address),
    col(Contact.locale),
    col(Contact.timezone),
    col(Contact.display_name),
).where(
    col(Contact.channel) == bindparam("p_channel"),
    col(Contact.external_id) == bindparam("p_sender"),
)

INSERT_CONTACT: Any = insert(Contact).returning(col(Contact.id))

OPEN_CONVERSATION = select(col(Conversation.id)).where(
    col(Conversation.channel) == bindparam("p_channel"),
    col(Conversation.open_key) == bindparam("p_thread"),
)

INSERT_CONVERSATION: Any = insert(Conversation).returning(col(Conversation.id))

TOUCH_CONVERSATION = (
    update(Conversation)
    .where(col(Conversation.id) == bindparam("p_id"))
    .values(last_inbound_at=bindparam("p_at"), updated_at=bindparam("p_now"))
)

INSERT_MESSAGE: Any = insert(Message).returning(col(Message.id))

MESSAGE_BY_CHANNEL_ID: Any = select(col(Message.id), col(Message.conversation_id)).where(
    col(Message.channel) == bindparam("p_channel"),
    col(Message.channel_message_id) == bindparam("p_channel_message_id"),
)

THREAD_CONVERSATION = (
    select(col(Conversation.id))
    .where(
        col(Conversation.channel) == bindparam("p_channel"),
        col(Conversation.thread_key) == bindparam("p_thread"),
    )
    .limit(1)
)

CONVERSATION_STATUS = select(col(Conversation.status)).where(
    col(Conversation.id) == bindparam("p_id")
)

# Everything a turn changes on its conversation, in one statement that also names its channel.
CLOSE_TURN = (
    update(Conversation)
    .where(col(Conversation.id) == bindparam("p_id"))
    .values(
        language=bindparam("p_language"),
        active_agent=bindparam("p_agent"),
        status=func.coalesce(bindparam("p_status", type_=String), col(Conversation.status)),
        updated_at=bindparam("p_now"),
        input_tokens=col(Conversation.input_tokens) + bindparam("p_input_tokens"),
        output_tokens=col(Conversation.output_tokens) + bindparam("p_output_tokens"),
        cache_write_tokens=col(Conversation.cache_write_tokens) + bindparam("p_cache_write_tokens"),
        cache_read_tokens=col(Conversation.cache_read_tokens) + bindparam("p_cache_read_tokens"),
        cost_usd=col(Conversation.cost_usd) + bindparam("p_cost_usd", type_=Float),
    )
    .returning(col(Conversation.channel))
)

INSERT_STEP = insert(RunStep)
INSERT_HANDOFF = insert(HandoffEvent)
INSERT_ESCALATION = insert(Escalation).returning(col(Escalation.id))
INSERT_OWNERSHIP_EVENT = insert(OwnershipEvent)

CONVERSATION_WITH_CONTACT = (
    select(Conversation, Contact)
    .join(Contact, col(Contact.id) == col(Conversation.contact_id))
    .where(col(Conversation.id) == bindparam("p_id"))
)

PENDING_INBOUND = (
    select(Message)
    .where(
        col(Message.conversation_id) == bindparam("p_id"),
        col(Message.direction) == "in",
        col(Message.status) == "pending",
    )
    .order_by(col(Message.id))
)

# Settled messages only: a reply written after a still-pending message (it answered the one
# before) belongs in that message's history, so this is not "everything before it".
SETTLED_RECENT = (
    select(Message)
    .where(
        col(Message.conversation_id) == bindparam("p_id"),
        (col(Message.direction) == "out") | (col(Message.status) != "pending"),
    )
    .order_by(col(Message.id).desc())
    .limit(bindparam("p_limit"))
)

COUNT_BEFORE = (
    select(func.count())
    .select_from(Message)
    .where(
        col(Message.conversation_id) == bindparam("p_id"),
        col(Message.id) < bindparam("p_before"),
    )
)

OPENING_TEXT = (
    select(col(Message.text))
    .where(col(Message.conversation_id) == bindparam("p_id"), col(Message.direction) == "in")
    .order_by(col(Message.id))
    .limit(1)
)

LAST_HANDOFFS = (
    select(col(HandoffEvent.from_agent), col(HandoffEvent.to_agent), col(HandoffEvent.reason))
    .where(col(HandoffEvent.conversation_id) == bindparam("p_id"))
    .order_by(col(HandoffEvent.id).desc())
    .limit(3)
)

OLDEST_PENDING_AT = select(func.min(col(Message.created_at))).where(
    col(Message.conversation_id) == bindparam("p_id"),
    col(Message.direction) == "in",
    col(Message.status) == "pending",
)

_OUTBOX_WORK = (
    select(OutboxItem, Message, Conversation, Contact)
    .join(Message, col(Message.id) == col(OutboxItem.message_id))
    .join(Conversation, col(Conversation.id) == col(OutboxItem.conversation_id))
    .join(Contact, col(Contact.id) == col(Conversation.contact_id))
    .where(col(OutboxItem.status) == "pending")
    .order_by(col(OutboxItem.id))
    .limit(1)
)
NEXT_OUTBOX = _OUTBOX_WORK.where(col(OutboxItem.conversation_id) == bindparam("p_id"))
OUTBOX_BY_ID = _OUTBOX_WORK.where(col(OutboxItem.id) == bindparam("p_id"))

SETTLE_INBOUND = (
    update(Message)
    .where(col(Message.id) == bindparam("p_id"))
    .values(
        status=bindparam("p_status"),
        error=bindparam("p_error"),
        turn_id=bindparam("p_turn"),
        language=bindparam("p_language"),
        updated_at=bindparam("p_now"),
    )
)

INSERT_OUTBOX: Any = insert(OutboxItem).returning(col(OutboxItem.id))

# A send settles its row only if nothing touched it meanwhile: a status callback may have put it
# back in the outbox (WhatsApp's 63016), bumping `attempts`, while the send was in flight.
FINISH_OUTBOX: Any = (
    update(OutboxItem)
    .where(
        col(OutboxItem.id) == bindparam("p_id"),
        col(OutboxItem.status) == "pending",
        or_(
            bindparam("p_seen", type_=Integer).is_(None),
            col(OutboxItem.attempts) == bindparam("p_seen", type_=Integer),
        ),
    )
    .values(
        status=bindparam("p_status"),
        attempts=col(OutboxItem.attempts) + 1,
        last_error=bindparam("p_error"),
        sent_at=bindparam("p_sent_at"),
    )
    .returning(col(OutboxItem.message_id))
)

# A delivery callback may land before the sender's own "sent": never move a status back.
MESSAGE_SENT = (
    update(Message)
    .where(col(Message.id) == bindparam("p_id"))
    .values(
        status=case((col(Message.status) == "queued", "sent"), else_=col(Message.status)),
        error=case((col(Message.status) == "queued", None), else_=col(Message.error)),
        channel_message_id=func.coalesce(bindparam("p_cmid"), col(Message.channel_message_id)),
        updated_at=bindparam("p_now"),
    )
)

MESSAGE_UNSENT = (
    update(Message)
    .where(col(Message.id) == bindparam("p_id"))
    .values(status=bindparam("p_status"), error=bindparam("p_error"), updated_at=bindparam("p_now"))
)

# A status callback judges its reply under the row's lock (FOR UPDATE on PostgreSQL; on SQLite,
# BEGIN IMMEDIATE already makes writers take turns), so callbacks for one reply apply in turn.
_DELIVERY = (
    select(
        col(Message.id),
        col(Message.conversation_id),
        col(Message.status),
        col(Message.error),
        col(Message.channel_message_id),
    )
    .where(col(Message.direction) == "out", col(Message.channel) == bindparam("p_channel"))
    .with_for_update()
)
DELIVERY_BY_ID: Any = _DELIVERY.where(col(Message.id) == bindparam("p_id"))
DELIVERY_BY_CHANNEL_ID: Any = _DELIVERY.where(
    col(Message.channel_message_id) == bindparam("p_cmid")
)

MESSAGE_DELIVERY = (
    update(Message)
    .where(col(Message.id) == bindparam("p_id"))
    .values(status=bindparam("p_status"), error=bindparam("p_error"), updated_at=bindparam("p_now"))
)

# The channel's id belonged to the refused send; the next send gets its own.
REQUEUE_MESSAGE = MESSAGE_DELIVERY.values(channel_message_id=None)

# Counting the attempt makes FINISH_OUTBOX ignore a send still in flight: it must not settle
# the row that was just put back.
REQUEUE_OUTBOX = (
    update(OutboxItem)
    .where(col(OutboxItem.message_id) == bindparam("p_id"))
    .values(
        status="pending",
        attempts=col(OutboxItem.attempts) + 1,
        next_attempt_at=bindparam("p_now"),
        last_error=bindparam("p_error"),
    )
)
