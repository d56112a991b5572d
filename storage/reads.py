"""Reading conversations whole, for operators, the API, the console and tests."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select

from storage import statements as sql
from storage.base import StoreBase
from storage.models import Contact, Conversation, Escalation, HandoffEvent, Message, RunStep


class OperatorReads(StoreBase):
    """Conversations, their messages, handoffs, run steps and escalations, as stored."""

    def conversation(self, conversation_id: int) -> Conversation | None:
        """One conversation, or None."""
        with self._session() as session:
            return session.get(Conversation, conversation_id)

    def conversation_and_contact(self, conversation_id: int) -> tuple[Conversation, Contact]:
        """A conversation with its contact; raises LookupError if it does not exist."""
        with self._session() as session:
            row = session.execute(sql.CONVERSATION_WITH_CONTACT, {"p_id": conversation_id}).first()
        if row is None:
            raise LookupError(f"conversation {conversation_id} does not exist")
        return row[0], row[1]

    def list_conversations(
        self,
        *,
        channel: str | None = None,
        contact: str | None = None,
        limit: int = 100,
    ) -> list[tuple[Conversation, Contact]]:
        """Conversations, newest first, optionally for one channel and one contact."""
        with self._session() as session:
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
        with self._session() as session:
            return list(
                session.exec(
                    select(Message)
                    .where(Message.conversation_id == conversation_id)
                    .order_by(col(Message.id))
                ).all()
            )

    def message(self, message_id: int) -> Message | None:
        """One message, or None."""
        with self._session() as session:
            return session.get(Message, message_id)

    def handoffs(self, conversation_id: int) -> list[HandoffEvent]:
        """The conversation's handoffs, oldest first."""
        with self._session() as session:
            return list(
                session.exec(
                    select(HandoffEvent)
                    .where(HandoffEvent.conversation_id == conversation_id)
                    .order_by(col(HandoffEvent.id))
                ).all()
            )

    def run_steps(self, conversation_id: int) -> list[RunStep]:
        """Every run step of a conversation, in order."""
        with self._session() as session:
            return list(
                session.exec(
                    select(RunStep)
                    .where(RunStep.conversation_id == conversation_id)
                    .order_by(col(RunStep.id))
                ).all()
            )

    def escalations(self, conversation_id: int | None = None) -> list[Escalation]:
        """Escalations, oldest first, for one conversation or all."""
        with self._session() as session:
            query = select(Escalation).order_by(col(Escalation.id))
            if conversation_id is not None:
                query = query.where(Escalation.conversation_id == conversation_id)
            return list(session.exec(query).all())

    def count_messages(self, *, direction: str | None = None) -> int:
        """How many messages exist (for tests, metrics and benchmarks)."""
        with self._session() as session:
            query = select(func.count()).select_from(Message)
            if direction:
                query = query.where(Message.direction == direction)
            return int(session.exec(query).one())
