"""Who holds a conversation (`bot → waiting_human → with_human → bot | closed`), and what staff
do with it: claim, reply, note, resolve.

Every change of owner is a compare-and-set on `conversations.status`, written in the same
transaction as its `ownership_events` row, so two people acting at once get one winner.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from storage import statements as sql
from storage.base import StoreBase, storable
from storage.models import (
    Conversation,
    Escalation,
    Message,
    OutboxItem,
    OwnershipEvent,
    StaffInput,
    StaffNote,
    utcnow,
)

ESCALATED = ("waiting_human", "with_human")


class Actor(NamedTuple):
    """Who acts: `ref` says how they are known ("staff:3", "slack:U123", "cli"), `name` how
    they are shown."""

    ref: str
    name: str


class Claim(NamedTuple):
    """How a claim ended: `won`, or who holds the escalation instead (None: nobody can)."""

    won: bool
    escalation: Escalation | None
    holder: str | None = None


class StaffReply(NamedTuple):
    """A staff reply queued for delivery (its outbox id and message), or why it was not;
    `duplicate` when the same input (a retried event, a double submit) was taken before."""

    outbox_id: int | None
    message: Message | None
    refusal: str | None = None
    duplicate: bool = False


class StaffQueries(StoreBase):
    """Reading and changing who owns a conversation, and the staff's own writes."""

    def status(self, conversation_id: int) -> str | None:
        """Who owns the conversation right now."""
        with self._engine.connect() as connection:
            value = connection.execute(sql.CONVERSATION_STATUS, {"p_id": conversation_id}).scalar()
        return None if value is None else str(value)

    def escalation(self, escalation_id: int) -> Escalation | None:
        """One escalation by id."""
        with self._session() as session:
            return session.get(Escalation, escalation_id)

    def latest_escalation(self, conversation_id: int) -> Escalation | None:
        """The conversation's newest escalation."""
        with self._session() as session:
            return session.exec(
                select(Escalation)
                .where(Escalation.conversation_id == conversation_id)
                .order_by(col(Escalation.id).desc())
            ).first()

    def escalation_by_staff_ref(self, staff_ref: str) -> Escalation | None:
        """The escalation the staff channel shows at `staff_ref` (a Slack message's ts)."""
        with self._session() as session:
            return session.exec(select(Escalation).where(Escalation.staff_ref == staff_ref)).first()

    def set_staff_ref(self, escalation_id: int, staff_ref: str) -> None:
        """Remember where the staff channel shows the escalation."""
        with self._engine.begin() as connection:
            connection.execute(
                update(Escalation)
                .where(col(Escalation.id) == escalation_id)
                .values(staff_ref=staff_ref)
            )

    def claim(self, escalation_id: int, actor: Actor) -> Claim:
        """Take an open escalation: exactly one of any number of simultaneous claims wins."""
        now = utcnow()
        with self._session() as session, session.begin():
            won = (
                session.connection()
                .execute(
                    update(Escalation)
                    .where(col(Escalation.id) == escalation_id, col(Escalation.status) == "open")
                    .values(
                        status="claimed",
                        claimed_by=actor.name,
                        claimed_by_ref=actor.ref,
                        claimed_at=now,
                    )
                )
                .rowcount
            )
            escalation = session.get(Escalation, escalation_id, populate_existing=True)
            if not won or escalation is None:
                holder = escalation.claimed_by if escalation is not None else None
                return Claim(won=False, escalation=escalation, holder=holder)
            conversation = _locked(session, escalation.conversation_id)
            _move(session, conversation, "with_human", actor, escalation, now)
            return Claim(won=True, escalation=escalation)

    def resolve(self, conversation_id: int, actor: Actor, *, note: str | None) -> Escalation | None:
        """Hand an escalated conversation back to the bot (the router picks the next desk) and
        leave the agents a note of what the person did; None if it was not escalated."""
        now = utcnow()
        with self._session() as session, session.begin():
            conversation = _locked(session, conversation_id)
            if conversation is None or conversation.status not in ESCALATED:
                return None
            escalation = _newest_escalation(session, conversation_id)
            if escalation is not None and escalation.status != "resolved":
                escalation.status, escalation.resolved_at = "resolved", now
                escalation.resolved_by = actor.name
            conversation.active_agent = None
            _move(session, conversation, "bot", actor, escalation, now)
            # The agents read this in their history; it is never sent (it has no outbox row).
            handled = f"A person from the team ({actor.name}) handled this conversation."
            session.add(
                Message(
                    conversation_id=conversation_id,
                    channel=conversation.channel,
                    direction="out",
                    author="system",
                    text=storable(f"{handled} {note}" if note else handled),
                    status="internal",
                    created_at=now,
                    updated_at=now,
                )
            )
            return escalation

    def queue_staff_reply(
        self, conversation_id: int, actor: Actor, text: str, *, key: str | None = None
    ) -> StaffReply:
        """Queue the holder's reply to the customer; refused unless `actor` holds the
        conversation right now. `key` makes a retried input a no-op."""
        now = utcnow()
        with self._session() as session, session.begin():
            if key is not None and not _first_time(session, key):
                return StaffReply(None, None, duplicate=True)
            # The row lock keeps a resolve from landing between the check and the insert.
            conversation = _locked(session, conversation_id)
            escalation = _newest_escalation(session, conversation_id)
            if conversation is None or conversation.status != "with_human" or escalation is None:
                return StaffReply(None, None, "the conversation is not held by a person")
            if escalation.claimed_by_ref != actor.ref:
                return StaffReply(None, None, f"{escalation.claimed_by} holds this conversation")
            message = Message(
                conversation_id=conversation_id,
                channel=conversation.channel,
                direction="out",
                author="staff",
                author_name=actor.name[:100],
                text=storable(text),
                status="queued",
                created_at=now,
                updated_at=now,
            )
            session.add(message)
            session.flush()
            item = OutboxItem(
                message_id=message.id or 0,
                conversation_id=conversation_id,
                channel=conversation.channel,
                next_attempt_at=now,
                created_at=now,
            )
            session.add(item)
            if escalation.first_response_at is None:
                escalation.first_response_at = now
            session.flush()
            return StaffReply(item.id, message)

    def add_note(
        self, conversation_id: int, actor: Actor, text: str, *, source: str, key: str | None = None
    ) -> StaffNote | None:
        """Keep an internal note: staff see it; the customer and the agents never do. None when
        `key` was taken before."""
        note = StaffNote(
            conversation_id=conversation_id,
            author=actor.ref,
            author_name=actor.name,
            text=storable(text),
            source=source,
        )
        with self._session() as session, session.begin():
            if key is not None and not _first_time(session, key):
                return None
            session.add(note)
        return note

    def notes(self, conversation_id: int) -> list[StaffNote]:
        """A conversation's internal notes, oldest first."""
        with self._session() as session:
            return list(
                session.exec(
                    select(StaffNote)
                    .where(StaffNote.conversation_id == conversation_id)
                    .order_by(col(StaffNote.id))
                )
            )

    def ownership_events(self, conversation_id: int) -> list[OwnershipEvent]:
        """Every change of owner of a conversation, oldest first."""
        with self._session() as session:
            return list(
                session.exec(
                    select(OwnershipEvent)
                    .where(OwnershipEvent.conversation_id == conversation_id)
                    .order_by(col(OwnershipEvent.id))
                )
            )

    def take_reminders(self, *, unclaimed_since: datetime) -> list[Escalation]:
        """Open escalations nobody claimed since `unclaimed_since` and not announced again since
        then; each is marked announced here, so one replica announces it once per interval."""
        now = utcnow()
        with self._session() as session, session.begin():
            due = session.exec(
                select(Escalation)
                .where(
                    col(Escalation.status) == "open",
                    col(Escalation.created_at) <= unclaimed_since,
                    col(Escalation.reminded_at).is_(None)
                    | (col(Escalation.reminded_at) <= unclaimed_since),
                )
                .with_for_update(skip_locked=True)
            ).all()
            for escalation in due:
                escalation.reminded_at = now
            return list(due)

    def open_escalations(self) -> Sequence[Escalation]:
        """Escalations not resolved yet, oldest first."""
        with self._session() as session:
            return list(
                session.exec(
                    select(Escalation)
                    .where(col(Escalation.status) != "resolved")
                    .order_by(col(Escalation.id))
                )
            )


