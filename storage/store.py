"""The queries the switchboard and the API need, each one short transaction.

Methods are synchronous; async callers run them in a worker thread. Rows come back detached
(`expire_on_commit=False`), safe to read after their session closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Connection, Engine, Row, func, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage import statements as sql
from storage.models import (
    Contact,
    Conversation,
    Escalation,
    HandoffEvent,
    Message,
    OutboxItem,
    RunStep,
    utcnow,
)
from storage.records import InboundRecord, ReplyRecord, Stored, TurnRecord

T = TypeVar("T")
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


class OutboxWork(NamedTuple):
    """An outbox row with its message, conversation and contact."""

    item: OutboxItem
    message: Message
    conversation: Conversation
    contact: Contact


INSERT_ATTEMPTS = 5


def storable(text: str) -> str:
    """Make any text storable: no lone surrogates (bad UTF-8), no NUL (PostgreSQL refuses it)."""
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


class Store:
    """All reads and writes of frontdesk's state."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # A SQLite statement takes about 0.1 ms, less than handing it to a worker thread and back
        # (measured: 4.6 ms against 9.8 ms of engine overhead per message); a networked database
        # waits on I/O, so its calls go to threads and the event loop stays free.
        self.inline = engine.dialect.name == "sqlite"

    async def run(self, call: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run one of this store's methods from async code."""
        if self.inline:
            return call(*args, **kwargs)
        return await asyncio.to_thread(call, *args, **kwargs)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose rows stay readable after commit."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    # -- inbound -----------------------------------------------------------------------

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
        with self.engine.connect() as connection:
            return connection.execute(
                sql.MESSAGE_BY_CHANNEL_ID,
                {"p_channel": channel, "p_channel_message_id": channel_message_id},
            ).first()

    def _insert_inbound(self, record: InboundRecord) -> Stored:
        now = utcnow()
        with self.engine.begin() as connection:
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

    def oldest_pending_at(self, conversation_id: int) -> datetime | None:
        """When the conversation's oldest unanswered message arrived, if it has one."""
        with self.engine.connect() as connection:
            value = connection.execute(sql.OLDEST_PENDING_AT, {"p_id": conversation_id}).scalar()
        return value if isinstance(value, datetime) else None

    def conversations_with_work(self) -> list[int]:
        """Conversations with an unanswered message or an undelivered reply (for restarts)."""
        with self.session() as session:
            waiting = select(Message.conversation_id).where(
                Message.direction == "in", Message.status == "pending"
            )
            unsent = select(OutboxItem.conversation_id).where(OutboxItem.status == "pending")
            ids = set(session.exec(waiting).all()) | set(session.exec(unsent).all())
            return sorted(ids)

    # -- turn context ------------------------------------------------------------------

    def conversation(self, conversation_id: int) -> Conversation | None:
        """One conversation, or None."""
        with self.session() as session:
            return session.get(Conversation, conversation_id)

    def conversation_and_contact(self, conversation_id: int) -> tuple[Conversation, Contact]:
        """A conversation with its contact; raises LookupError if it does not exist."""
        with self.session() as session:
            row = session.execute(sql.CONVERSATION_WITH_CONTACT, {"p_id": conversation_id}).first()
        if row is None:
            raise LookupError(f"conversation {conversation_id} does not exist")
        return row[0], row[1]

    def turn_context(self, conversation_id: int, *, history_limit: int) -> TurnContext:
        """A conversation, its contact, its unanswered messages and its last `history_limit`
        settled messages, read together; raises LookupError if it does not exist."""
        with self.session() as session:
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

    def status(self, conversation_id: int) -> str | None:
        """Who owns the conversation right now."""
        with self.engine.connect() as connection:
            value = connection.execute(sql.CONVERSATION_STATUS, {"p_id": conversation_id}).scalar()
        return None if value is None else str(value)

    def last_call_cost(self, conversation_id: int) -> float:
        """What the conversation's most recent model call cost (0 if none)."""
        with self.session() as session:
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
        with self.engine.connect() as connection:
            hidden = connection.execute(sql.COUNT_BEFORE, params).scalar_one()
            opening = connection.execute(sql.OPENING_TEXT, params).scalar()
            handoffs = connection.execute(sql.LAST_HANDOFFS, params).all()
        return EarlierFacts(
            hidden=int(hidden),
            opening=opening,
            handoffs=[(row[0], row[1], row[2]) for row in reversed(handoffs)],
        )

    # -- turn results ------------------------------------------------------------------

    def save_turn(self, turn: TurnRecord) -> list[tuple[OutboxItem, Message]]:
        """Write one turn's steps, handoffs, escalation and replies; return the replies'
        outbox rows and messages as written (so their first send needs no read)."""
        now = utcnow()
        conversation_id = turn.conversation_id
        totals = {name: sum(getattr(step, name) for step in turn.steps) for name in TOTALS}
        with self.engine.begin() as connection:
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
                connection.execute(
                    sql.INSERT_ESCALATION,
                    {
                        "conversation_id": conversation_id,
                        "reason": storable(turn.escalation.reason),
                        "summary": storable(turn.escalation.summary),
                        "status": "open",
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

    def latest_escalation(self, conversation_id: int) -> Escalation | None:
        """The conversation's newest escalation."""
        with self.session() as session:
            return session.exec(
                select(Escalation)
                .where(Escalation.conversation_id == conversation_id)
                .order_by(col(Escalation.id).desc())
            ).first()

    def hand_back(self, conversation_id: int) -> bool:
        """Return an escalated conversation to the bot and resolve its open escalations;
        False if there is no such escalated conversation."""
        now = utcnow()
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(Conversation)
                .where(
                    col(Conversation.id) == conversation_id,
                    col(Conversation.status).in_(("waiting_human", "with_human")),
                )
                .values(status="bot", updated_at=now)
            ).rowcount
            if not changed:
                return False
            connection.execute(
                update(Escalation)
                .where(
                    col(Escalation.conversation_id) == conversation_id,
                    col(Escalation.status) != "resolved",
                )
                .values(status="resolved", resolved_at=now)
            )
        return True

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

    # -- reading for operators -----------------------------------------------------------

    def list_conversations(
        self,
        *,
        channel: str | None = None,
        contact: str | None = None,
        limit: int = 100,
    ) -> list[tuple[Conversation, Contact]]:
        """Conversations, newest first, optionally for one channel and one contact."""
        with self.session() as session:
            query = select(Conversation, Contact).join(
                Contact, col(Contact.id) == Conversation.contact_id
            )
            if channel:
                query = query.where(Conversation.channel == channel)
            if contact:
                query = query.where(Contact.external_id == contact)
            query = query.order_by(col(Conversation.id).desc()).limit(limit)
            return [(c, p) for c, p in session.exec(query).all()]

    def messages(self, conversation_id: int) -> list[Message]:
        """Every message of a conversation, oldest first."""
        with self.session() as session:
            return list(
                session.exec(
                    select(Message)
                    .where(Message.conversation_id == conversation_id)
                    .order_by(col(Message.id))
                ).all()
            )

    def handoffs(self, conversation_id: int) -> list[HandoffEvent]:
        """The conversation's handoffs, oldest first."""
        with self.session() as session:
            return list(
                session.exec(
                    select(HandoffEvent)
                    .where(HandoffEvent.conversation_id == conversation_id)
                    .order_by(col(HandoffEvent.id))
                ).all()
            )

    def run_steps(self, conversation_id: int) -> list[RunStep]:
        """Every run step of a conversation, in order."""
        with self.session() as session:
            return list(
                session.exec(
                    select(RunStep)
                    .where(RunStep.conversation_id == conversation_id)
                    .order_by(col(RunStep.id))
                ).all()
            )

    def escalations(self, conversation_id: int | None = None) -> list[Escalation]:
        """Escalations, oldest first, for one conversation or all."""
        with self.session() as session:
            query = select(Escalation).order_by(col(Escalation.id))
            if conversation_id is not None:
                query = query.where(Escalation.conversation_id == conversation_id)
            return list(session.exec(query).all())

    def count_messages(self, *, direction: str | None = None) -> int:
        """How many messages exist (for tests, metrics and benchmarks)."""
        with self.session() as session:
            query = select(func.count()).select_from(Message)
            if direction:
                query = query.where(Message.direction == direction)
            return int(session.exec(query).one())


def _fields(record: Any) -> dict[str, Any]:
    """A record dataclass as a shallow dict (dataclasses.asdict deep-copies, slowly)."""
    return {field.name: getattr(record, field.name) for field in fields(record)}
