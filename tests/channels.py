"""A `test` channel for engine tests: it records what was sent and can fail on demand."""

from __future__ import annotations

import itertools
from collections import deque
from datetime import datetime

from sqlalchemy import Engine

from bots.service import Service, build_service
from bots.settings import Settings
from handoffs.channels import InboundMessage, OutboundMessage, SendReceipt
from storage.models import utcnow
from storage.store import Store

_ids = itertools.count(1)


class RecordingSender:
    """Implements the ChannelSender protocol; `fail_next` queues errors to raise."""

    channel = "test"

    def __init__(self) -> None:
        self.sent: list[OutboundMessage] = []
        self.attempts = 0
        self.fail_next: deque[Exception] = deque()

    async def send(self, message: OutboundMessage) -> SendReceipt:
        self.attempts += 1
        if self.fail_next:
            raise self.fail_next.popleft()
        self.sent.append(message)
        return SendReceipt(channel_message_id=f"test-out-{message.message_id}")

    def texts(self, recipient: str | None = None) -> list[str]:
        """Texts sent, optionally to one recipient, in send order."""
        return [m.text for m in self.sent if recipient is None or m.recipient == recipient]


def inbound(
    text: str,
    *,
    sender: str = "test:+5215512345678",
    phone: str | None = "+5215512345678",
    message_id: str | None = None,
    thread_key: str | None = None,
    received_at: datetime | None = None,
) -> InboundMessage:
    """A customer message on the `test` channel."""
    return InboundMessage(
        channel="test",
        channel_message_id=message_id or f"in-{next(_ids)}",
        sender=sender,
        thread_key=thread_key or sender,
        text=text,
        phone=phone,
        received_at=received_at or utcnow(),
    )


async def answer_one(
    settings: Settings, engine: Engine, words: str
) -> tuple[Service, RecordingSender]:
    """Build a service from `settings`, have it answer one customer message, and close it."""
    service = build_service(settings, store=Store(engine))
    service.switchboard.add_sender(sender := RecordingSender())
    try:
        await service.switchboard.receive(inbound(words))
        await service.switchboard.drain()
    finally:
        await service.close()
    return service, sender
