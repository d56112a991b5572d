"""One turn of a conversation: what it reads before it runs, and everything it writes at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection
from sqlmodel import col, select

from storage import statements as sql
from storage.base import StoreBase, storable
from storage.models import Contact, Conversation, Message, OutboxItem, RunStep, utcnow
from storage.records import ReplyRecord, TurnRecord

TOTALS = ("input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens", "cost_usd")


class TurnContext(NamedTuple):
    """What a turn reads before it runs."""

    conversation: Conversation
    contact: Contact
    pending: list[Message]
    history: list[Message]


class EarlierFacts(NamedTuple):
    """What fell out of a turn's history window, for a short note to the model."""

    hidden: int
    opening: str | None
    handoffs: list[tuple[str | None, str, str]]


class TurnQueries(StoreBase):
    """Reading a turn's context and writing its steps, handoffs, escalation and replies."""

    def turn_context(self, conversation_id: int, *, history_limit: int) -> TurnContext:
        """A conversation, its contact, its unanswered messages and its last `history_limit`
        settled messages, read together; raises LookupError if it does not exist."""
        with self._session() as session:
            row = session.execute(sql.CONVERSATION_WITH_CONTACT, {"p_id": conversation_id}).first()
            if row is None:
                raise LookupError(f"conversation {conversation_id} does not exist")
            pending = session.scalars(sql.PENDING_INBOUND, {"p_id": conversation_id}).all()
            history: Sequence[Message] = []
            if pending and history_limit:
                history = session.scalars(
                    sql.SETTLED_RECENT, {"p_id": conversation_id, "p_limit": history_limit}
                ).all()
        return TurnContext(row[0], row[1], list(pending), list(reversed(history)))

    def last_call_cost(self, conversation_id: int) -> float:
        """What the conversation's most recent model call cost (0 if none)."""
        with self._session() as session:
            cost = session.exec(
                select(RunStep.cost_usd)
                .where(
                    RunStep.conversation_id == conversation_id,
                    col(RunStep.kind).in_(("model_call", "route")),
                    col(RunStep.cost_usd) > 0,
                )
                .order_by(col(RunStep.id).desc())
                .limit(1)
            ).first()
        return float(cost or 0.0)

    def earlier_facts(self, conversation_id: int, *, before_id: int) -> EarlierFacts:
        """For a long conversation: how many messages came before `before_id`, its opening
        customer message, and its last three handoffs."""
        params = {"p_id": conversation_id, "p_before": before_id}
        with self._engine.connect() as connection:
            hidden = connection.execute(sql.COUNT_BEFORE, params).scalar_one()
            opening = connection.execute(sql.OPENING_TEXT, params).scalar()
            handoffs = connection.execute(sql.LAST_HANDOFFS, params).all()
        return EarlierFacts(
            hidden=int(hidden),
            opening=opening,
            handoffs=[(row[0], row[1], row[2]) for row in reversed(handoffs)],
        )

    def save_turn(self, turn: TurnRecord) -> list[tuple[OutboxItem, Message]]:
        """Write one turn's steps, handoffs, escalation and replies; return the replies'
        outbox rows and messages as written (so their first send needs no read)."""
        now = utcnow()
        conversation_id = turn.conversation_id
        totals = {name: sum(getattr(step, name) for step in turn.steps) for name in TOTALS}
        with self._engine.begin() as connection:
            channel = connection.execute(
                sql.CLOSE_TURN,
                {
                    "p_id": conversation_id,
                    "p_language": turn.language,
                    "p_agent": turn.active_agent,
                    "p_status": "waiting_human" if turn.escalation is not None else None,
                    "p_now": now,
                    **{f"p_{name}": total for name, total in totals.items()},
                },
            ).scalar()
            if channel is None:
                raise LookupError(f"conversation {conversation_id} does not exist")
            ids = {"conversation_id": conversation_id, "turn_id": turn.turn_id, "created_at": now}
            if turn.steps:
                connection.execute(
                    sql.INSERT_STEP,
                    [{**ids, "seq": seq, **_fields(step)} for seq, step in enumerate(turn.steps)],
                )
            if turn.handoffs:
                connection.execute(
                    sql.INSERT_HANDOFF, [{**ids, **_fields(h)} for h in turn.handoffs]
                )
            if turn.escalation is not None:
                escalation_id = connection.execute(
                    sql.INSERT_ESCALATION,
                    {
                        "conversation_id": conversation_id,
                        "reason": storable(turn.escalation.reason),
                        "summary": storable(turn.escalation.summary),
                        "packet": turn.escalation.packet,
                        "status": "open",
                        "created_at": now,
                    },
                ).scalar_one()
                connection.execute(
                    sql.INSERT_OWNERSHIP_EVENT,
                    {
                        "conversation_id": conversation_id,
                        "escalation_id": escalation_id,
                        "from_status": "bot",
                        "to_status": "waiting_human",
                        "actor": "bot",
                        "actor_name": turn.active_agent,
                        "reason": storable(turn.escalation.reason),
                        "created_at": now,
                    },
                )
            for message_id in turn.inbound_ids:
                connection.execute(
                    sql.SETTLE_INBOUND,
                    {
                        "p_id": message_id,
                        "p_status": turn.inbound_status,
                        "p_error": turn.inbound_error and storable(turn.inbound_error),
                        "p_turn": turn.turn_id,
                        "p_language": turn.inbound_languages.get(message_id, turn.language),
                        "p_now": now,
                    },
                )
            return [
                self._queue_reply(connection, turn, reply, channel, now) for reply in turn.replies
            ]

    @staticmethod
    def _queue_reply(
        connection: Connection, turn: TurnRecord, reply: ReplyRecord, channel: str, now: datetime
    ) -> tuple[OutboxItem, Message]:
        message = Message(
            conversation_id=turn.conversation_id,
            channel=channel,
            direction="out",
            author=reply.author,
            agent=reply.agent,
            text=storable(reply.text),
            language=reply.language,
            status="queued",
            turn_id=turn.turn_id,
            created_at=now,
            updated_at=now,
        )
        message.id = connection.execute(
            sql.INSERT_MESSAGE, message.model_dump(exclude={"id"})
        ).scalar_one()
        item = OutboxItem(
            message_id=message.id or 0,
            conversation_id=turn.conversation_id,
            channel=channel,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        item.id = connection.execute(
            sql.INSERT_OUTBOX, item.model_dump(exclude={"id"})
        ).scalar_one()
        return item, message


def _fields(record: Any) -> dict[str, Any]:
    """A record dataclass as a shallow dict (dataclasses.asdict deep-copies, slowly)."""
    return {field.name: getattr(record, field.name) for field in fields(record)}
