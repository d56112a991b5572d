"""Who holds a conversation (`bot → waiting_human → with_human → bot | closed`) and its
escalations to people."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col, select

from storage import statements as sql
from storage.base import StoreBase
from storage.models import Conversation, Escalation, utcnow


class OwnershipQueries(StoreBase):
    """Reading and changing who owns a conversation."""

    def status(self, conversation_id: int) -> str | None:
        """Who owns the conversation right now."""
        with self._engine.connect() as connection:
            value = connection.execute(sql.CONVERSATION_STATUS, {"p_id": conversation_id}).scalar()
        return None if value is None else str(value)

    def latest_escalation(self, conversation_id: int) -> Escalation | None:
        """The conversation's newest escalation."""
        with self._session() as session:
            return session.exec(
                select(Escalation)
                .where(Escalation.conversation_id == conversation_id)
                .order_by(col(Escalation.id).desc())
            ).first()

    def hand_back(self, conversation_id: int) -> bool:
        """Return an escalated conversation to the bot and resolve its open escalations;
        False if there is no such escalated conversation."""
        now = utcnow()
        with self._engine.begin() as connection:
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
