"""The one state machine for who holds a conversation: `bot → waiting_human → with_human →
bot | closed`. The Slack staff channel, the web inbox and the CLI all act through it.

Each change is a compare-and-set in the database (see `storage.staff`), so two people claiming
at once get one winner and the other is told who has it; the staff channel hears of every
change so it can show it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

from handoffs.channels import OwnerChange, StaffChannel
from storage.models import Escalation, StaffNote, utcnow
from storage.staff import Actor, Claim, StaffReply
from storage.store import Store

log = logging.getLogger(__name__)

MAX_STAFF_TEXT = 4000


class Ownership:
    """Claim, reply, note and resolve, for people; reminders for escalations nobody took."""

    def __init__(
        self,
        store: Store,
        wake_outbox: Callable[[int], None],
        staff: StaffChannel | None = None,
    ) -> None:
        self.store = store
        self.wake_outbox = wake_outbox
        self.staff = staff

    async def claim(self, escalation_id: int, actor: Actor) -> Claim:
        """Take an escalation; `won` False says who has it (or that it is gone)."""
        claim = await self.store.run(self.store.claim, escalation_id, actor)
        if claim.won and claim.escalation is not None:
            log.info("escalation %s claimed by %s", escalation_id, actor.ref)
            await self._tell("claimed", claim.escalation, actor.name)
        return claim

    async def reply(
        self, conversation_id: int, actor: Actor, text: str, *, key: str | None = None
    ) -> StaffReply:
        """Send the customer a reply from the person holding the conversation; `key` (the
        input's own id) makes a retried event or a double submit change nothing."""
        text = text.strip()
        if not text:
            return StaffReply(None, None, "the reply is empty")
        if len(text) > MAX_STAFF_TEXT:
            return StaffReply(None, None, f"the reply is longer than {MAX_STAFF_TEXT} characters")
        reply = await self.store.run(
            self.store.queue_staff_reply, conversation_id, actor, text, key=key
        )
        if reply.outbox_id is not None:
            self.wake_outbox(conversation_id)
        return reply

    async def note(
        self, conversation_id: int, actor: Actor, text: str, *, source: str, key: str | None = None
    ) -> StaffNote | None:
        """Keep an internal note; nothing reaches the customer. None when `key` was seen."""
        note_text = text.strip()[:MAX_STAFF_TEXT]
        return await self.store.run(
            self.store.add_note, conversation_id, actor, note_text, source=source, key=key
        )

    async def resolve(
        self, conversation_id: int, actor: Actor, *, note: str | None = None
    ) -> Escalation | None:
        """Hand the conversation back to the bot; None if no person held it."""
        escalation = await self.store.run(self.store.resolve, conversation_id, actor, note=note)
        if escalation is not None:
            log.info("conversation %s resolved by %s", conversation_id, actor.ref)
            await self._tell("resolved", escalation, actor.name)
        return escalation

    async def remind(self, *, unclaimed_minutes: float) -> list[Escalation]:
        """Announce again each escalation nobody claimed for `unclaimed_minutes` (once per
        interval across replicas)."""
        since = utcnow() - timedelta(minutes=unclaimed_minutes)
        due = await self.store.run(self.store.take_reminders, unclaimed_since=since)
        for escalation in due:
            await self._tell("reminder", escalation, None)
        return due

    async def remind_forever(self, *, unclaimed_minutes: float, every_seconds: float) -> None:
        """Run `remind` periodically until cancelled (the server does, beside the workers)."""
        while True:
            await asyncio.sleep(every_seconds)
            try:
                await self.remind(unclaimed_minutes=unclaimed_minutes)
            except Exception:
                log.exception("reminders failed; trying again in %.0f s", every_seconds)

    async def reply_failed(self, conversation_id: int, reason: str) -> None:
        """A staff reply was not delivered: tell the staff channel, which tells the holder."""
        if self.staff is None:
            return
        try:
            await self.staff.reply_failed(conversation_id, reason)
        except Exception:
            log.exception("conversation %s: could not tell staff a reply failed", conversation_id)

    async def _tell(self, kind: str, escalation: Escalation, actor_name: str | None) -> None:
        if self.staff is None:
            return
        change = OwnerChange(
            escalation_id=escalation.id or 0,
            conversation_id=escalation.conversation_id,
            kind=kind,
            actor_name=actor_name,
            at=utcnow(),
        )
        try:
            await self.staff.changed(change)
        except Exception:
            # The change is stored; only the staff channel's view of it is stale.
            log.exception("escalation %s: could not show %s in the staff channel", change, kind)
