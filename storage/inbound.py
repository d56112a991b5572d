"""Customers' messages coming in: stored once, with their contact and conversation, and the
queries that find what is still waiting for an answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from storage import statements as sql
from storage.base import StoreBase, storable
from storage.models import Contact, Message, OutboxItem, utcnow
from storage.records import InboundRecord, Stored

INSERT_ATTEMPTS = 5


class InboundQueries(StoreBase):
    """Storing inbound messages idempotently, and finding unanswered work."""

    def store_inbound(self, record: InboundRecord) -> Stored:
        """Store a customer's message once; a second delivery returns the first copy."""
        for _ in range(INSERT_ATTEMPTS):
            try:
                return self._insert_inbound(record)
            except IntegrityError:
                # Either this message is stored already (a redelivery), or a concurrent delivery
                # won the race for its contact or new conversation; the next round sees its row.
                existing = self._find_message(record.channel, record.channel_message_id)
                if existing is not None:
                    return Stored(existing.id or 0, existing.conversation_id, duplicate=True)
        raise RuntimeError(f"could not store {record.channel} message {record.channel_message_id}")

    def _find_message(self, channel: str, channel_message_id: str) -> Row[Any] | None:
        with self._engine.connect() as connection:
            return connection.execute(
                sql.MESSAGE_BY_CHANNEL_ID,
                {"p_channel": channel, "p_channel_message_id": channel_message_id},
            ).first()

    def _insert_inbound(self, record: InboundRecord) -> Stored:
        now = utcnow()
        with self._engine.begin() as connection:
            contact_id = self._upsert_contact(connection, record, now)
            conversation_id = connection.execute(
                sql.OPEN_CONVERSATION, {"p_channel": record.channel, "p_thread": record.thread_key}
            ).scalar()
            if conversation_id is None:
                conversation_id = connection.execute(
                    sql.INSERT_CONVERSATION,
                    {
                        "channel": record.channel,
                        "thread_key": record.thread_key,
                        "open_key": record.thread_key,
                        "contact_id": contact_id,
                        "status": "bot",
                        "input_tokens": 0,
                        "output_tokens": 0,
                        "cache_write_tokens": 0,
                        "cache_read_tokens": 0,
                        "cost_usd": 0.0,
                        "last_inbound_at": record.received_at,
                        "created_at": now,
                        "updated_at": now,
                    },
                ).scalar_one()
            else:
                connection.execute(
                    sql.TOUCH_CONVERSATION,
                    {"p_id": conversation_id, "p_at": record.received_at, "p_now": now},
                )
            message_id = connection.execute(
                sql.INSERT_MESSAGE,
                {
                    "conversation_id": conversation_id,
                    "channel": record.channel,
                    "channel_message_id": record.channel_message_id,
                    "direction": "in",
                    "author": "customer",
                    "text": storable(record.text),
                    "media": list(record.media) or None,
                    "status": "pending",
                    "created_at": record.received_at,
                    "updated_at": now,
                },
            ).scalar_one()
        return Stored(message_id, conversation_id, duplicate=False)

    @staticmethod
    def _upsert_contact(connection: Connection, record: InboundRecord, now: datetime) -> int:
        known = {
            "phone": record.phone,
            "reply_address": record.reply_address,
            "locale": record.locale,
            "timezone": record.timezone,
            "display_name": record.sender_name,
        }
        row = connection.execute(
            sql.CONTACT_BY_IDENTITY, {"p_channel": record.channel, "p_sender": record.sender}
        ).first()
        if row is None:
            return int(
                connection.execute(
                    sql.INSERT_CONTACT,
                    {
                        "channel": record.channel,
                        "external_id": record.sender,
                        "created_at": now,
                        "updated_at": now,
                        **known,
                    },
                ).scalar_one()
            )
        changes = {
            name: value for name, value in known.items() if value and getattr(row, name) != value
        }
        if changes:
            connection.execute(
                update(Contact).where(col(Contact.id) == row.id).values(**changes, updated_at=now)
            )
        return int(row.id)

    def has_conversation(self, channel: str, thread_key: str) -> bool:
        """Whether a conversation, open or closed, was ever held in this thread."""
        with self._engine.connect() as connection:
            found = connection.execute(
                sql.THREAD_CONVERSATION, {"p_channel": channel, "p_thread": thread_key}
            ).first()
        return found is not None

    def oldest_pending_at(self, conversation_id: int) -> datetime | None:
        """When the conversation's oldest unanswered message arrived, if it has one."""
        with self._engine.connect() as connection:
            value = connection.execute(sql.OLDEST_PENDING_AT, {"p_id": conversation_id}).scalar()
        return value if isinstance(value, datetime) else None

    def conversations_with_work(self) -> list[int]:
        """Conversations with an unanswered message or an undelivered reply (for restarts)."""
        with self._session() as session:
            waiting = select(Message.conversation_id).where(
                Message.direction == "in", Message.status == "pending"
            )
            unsent = select(OutboxItem.conversation_id).where(OutboxItem.status == "pending")
            ids = set(session.exec(waiting).all()) | set(session.exec(unsent).all())
            return sorted(ids)
