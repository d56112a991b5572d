"""Staff accounts (the inbox's people, and who a Slack user is) and their saved replies."""

from __future__ import annotations

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from storage.base import StoreBase
from storage.models import SavedReply, StaffMember


class AccountExistsError(ValueError):
    """A staff account with that email already exists."""


class AccountQueries(StoreBase):
    """Adding, finding and removing staff accounts; saved replies."""

    def add_staff(
        self, email: str, name: str, *, password_hash: str | None, slack_user_id: str | None
    ) -> StaffMember:
        """Create an account; emails are compared without case."""
        member = StaffMember(
            email=email.strip().lower(),
            name=name.strip(),
            password_hash=password_hash,
            slack_user_id=slack_user_id,
        )
        with self._session() as session:
            session.add(member)
            try:
                session.commit()
            except IntegrityError as exc:
                raise AccountExistsError(f"{member.email} already has an account") from exc
            return member

    def staff_by_email(self, email: str) -> StaffMember | None:
        """The account with this email, if any."""
        with self._session() as session:
            return session.exec(
                select(StaffMember).where(StaffMember.email == email.strip().lower())
            ).first()

    def staff_member(self, staff_id: int) -> StaffMember | None:
        """One account by id."""
        with self._session() as session:
            return session.get(StaffMember, staff_id)

    def staff_by_slack_user(self, slack_user_id: str) -> StaffMember | None:
        """The account linked to a Slack user, if any."""
        with self._session() as session:
            return session.exec(
                select(StaffMember).where(StaffMember.slack_user_id == slack_user_id)
            ).first()

    def list_staff(self) -> list[StaffMember]:
        """Every account, by email."""
        with self._session() as session:
            return list(session.exec(select(StaffMember).order_by(col(StaffMember.email))))

    def remove_staff(self, email: str) -> bool:
        """Delete an account; False if there was none."""
        with self._session() as session, session.begin():
            removed = (
                session.connection()
                .execute(delete(StaffMember).where(col(StaffMember.email) == email.strip().lower()))
                .rowcount
            )
        return bool(removed)

    def count_staff(self) -> int:
        """How many accounts exist (the inbox's first screen says how to add one)."""
        with self._session() as session:
            return int(session.exec(select(func.count()).select_from(StaffMember)).one())

    def saved_replies(self, language: str | None = None) -> list[SavedReply]:
        """Saved replies, in one language or all, by title."""
        query = select(SavedReply).order_by(col(SavedReply.language), col(SavedReply.title))
        if language is not None:
            query = query.where(SavedReply.language == language)
        with self._session() as session:
            return list(session.exec(query))

    def save_reply(self, language: str, title: str, text: str) -> SavedReply:
        """Add a saved reply."""
        reply = SavedReply(language=language, title=title.strip()[:100], text=text.strip())
        with self._session() as session:
            session.add(reply)
            session.commit()
            return reply
