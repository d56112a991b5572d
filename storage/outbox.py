"""The outbox: replies waiting to be sent, and how each send attempt settles."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import update
from sqlmodel import col

from storage import statements as sql
from storage.base import StoreBase
from storage.models import Contact, Conversation, Message, OutboxItem, utcnow


class OutboxWork(NamedTuple):
    """An outbox row with its message, conversation and contact."""

    item: OutboxItem
    message: Message
    conversation: Conversation
    contact: Contact


class OutboxQueries(StoreBase):
    """Finding undelivered replies and recording what each send did."""

    def next_outbox(self, conversation_id: int) -> OutboxWork | None:
        """The conversation's oldest undelivered reply, with what addressing it needs."""
        return self._outbox_work(sql.NEXT_OUTBOX, conversation_id)

    def outbox_work(self, outbox_id: int) -> OutboxWork | None:
        """One outbox row, if still undelivered, with what addressing it needs."""
        return self._outbox_work(sql.OUTBOX_BY_ID, outbox_id)

    def _outbox_work(self, statement: Any, key: int) -> OutboxWork | None:
        with self.session() as session:
            row = session.execute(statement, {"p_id": key}).first()
        return None if row is None else OutboxWork(*row)

    def mark_sent(
        self, outbox_id: int, channel_message_id: str | None, *, attempts: int | None = None
    ) -> None:
        """A reply reached the channel; `attempts` is the count its send started from."""
        self._finish_outbox(outbox_id, "sent", "sent", None, channel_message_id, attempts)

    def mark_failed(
        self, outbox_id: int, reason: str, *, status: str = "failed", attempts: int | None = None
    ) -> None:
        """A reply will not be delivered; keep why, for staff to see."""
        self._finish_outbox(outbox_id, "failed", status, reason, None, attempts)

    def mark_cancelled(self, outbox_id: int, reason: str) -> None:
        """A reply the bot may no longer send (a person took the conversation)."""
        self._finish_outbox(outbox_id, "cancelled", "cancelled", reason, None, None)

    def mark_retry(self, outbox_id: int, reason: str, next_attempt_at: datetime) -> None:
        """Count a failed attempt and say when to try again."""
        with self.session() as session:
            session.execute(
                update(OutboxItem)
                .where(col(OutboxItem.id) == outbox_id)
                .values(
                    attempts=OutboxItem.attempts + 1,
                    last_error=reason,
                    next_attempt_at=next_attempt_at,
                )
            )
            session.commit()

    def _finish_outbox(
        self,
        outbox_id: int,
        outbox_status: str,
        message_status: str,
        reason: str | None,
        channel_message_id: str | None,
        attempts: int | None,
    ) -> None:
        now = utcnow()
        with self.engine.begin() as connection:
            message_id = connection.execute(
                sql.FINISH_OUTBOX,
                {
                    "p_id": outbox_id,
                    "p_seen": attempts,
                    "p_status": outbox_status,
                    "p_error": reason,
                    "p_sent_at": now if outbox_status == "sent" else None,
                },
            ).scalar_one_or_none()
            if message_id is None:
                return
            if message_status == "sent":
                connection.execute(
                    sql.MESSAGE_SENT,
                    {"p_id": message_id, "p_cmid": channel_message_id, "p_now": now},
                )
            else:
                connection.execute(
                    sql.MESSAGE_UNSENT,
                    {
                        "p_id": message_id,
                        "p_status": message_status,
                        "p_error": reason,
                        "p_now": now,
                    },
                )