def _first_time(session: Session, key: str) -> bool:
    """Record `key`; False when it was recorded before (the transaction then does nothing)."""
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    # RETURNING, not rowcount: psycopg reports -1 rows for an INSERT … ON CONFLICT.
    inserted = session.execute(
        insert(StaffInput)
        .values(key=key[:128], created_at=utcnow())
        .on_conflict_do_nothing()
        .returning(col(StaffInput.key))
    ).first()
    return inserted is not None


def _locked(session: Session, conversation_id: int) -> Conversation | None:
    """The conversation, its row locked until the transaction ends (SQLite's BEGIN IMMEDIATE
    already holds the whole database)."""
    return session.exec(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    ).first()


def _newest_escalation(session: Session, conversation_id: int) -> Escalation | None:
    return session.exec(
        select(Escalation)
        .where(Escalation.conversation_id == conversation_id)
        .order_by(col(Escalation.id).desc())
    ).first()


def _move(
    session: Session,
    conversation: Conversation | None,
    to_status: str,
    actor: Actor,
    escalation: Escalation | None,
    now: datetime,
) -> None:
    """Change the owner and record who did it, from which state to which."""
    if conversation is None:
        return
    session.add(
        OwnershipEvent(
            conversation_id=conversation.id or 0,
            escalation_id=escalation.id if escalation is not None else None,
            from_status=conversation.status,
            to_status=to_status,
            actor=actor.ref,
            actor_name=actor.name,
            created_at=now,
        )
    )
    conversation.status, conversation.updated_at = to_status, now
