"""The queries the switchboard and the API need, each one short transaction.

Methods are synchronous; async callers run them in a worker thread. Rows come back detached
(`expire_on_commit=False`), safe to read after their session closed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import Engine, func, or_, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

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
from storage.records import InboundRecord, Stored, TurnRecord

OPEN_STATUSES = ("bot", "waiting_human", "with_human")
INSERT_ATTEMPTS = 5


class Store:
    """All reads and writes of frontdesk's state."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

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

    def _find_message(self, channel: str, channel_message_id: str) -> Message | None:
        with self.session() as session:
            return session.exec(
                select(Message).where(
                    Message.channel == channel,
                    Message.channel_message_id == channel_message_id,
                )
            ).first()

    def _insert_inbound(self, record: InboundRecord) -> Stored:
        with self.session() as session:
            contact = self._upsert_contact(session, record)
            conversation = session.exec(
                select(Conversation).where(
                    Conversation.channel == record.channel,
                    Conversation.open_key == record.thread_key,
                )
            ).first()
            if conversation is None:
                conversation = Conversation(
                    channel=record.channel,
                    thread_key=record.thread_key,
                    open_key=record.thread_key,
                    contact_id=contact.id or 0,
                )
            conversation.last_inbound_at = record.received_at
            conversation.updated_at = utcnow()
            session.add(conversation)
            session.flush()
            message = Message(
                conversation_id=conversation.id or 0,
                channel=record.channel,
                channel_message_id=record.channel_message_id,
                direction="in",
                author="customer",
                text=record.text,
                media=list(record.media) or None,
                status="pending",
                created_at=record.received_at,
            )
            session.add(message)
            session.commit()
            return Stored(message.id or 0, conversation.id or 0, duplicate=False)

    def _upsert_contact(self, session: Session, record: InboundRecord) -> Contact:
        contact = session.exec(
            select(Contact).where(
                Contact.channel == record.channel, Contact.external_id == record.sender
            )
        ).first()
        if contact is None:
            contact = Contact(channel=record.channel, external_id=record.sender)
            session.add(contact)
        changed = contact.id is None
        for name, value in (
            ("phone", record.phone),
            ("locale", record.locale),
            ("timezone", record.timezone),
            ("display_name", record.sender_name),
        ):
            if value and getattr(contact, name) != value:
                setattr(contact, name, value)
                changed = True
        if changed:
            contact.updated_at = utcnow()
            session.flush()
        return contact

    def pending_inbound(self, conversation_id: int) -> list[Message]:
        """The conversation's unanswered customer messages, oldest first."""
        with self.session() as session:
            return list(
                session.exec(
                    select(Message)
                    .where(
                        Message.conversation_id == conversation_id,
                        Message.direction == "in",
                        Message.status == "pending",
                    )
                    .order_by(col(Message.id))
                ).all()
            )

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
            row = session.exec(
                select(Conversation, Contact)
                .join(Contact, col(Contact.id) == Conversation.contact_id)
                .where(Conversation.id == conversation_id)
            ).first()
        if row is None:
            raise LookupError(f"conversation {conversation_id} does not exist")
        return row[0], row[1]

    def status(self, conversation_id: int) -> str | None:
        """Who owns the conversation right now."""
        with self.session() as session:
            return session.exec(
                select(Conversation.status).where(Conversation.id == conversation_id)
            ).first()

    def history(self, conversation_id: int, *, before_id: int, limit: int) -> list[Message]:
        """The last `limit` settled messages before `before_id`, oldest first."""
        with self.session() as session:
            rows = session.exec(
                select(Message)
                .where(
                    Message.conversation_id == conversation_id,
                    col(Message.id) < before_id,
                    or_(col(Message.direction) == "out", col(Message.status) != "pending"),
                )
                .order_by(col(Message.id).desc())
                .limit(limit)
            ).all()
        return list(reversed(rows))

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

    def earlier_facts(
        self, conversation_id: int, *, before_id: int
    ) -> tuple[Message | None, int, list[HandoffEvent]]:
        """For a long conversation: its first customer message, how many messages came before
        `before_id`, and its last three handoffs."""
        with self.session() as session:
            first = session.exec(
                select(Message)
                .where(Message.conversation_id == conversation_id, Message.direction == "in")
                .order_by(col(Message.id))
                .limit(1)
            ).first()
            count = session.exec(
                select(func.count())
                .select_from(Message)
                .where(Message.conversation_id == conversation_id, col(Message.id) < before_id)
            ).one()
            handoffs = session.exec(
                select(HandoffEvent)
                .where(HandoffEvent.conversation_id == conversation_id)
                .order_by(col(HandoffEvent.id).desc())
                .limit(3)
            ).all()
        return first, int(count), list(reversed(handoffs))

    # -- turn results ------------------------------------------------------------------

    def save_turn(self, turn: TurnRecord) -> list[int]:
        """Write one turn's steps, handoffs, escalation and replies; return the outbox ids."""
        now = utcnow()
        with self.session() as session:
            conversation = session.get(Conversation, turn.conversation_id)
            if conversation is None:
                raise LookupError(f"conversation {turn.conversation_id} does not exist")
            for seq, step in enumerate(turn.steps):
                session.add(
                    RunStep(
                        conversation_id=turn.conversation_id,
                        turn_id=turn.turn_id,
                        seq=seq,
                        **asdict(step),
                    )
                )
                conversation.input_tokens += step.input_tokens
                conversation.output_tokens += step.output_tokens
                conversation.cache_write_tokens += step.cache_write_tokens
                conversation.cache_read_tokens += step.cache_read_tokens
                conversation.cost_usd += step.cost_usd
            for handoff in turn.handoffs:
                session.add(
                    HandoffEvent(
                        conversation_id=turn.conversation_id,
                        turn_id=turn.turn_id,
                        from_agent=handoff.from_agent,
                        to_agent=handoff.to_agent,
                        reason=handoff.reason,
                    )
                )
            if turn.escalation is not None:
                session.add(
                    Escalation(
                        conversation_id=turn.conversation_id,
                        reason=turn.escalation.reason,
                        summary=turn.escalation.summary,
                    )
                )
                conversation.status = "waiting_human"
            for message_id in turn.inbound_ids:
                session.execute(
                    update(Message)
                    .where(col(Message.id) == message_id)
                    .values(
                        status=turn.inbound_status,
                        error=turn.inbound_error,
                        turn_id=turn.turn_id,
                        language=turn.inbound_languages.get(message_id, turn.language),
                        updated_at=now,
                    )
                )
            replies = []
            for reply in turn.replies:
                message = Message(
                    conversation_id=turn.conversation_id,
                    channel=conversation.channel,
                    direction="out",
                    author=reply.author,
                    agent=reply.agent,
                    text=reply.text,
                    language=reply.language,
                    status="queued",
                    turn_id=turn.turn_id,
                )
                session.add(message)
                replies.append(message)
            session.flush()
            outbox = [
                OutboxItem(
                    message_id=message.id or 0,
                    conversation_id=turn.conversation_id,
                    channel=conversation.channel,
                )
                for message in replies
            ]
            session.add_all(outbox)
            conversation.language = turn.language
            conversation.active_agent = turn.active_agent
            conversation.updated_at = now
            session.add(conversation)
            session.commit()
            return [item.id or 0 for item in outbox]

    def latest_escalation(self, conversation_id: int) -> Escalation | None:
        """The conversation's newest escalation."""
        with self.session() as session:
            return session.exec(
                select(Escalation)
                .where(Escalation.conversation_id == conversation_id)
                .order_by(col(Escalation.id).desc())
            ).first()

    def set_escalation_ref(self, escalation_id: int, staff_ref: str) -> None:
        """Remember where staff were told (e.g. a Slack message ts)."""
        with self.session() as session:
            session.execute(
                update(Escalation)
                .where(col(Escalation.id) == escalation_id)
                .values(staff_ref=staff_ref)
            )
            session.commit()

    # -- outbox ------------------------------------------------------------------------

    def next_outbox(
        self, conversation_id: int
    ) -> tuple[OutboxItem, Message, Conversation, Contact] | None:
        """The conversation's oldest undelivered reply, with what addressing it needs."""
        with self.session() as session:
            row = session.exec(
                select(OutboxItem, Message, Conversation, Contact)
                .join(Message, col(Message.id) == OutboxItem.message_id)
                .join(Conversation, col(Conversation.id) == OutboxItem.conversation_id)
                .join(Contact, col(Contact.id) == Conversation.contact_id)
                .where(
                    OutboxItem.conversation_id == conversation_id,
                    OutboxItem.status == "pending",
                )
                .order_by(col(OutboxItem.id))
                .limit(1)
            ).first()
        return None if row is None else (row[0], row[1], row[2], row[3])

    def mark_sent(self, outbox_id: int, channel_message_id: str | None) -> None:
        """A reply reached the channel."""
        self._finish_outbox(outbox_id, "sent", "sent", None, channel_message_id)

    def mark_failed(self, outbox_id: int, reason: str, *, status: str = "failed") -> None:
        """A reply will not be delivered; keep why, for staff to see."""
        self._finish_outbox(outbox_id, "failed", status, reason, None)

    def mark_cancelled(self, outbox_id: int, reason: str) -> None:
        """A reply the bot may no longer send (a person took the conversation)."""
        self._finish_outbox(outbox_id, "cancelled", "cancelled", reason, None)

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
    ) -> None:
        now = utcnow()
        with self.session() as session:
            item = session.get(OutboxItem, outbox_id)
            if item is None:
                return
            item.status = outbox_status
            item.attempts += 1
            item.last_error = reason
            item.sent_at = now if outbox_status == "sent" else None
            values: dict[str, object] = {
                "status": message_status,
                "error": reason,
                "updated_at": now,
            }
            if channel_message_id:
                values["channel_message_id"] = channel_message_id
            session.add(item)
            session.execute(
                update(Message).where(col(Message.id) == item.message_id).values(**values)
            )
            session.commit()

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
