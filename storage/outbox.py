"""The outbox: replies waiting to be sent, how each send attempt settles, and what the
channel's delivery status callbacks report afterwards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
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


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """A reply's delivery state, as a status callback finds it and as it leaves it."""

    message_id: int
    conversation_id: int
    status: str
    error: str | None
    channel_message_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryChange:
    """What a status callback does to its reply. With `requeue`, the reply goes back in the
    outbox for a new send, which will get a channel message id of its own."""

    status: str
    error: str | None
    requeue: bool = False


class OutboxQueries(StoreBase):
    """Finding undelivered replies and recording what each send did."""

    def next_outbox(self, conversation_id: int) -> OutboxWork | None:
        """The conversation's oldest undelivered reply, with what addressing it needs."""
        return self._outbox_work(sql.NEXT_OUTBOX, conversation_id)

    def outbox_work(self, outbox_id: int) -> OutboxWork | None:
        """One outbox row, if still undelivered, with what addressing it needs."""
        return self._outbox_work(sql.OUTBOX_BY_ID, outbox_id)

    def _outbox_work(self, statement: Any, key: int) -> OutboxWork | None:
        with self._session() as session:
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
        with self._session() as session:
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
        with self._engine.begin() as connection:
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

    def apply_delivery_status(
        self,
        channel: str,
        *,
        message_id: int | None,
        channel_message_id: str,
        judge: Callable[[Delivery], DeliveryChange | None],
    ) -> tuple[Delivery, DeliveryChange | None] | None:
        """Apply one status callback to a reply (found by `message_id` if known, else by the
        channel's id) as `judge` decides from its state under lock, in one transaction; return
        the reply as left and the change made, or None if no reply matches."""
        now = utcnow()
        with self._engine.begin() as connection:
            key: dict[str, Any]
            if message_id is not None:
                statement, key = sql.DELIVERY_BY_ID, {"p_id": message_id}
            else:
                statement, key = sql.DELIVERY_BY_CHANNEL_ID, {"p_cmid": channel_message_id}
            row = connection.execute(statement, {"p_channel": channel, **key}).first()
            if row is None:
                return None
            found = Delivery(
                message_id=int(row.id),
                conversation_id=int(row.conversation_id),
                status=row.status,
                error=row.error,
                channel_message_id=row.channel_message_id,
            )
            change = judge(found)
            if change is None:
                return found, None
            written = {"p_id": found.message_id, "p_error": change.error, "p_now": now}
            if change.requeue:
                connection.execute(sql.REQUEUE_OUTBOX, written)
            connection.execute(
                sql.REQUEUE_MESSAGE if change.requeue else sql.MESSAGE_DELIVERY,
                {**written, "p_status": change.status},
            )
        left = replace(found, status=change.status, error=change.error)
        return (replace(left, channel_message_id=None) if change.requeue else left), change
