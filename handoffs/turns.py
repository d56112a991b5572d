"""One turn of one conversation: detect the language, run the swarm (or relay), save it all.

What the model is shown is shaped in `handoffs.prompt`.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from itertools import takewhile

from agents.tools import ToolContext
from handoffs.channels import StaffChannel
from handoffs.hours import BusinessHours
from handoffs.language import detect_language, language_from_locale, language_from_phone
from handoffs.metrics import TURN_SECONDS, TURNS
from handoffs.packet import context_packet, notice_for
from handoffs.phrases import escalation_notice, phrase
from handoffs.prompt import earlier_note, history_items, joined, turn_text
from handoffs.swarm import Swarm, TurnInput, TurnResult
from storage.models import Contact, Conversation, Message, utcnow
from storage.outbox import OutboxWork
from storage.records import EscalationRecord, ReplyRecord, StepRecord, TurnRecord
from storage.store import Store

log = logging.getLogger(__name__)

DETECT_CHARS = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnSettings:
    """Knobs for how a turn reads the conversation."""

    default_language: str = "en"
    history_messages: int = 20
    max_input_chars: int = 4000
    staff_wait_minutes: int = 30


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnOutcome:
    """What a turn left to do: replies to deliver, and whether more messages wait."""

    replies: list[OutboxWork]
    more_pending: bool


class TurnRunner:
    """Answers a batch of pending messages as one turn and writes the outcome in one go."""

    def __init__(
        self,
        store: Store,
        swarm: Swarm,
        staff: StaffChannel | None,
        settings: TurnSettings,
        hours: BusinessHours | None = None,
    ) -> None:
        self.store = store
        self.swarm = swarm
        self.staff = staff
        self.settings = settings
        self.hours = hours or BusinessHours()

    async def run(self, conversation_id: int, window_seconds: float) -> TurnOutcome | None:
        """Answer the oldest unanswered message, with those that came within `window_seconds`
        of it, as one turn; None when nothing is waiting.

        Any failure is recorded, escalated and apologised for; the batch is never left pending.
        """
        conversation, contact, pending, history = await self.store.run(
            self.store.turn_context, conversation_id, history_limit=self.settings.history_messages
        )
        if not pending:
            return None
        batch = pending[:1]
        if window_seconds > 0:
            closes_at = pending[0].created_at + timedelta(seconds=window_seconds)
            batch = list(takewhile(lambda message: message.created_at <= closes_at, pending))
        turn_id = uuid.uuid4().hex
        started = time.perf_counter()
        languages = self._detect(conversation, contact, batch)
        language = languages[batch[-1].id or 0]
        base = partial(
            TurnRecord,
            conversation_id=conversation_id,
            turn_id=turn_id,
            inbound_ids=tuple(message.id or 0 for message in batch),
            language=language,
            inbound_languages=languages,
            active_agent=conversation.active_agent,
        )
        try:
            record = await self._answer(base, conversation, contact, history, batch, language)
        except Exception as exc:
            log.exception("conversation %s: turn %s failed", conversation_id, turn_id)
            record = self._failed(base, batch, language, exc)
        if record.escalation is not None:
            packet = context_packet(conversation, contact, record, history, batch)
            record = replace(record, escalation=replace(record.escalation, packet=packet))
        queued = await self.store.run(self.store.save_turn, record)
        TURN_SECONDS.observe(time.perf_counter() - started)
        TURNS.labels("escalated" if record.escalation else record.inbound_status).inc()
        if record.inbound_status == "relayed" and self.staff is not None:
            await self.staff.relayed(conversation_id, joined(batch))
        if record.escalation is not None:
            await self._notify_staff(conversation_id, record.escalation.reason)
        replies = [OutboxWork(item, message, conversation, contact) for item, message in queued]
        return TurnOutcome(replies=replies, more_pending=len(pending) > len(batch))

    def _detect(
        self, conversation: Conversation, contact: Contact, batch: Sequence[Message]
    ) -> dict[int, str]:
        prior = (
            language_from_phone(contact.phone)
            or language_from_locale(contact.locale)
            or contact.language
        )
        current = conversation.language
        languages: dict[int, str] = {}
        for message in batch:
            # The opening of a message says its language; scoring a whole paste costs time.
            guess = detect_language(
                message.text[:DETECT_CHARS],
                conversation_language=current,
                prior_language=prior,
                default_language=self.settings.default_language,
            )
            current = guess.language
            languages[message.id or 0] = current
        return languages

    async def _answer(
        self,
        base: Callable[..., TurnRecord],
        conversation: Conversation,
        contact: Contact,
        history: Sequence[Message],
        batch: Sequence[Message],
        language: str,
    ) -> TurnRecord:
        if conversation.status != "bot":
            # A person holds it (or is about to): the bot stays silent; staff see the message in
            # the inbox, and in the Slack thread when a staff channel is set.
            return base(inbound_status="relayed")
        text = turn_text(batch, self.settings.max_input_chars)
        if not text:
            return base(
                inbound_status="answered",
                steps=(StepRecord(kind="reply", output={"empty_input": True}),),
                replies=(
                    ReplyRecord(author="system", text=phrase("empty", language), language=language),
                ),
            )
        budgeted = self.swarm.limits.max_cost_per_conversation_usd is not None
        last_call_usd = (
            await self.store.run(self.store.last_call_cost, conversation.id or 0)
            if budgeted
            else 0.0
        )
        earlier = None
        if len(history) >= self.settings.history_messages > 0:
            facts = await self.store.run(
                self.store.earlier_facts, conversation.id or 0, before_id=history[0].id or 0
            )
            earlier = earlier_note(facts)
        turn = TurnInput(
            context=ToolContext(
                conversation_id=conversation.id or 0,
                channel=conversation.channel,
                contact=contact.external_id,
                phone=contact.phone,
                language=language,
            ),
            active_agent=conversation.active_agent,
            history=history_items(history, self.settings.max_input_chars),
            user_text=text,
            spent_usd=conversation.cost_usd,
            last_call_usd=last_call_usd,
            earlier=earlier,
        )

        checks = 0

        async def still_ours() -> bool:
            # The conversation was read under its lock just now; later calls in the turn ask the
            # database again, since a person may take over while the model thinks.
            nonlocal checks
            checks += 1
            if checks == 1:
                return True
            return await self.store.run(self.store.status, conversation.id or 0) == "bot"

        result = await self.swarm.run(turn, still_ours)
        return self._record(base, result, language, contact.phone)

    def _record(
        self, base: Callable[..., TurnRecord], result: TurnResult, language: str, phone: str | None
    ) -> TurnRecord:
        replies: list[ReplyRecord] = []
        if result.failure is not None:
            replies.append(
                ReplyRecord(author="system", text=phrase("failed", language), language=language)
            )
        elif result.reply:
            replies.append(
                ReplyRecord(
                    author="agent", agent=result.agent, text=result.reply, language=language
                )
            )
        if result.escalation is not None and result.failure is None:
            notice = escalation_notice(
                language,
                back_at=self.hours.back_at(utcnow(), phone),
                wait_minutes=self.settings.staff_wait_minutes,
            )
            replies.append(ReplyRecord(author="system", text=notice, language=language))
        status = "failed" if result.failure else "relayed" if result.aborted else "answered"
        return base(
            inbound_status=status,
            inbound_error=result.failure,
            active_agent=result.agent if result.pinned else None,
            steps=result.steps,
            handoffs=result.handoffs,
            replies=tuple(replies),
            escalation=result.escalation,
        )

    @staticmethod
    def _failed(
        base: Callable[..., TurnRecord], batch: Sequence[Message], language: str, exc: Exception
    ) -> TurnRecord:
        reason = f"could not answer: {type(exc).__name__}: {exc}"[:500]
        return base(
            inbound_status="failed",
            inbound_error=reason,
            steps=(StepRecord(kind="error", output={"error": reason}),),
            replies=(
                ReplyRecord(author="system", text=phrase("failed", language), language=language),
            ),
            escalation=EscalationRecord(reason=reason, summary=joined(batch)[:500]),
        )

    async def _notify_staff(self, conversation_id: int, reason: str) -> None:
        if self.staff is None:
            log.info(
                "conversation %s escalated (%s); it waits in the inbox", conversation_id, reason
            )
            return
        saved = await self.store.run(self.store.latest_escalation, conversation_id)
        if saved is None:
            return
        try:
            await self.staff.escalated(notice_for(saved))
        except Exception:
            # The escalation is stored and visible in the inbox even if the notice fails.
            log.exception("conversation %s: could not notify staff", conversation_id)
