"""Delivers a conversation's outbox in order, with retries and backoff; failures are kept."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from agents.errors import PermanentSendError, TransientSendError
from handoffs.channels import ChannelSender, OutboundMessage
from handoffs.metrics import DELIVERIES
from storage.models import Contact, Conversation, Message, OutboxItem, utcnow
from storage.outbox import OutboxWork
from storage.store import Store

log = logging.getLogger(__name__)

BOT_AUTHORS = ("agent", "system")


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryRetryPolicy:
    """How often and how patiently to retry a send that may succeed later."""

    max_attempts: int = 5
    base_seconds: float = 1.0
    max_seconds: float = 60.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        backoff: float = self.base_seconds * 2 ** (attempt - 1)
        return min(max(backoff, retry_after or 0.0), self.max_seconds)


class Deliverer:
    """Sends pending outbox rows through each channel's sender."""

    def __init__(
        self,
        store: Store,
        senders: Mapping[str, ChannelSender],
        policy: DeliveryRetryPolicy,
        on_staff_failure: Callable[[int, str], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.senders = senders
        self.policy = policy
        # Told when a person's reply fails, so they learn it did not reach the customer.
        self.on_staff_failure = on_staff_failure

    async def deliver(
        self, conversation_id: int, lock: asyncio.Lock, fresh: Sequence[OutboxWork] | None = None
    ) -> None:
        """Deliver `fresh` replies (a turn just wrote them) in order, or, without them,
        everything the conversation has pending (after a restart); retries wait outside the lock.
        """
        queue: list[OutboxWork | int] | None = None if fresh is None else list(fresh)
        while True:
            async with lock:
                work = await self._next(conversation_id, queue)
                if work is None:
                    return
                wait = (work.item.next_attempt_at - utcnow()).total_seconds()
                if wait <= 0:
                    if await self._attempt(*work) and queue:
                        queue.pop(0)
                    continue
            await asyncio.sleep(wait)

    async def _next(
        self, conversation_id: int, queue: list[OutboxWork | int] | None
    ) -> OutboxWork | None:
        if queue is None:
            return await self.store.run(self.store.next_outbox, conversation_id)
        while queue:
            head = queue[0]
            if isinstance(head, OutboxWork):
                # A fresh reply is sent as written, but who owns the conversation is read now,
                # under the lock: a person may have claimed it since the turn. Any later attempt
                # reads the whole row again.
                queue[0] = head.item.id or 0
                status = await self.store.run(self.store.status, conversation_id)
                head.conversation.status = status or head.conversation.status
                return head
            work = await self.store.run(self.store.outbox_work, head)
            if work is not None:
                return work
            queue.pop(0)  # settled meanwhile
        return None

    async def _attempt(
        self, item: OutboxItem, message: Message, conversation: Conversation, contact: Contact
    ) -> bool:
        """Try one send; True when the row is settled (sent, failed or cancelled)."""
        outbox_id = item.id or 0
        if message.author in BOT_AUTHORS and conversation.status in ("with_human", "closed"):
            await self.store.run(
                self.store.mark_cancelled, outbox_id, f"conversation is {conversation.status}"
            )
            return True
        sender = self.senders.get(item.channel)
        if sender is None:
            reason = f"no sender configured for channel {item.channel}"
            log.error("outbox %s: %s", outbox_id, reason)
            await self._fail(item, message, reason)
            return True
        outbound = _outbound(item, message, conversation, contact)
        attempt = item.attempts + 1
        try:
            receipt = await sender.send(outbound)
        except TransientSendError as exc:
            return await self._retry_later(item, message, attempt, exc.reason, exc.retry_after)
        except Exception as exc:
            # Only what a sender calls transient is retried. A permanent refusal, and anything a
            # sender did not expect (a bug), fails the reply with its reason for staff to see,
            # instead of being retried as if the network had blinked.
            if isinstance(exc, PermanentSendError):
                reason = exc.reason
                log.warning("outbox %s: permanent send failure: %s", outbox_id, reason)
            else:
                reason = f"sender error: {type(exc).__name__}: {exc}"[:500]
                log.exception("outbox %s: the %s sender failed", outbox_id, item.channel)
            await self._fail(item, message, reason)
            return True
        await self.store.run(
            self.store.mark_sent, outbox_id, receipt.channel_message_id, attempts=item.attempts
        )
        DELIVERIES.labels(item.channel, "sent").inc()
        return True

    async def _fail(self, item: OutboxItem, message: Message, reason: str) -> None:
        await self.store.run(self.store.mark_failed, item.id or 0, reason, attempts=item.attempts)
        DELIVERIES.labels(item.channel, "failed").inc()
        if message.author == "staff" and self.on_staff_failure is not None:
            await self.on_staff_failure(message.conversation_id, reason)

    async def _retry_later(
        self,
        item: OutboxItem,
        message: Message,
        attempt: int,
        reason: str,
        retry_after: float | None,
    ) -> bool:
        """Schedule the next attempt, or fail the reply when attempts are used up."""
        outbox_id = item.id or 0
        if attempt >= self.policy.max_attempts:
            log.warning("outbox %s: giving up after %s attempts: %s", outbox_id, attempt, reason)
            await self._fail(item, message, f"{reason} (after {attempt} attempts)")
            return True
        delay = self.policy.delay(attempt, retry_after)
        log.info(
            "outbox %s: attempt %s failed (%s); retrying in %.1fs",
            outbox_id,
            attempt,
            reason,
            delay,
        )
        next_at = utcnow() + timedelta(seconds=delay)
        await self.store.run(self.store.mark_retry, outbox_id, reason, next_at)
        DELIVERIES.labels(item.channel, "retry").inc()
        return False


def _outbound(
    item: OutboxItem, message: Message, conversation: Conversation, contact: Contact
) -> OutboundMessage:
    return OutboundMessage(
        message_id=message.id or 0,
        conversation_id=conversation.id or 0,
        channel=item.channel,
        thread_key=conversation.thread_key,
        recipient=contact.reply_address or contact.external_id,
        # A person's reply is signed with their name, so the customer knows who wrote.
        text=f"{message.text}\n— {message.author_name}" if message.author_name else message.text,
        language=message.language or conversation.language or "en",
        author=message.author,
        agent=message.agent,
        attempt=item.attempts + 1,
        last_inbound_at=conversation.last_inbound_at,
    )
