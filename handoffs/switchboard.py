"""The pipeline: receive() stores and returns; workers answer in order; the outbox delivers."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from handoffs.channels import ChannelSender, InboundMessage, StaffChannel
from handoffs.delivery import Deliverer, DeliveryRetryPolicy
from handoffs.dispatcher import Dispatcher
from handoffs.hours import BusinessHours
from handoffs.language import detect_language
from handoffs.metrics import INBOUND
from handoffs.ownership import Ownership
from handoffs.swarm import Swarm
from handoffs.turns import TurnRunner, TurnSettings
from storage.models import utcnow
from storage.records import InboundRecord, Stored
from storage.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class SwitchboardConfig:
    """How the pipeline batches, reads history and retries sends."""

    debounce_seconds: float = 1.5
    turn: TurnSettings = field(default_factory=TurnSettings)
    retry: DeliveryRetryPolicy = field(default_factory=DeliveryRetryPolicy)
    hours: BusinessHours = field(default_factory=BusinessHours)
    remind_minutes: float = 15.0


class Switchboard:
    """Receives messages from every channel and sees each one answered exactly once."""

    def __init__(
        self,
        store: Store,
        swarm: Swarm,
        config: SwitchboardConfig | None = None,
        *,
        staff: StaffChannel | None = None,
    ) -> None:
        self.store = store
        self.config = config or SwitchboardConfig()
        self.senders: dict[str, ChannelSender] = {}
        self.turns = TurnRunner(store, swarm, staff, self.config.turn, self.config.hours)
        self.ownership = Ownership(store, lambda c: self.wake(c, outbox=True), staff)
        self.deliverer = Deliverer(
            store, self.senders, self.config.retry, self.ownership.reply_failed
        )
        self.dispatcher = Dispatcher(self._work)
        # Conversations whose outbox may hold replies no turn of this process queued.
        self._recovering: set[int] = set()
        self._reminders: asyncio.Task[None] | None = None

    def set_staff_channel(self, staff: StaffChannel) -> None:
        """Where escalations, relayed messages and owner changes are shown (Slack's staff
        channel); without one, people work from the web inbox alone."""
        self.turns.staff = staff
        self.ownership.staff = staff

    def add_sender(self, sender: ChannelSender) -> None:
        """Register the sender for one channel."""
        self.senders[sender.channel] = sender

    async def receive(self, message: InboundMessage) -> Stored:
        """Store one inbound message (idempotently) and schedule its answer; returns at once."""
        record = InboundRecord(
            channel=message.channel,
            channel_message_id=message.channel_message_id,
            sender=message.sender,
            thread_key=message.thread_key,
            text=message.text,
            received_at=message.received_at or utcnow(),
            sender_name=message.sender_name,
            phone=message.phone,
            reply_address=message.reply_address,
            locale=message.locale,
            timezone=message.timezone,
            media=tuple(asdict(item) for item in message.media),
        )
        stored = await self.store.run(self.store.store_inbound, record)
        INBOUND.labels(message.channel, str(stored.duplicate).lower()).inc()
        if stored.duplicate:
            log.info("duplicate %s message %s ignored", message.channel, message.channel_message_id)
        else:
            self.dispatcher.wake(stored.conversation_id)
        return stored

    def wake(self, conversation_id: int, *, outbox: bool = False) -> None:
        """Ask for the conversation's pending work; `outbox` when replies were queued outside a
        turn (e.g. staff wrote one)."""
        if outbox:
            self._recovering.add(conversation_id)
        self.dispatcher.wake(conversation_id)

    async def start(self, *, resume: bool = True) -> int:
        """Get ready to answer; with `resume`, pick up every conversation with unanswered
        messages or undelivered replies (the server does; `frontdesk chat` beside it must not)."""
        # The language models load on first use (~0.7 s); load them before a customer waits.
        await asyncio.to_thread(detect_language, "warm up")
        if not resume:
            return 0
        if self._reminders is None:
            minutes = self.config.remind_minutes
            self._reminders = asyncio.create_task(
                self.ownership.remind_forever(
                    unclaimed_minutes=minutes, every_seconds=min(60.0, max(0.2, minutes * 15))
                ),
                name="staff-reminders",
            )
        conversation_ids = await self.store.run(self.store.conversations_with_work)
        for conversation_id in conversation_ids:
            self.wake(conversation_id, outbox=True)
        if conversation_ids:
            log.info("resuming %d conversations with pending work", len(conversation_ids))
        return len(conversation_ids)

    async def drain(self) -> None:
        """Wait until every conversation's work is done (tests, the console, shutdown)."""
        await self.dispatcher.drain()

    async def close(self) -> None:
        """Stop the workers; what they did not finish is resumed by the next `start()`."""
        if self._reminders is not None:
            self._reminders.cancel()
            await asyncio.gather(self._reminders, return_exceptions=True)
            self._reminders = None
        await self.dispatcher.close()

    async def _work(self, conversation_id: int) -> None:
        try:
            await self._answer_and_deliver(conversation_id)
        except Exception:
            # Replies this run queued may be undelivered; the retry must look for them.
            self._recovering.add(conversation_id)
            raise

    async def _answer_and_deliver(self, conversation_id: int) -> None:
        lock = self.dispatcher.lock(conversation_id)
        if conversation_id in self._recovering:
            self._recovering.discard(conversation_id)
            await self.deliverer.deliver(conversation_id, lock)
        while True:
            await self._wait_for_burst(conversation_id)
            async with lock:
                outcome = await self.turns.run(conversation_id, self.config.debounce_seconds)
            if outcome is None:
                return
            await self.deliverer.deliver(conversation_id, lock, outcome.replies)
            # Messages that arrive from here on wake the dispatcher, which runs this again.
            if not outcome.more_pending:
                return

    async def _wait_for_burst(self, conversation_id: int) -> None:
        """Let the burst that began with the oldest unanswered message finish arriving."""
        window = self.config.debounce_seconds
        if window <= 0:
            return
        oldest = await self.store.run(self.store.oldest_pending_at, conversation_id)
        if oldest is not None:
            wait = (oldest + timedelta(seconds=window) - utcnow()).total_seconds()
            if wait > 0:
                await asyncio.sleep(wait)
