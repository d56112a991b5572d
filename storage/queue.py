"""What the staff web inbox reads: the queue of conversations, a cheap mark of whether a
conversation changed (for live pages), and the playground's way back to its conversation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, type_coerce
from sqlalchemy import select as select_columns
from sqlmodel import col, select

from storage.base import StoreBase
from storage.models import Contact, Conversation, Escalation, Message, SavedReply, StaffNote

QUEUE_LIMIT = 100
ESCALATED = ("waiting_human", "with_human")


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueFilter:
    """Which conversations the queue shows. `status` "escalated" means waiting or held;
    `holder_ref` keeps those a person ("staff:3") holds right now."""

    status: str | None = None
    channel: str | None = None
    desk: str | None = None
    language: str | None = None
    holder_ref: str | None = None
    limit: int = QUEUE_LIMIT


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueRow:
    """One conversation as the queue lists it."""

    conversation_id: int
    channel: str
    status: str
    desk: str | None
    language: str | None
    activity_at: datetime
    contact_name: str | None
    contact_number: str
    holder: str | None
    holder_ref: str | None
    # When the open escalation began (None when nothing is escalated).
    escalated_at: datetime | None
    reason: str | None
    last_author: str | None
    last_text: str | None


class InboxQueries(StoreBase):
    """The inbox's reads, each one statement."""

    def inbox_queue(self, wanted: QueueFilter) -> list[QueueRow]:
        """Conversations, newest activity first, with their contact, holder and last message,
        in one query (the latest escalation and message are joined by correlated max(id))."""
        last_message = (
            select(func.max(Message.id))
            .where(col(Message.conversation_id) == col(Conversation.id))
            .correlate(Conversation)
            .scalar_subquery()
        )
        last_escalation = (
            select(func.max(Escalation.id))
            .where(col(Escalation.conversation_id) == col(Conversation.id))
            .correlate(Conversation)
            .scalar_subquery()
        )
        # A staff reply does not touch the conversation row, so the last message counts too.
        activity = type_coerce(
            case(
                (col(Message.created_at) > col(Conversation.updated_at), col(Message.created_at)),
                else_=col(Conversation.updated_at),
            ),
            Conversation.__table__.c.updated_at.type,  # type: ignore[attr-defined]
        )
        query: Any = (
            select_columns(
                col(Conversation.id),
                col(Conversation.channel),
                col(Conversation.status),
                col(Conversation.active_agent),
                col(Conversation.language),
                activity.label("activity_at"),
                col(Contact.display_name),
                col(Contact.phone),
                col(Contact.external_id),
                col(Escalation.status),
                col(Escalation.claimed_by),
                col(Escalation.claimed_by_ref),
                col(Escalation.created_at),
                col(Escalation.reason),
                col(Message.author),
                func.substr(col(Message.text), 1, 200),
            )
            .join(Contact, col(Contact.id) == col(Conversation.contact_id))
            .outerjoin(Escalation, col(Escalation.id) == last_escalation)
            .outerjoin(Message, col(Message.id) == last_message)
        )
        query = _filtered(query, wanted)
        query = query.order_by(activity.desc(), col(Conversation.id).desc())
        query = query.limit(max(1, min(wanted.limit, QUEUE_LIMIT)))
        with self._session() as session:
            return [_row(values) for values in session.execute(query).all()]

    def inbox_counts(self, holder_ref: str) -> dict[str, int]:
        """How many conversations wait for a person, and how many `holder_ref` holds."""
        holder_of_latest = (
            select(col(Escalation.claimed_by_ref))
            .where(col(Escalation.conversation_id) == col(Conversation.id))
            .order_by(col(Escalation.id).desc())
            .limit(1)
            .correlate(Conversation)
            .scalar_subquery()
        )
        waiting = func.sum(case((col(Conversation.status) == "waiting_human", 1), else_=0))
        mine = func.sum(
            case(
                (
                    (col(Conversation.status) == "with_human") & (holder_of_latest == holder_ref),
                    1,
                ),
                else_=0,
            )
        )
        query = select(waiting, mine).where(col(Conversation.status).in_(ESCALATED))
        with self._session() as session:
            row = session.execute(query).one()
        return {"unclaimed": int(row[0] or 0), "mine": int(row[1] or 0)}

    def transcript_mark(self, conversation_id: int) -> str | None:
        """A value that changes whenever anything shown on a conversation's page does: a new or
        updated message (delivery status), a note, a change of owner. None: no such
        conversation."""

        def of_messages(value: Any) -> Any:
            return (
                select(value)
                .where(col(Message.conversation_id) == conversation_id)
                .scalar_subquery()
            )

        notes = (
            select(func.max(col(StaffNote.id)))
            .where(col(StaffNote.conversation_id) == conversation_id)
            .scalar_subquery()
        )
        statement = select_columns(
            col(Conversation.status),
            col(Conversation.updated_at),
            of_messages(func.count()),
            of_messages(func.max(col(Message.updated_at))),
            notes,
        ).where(col(Conversation.id) == conversation_id)
        with self._session() as session:
            row = session.execute(statement).first()
        return None if row is None else "|".join(str(value) for value in row)

    def latest_conversation_id(self, channel: str, thread_key: str) -> int | None:
        """The newest conversation of one thread on one channel (the playground's customer)."""
        with self._session() as session:
            return session.exec(
                select(col(Conversation.id))
                .where(Conversation.channel == channel, Conversation.thread_key == thread_key)
                .order_by(col(Conversation.id).desc())
                .limit(1)
            ).first()

    def seed_saved_replies(self, defaults: Sequence[tuple[str, str, str]]) -> int:
        """Add `(language, title, text)` replies when there are none yet; how many were added."""
        with self._session() as session, session.begin():
            if session.exec(select(func.count()).select_from(SavedReply)).one():
                return 0
            for language, title, text in defaults:
                session.add(SavedReply(language=language, title=title, text=text))
        return len(defaults)


def _filtered(query: Any, wanted: QueueFilter) -> Any:
    if wanted.status == "escalated":
        query = query.where(col(Conversation.status).in_(ESCALATED))
    elif wanted.status:
        query = query.where(col(Conversation.status) == wanted.status)
    if wanted.channel:
        query = query.where(col(Conversation.channel) == wanted.channel)
    if wanted.desk:
        query = query.where(col(Conversation.active_agent) == wanted.desk)
    if wanted.language:
        query = query.where(col(Conversation.language) == wanted.language)
    if wanted.holder_ref:
        query = query.where(
            col(Conversation.status) == "with_human",
            col(Escalation.claimed_by_ref) == wanted.holder_ref,
        )
    return query


def _row(values: Sequence[Any]) -> QueueRow:
    (conversation_id, channel, status, desk, language, activity_at, name, phone, external_id,
     escalation_status, holder, holder_ref, escalated_at, reason, last_author, last_text,
     ) = values  # fmt: skip
    open_escalation = escalation_status is not None and escalation_status != "resolved"
    held = status == "with_human"
    return QueueRow(
        conversation_id=conversation_id,
        channel=channel,
        status=status,
        desk=desk,
        language=language,
        activity_at=activity_at,
        contact_name=name,
        contact_number=phone or external_id,
        holder=holder if held else None,
        holder_ref=holder_ref if held else None,
        escalated_at=escalated_at if open_escalation else None,
        reason=reason if open_escalation else None,
        last_author=last_author,
        last_text=last_text,
    )
