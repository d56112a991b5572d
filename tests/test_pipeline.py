"""The pipeline end to end on a real database: receive, dispatch in order, deliver, recover."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Engine

from agents.errors import PermanentSendError, TransientSendError
from agents.models.base import ModelRequest, ModelResponse
from bots.service import Service, build_service
from handoffs.channels import InboundMessage, OutboundMessage, SendReceipt
from storage.models import utcnow
from storage.store import Store
from tests.channels import RecordingSender, inbound
from tests.conftest import make_settings
from tests.models import EchoProvider
from tests.waiting import wait_until


@pytest.fixture
async def echo(any_engine: Engine, sqlite_url: str) -> AsyncIterator[Service]:
    """A service whose model echoes the customer, so replies show which message they answer;
    on SQLite and on PostgreSQL."""
    service = build_service(
        make_settings(sqlite_url), store=Store(any_engine), provider=EchoProvider()
    )
    service.switchboard.add_sender(RecordingSender())
    yield service
    await service.switchboard.close()


def _sender(service: Service) -> RecordingSender:
    sender = service.switchboard.senders["test"]
    assert isinstance(sender, RecordingSender)
    return sender


async def test_redelivered_message_is_stored_once_and_answered_once(echo: Service) -> None:
    first = await echo.switchboard.receive(inbound("hello there", message_id="SM1"))
    again = await echo.switchboard.receive(inbound("hello there", message_id="SM1"))
    await echo.switchboard.drain()
    third = await echo.switchboard.receive(inbound("hello there", message_id="SM1"))
    await echo.switchboard.drain()

    assert not first.duplicate and again.duplicate and third.duplicate
    assert again.message_id == first.message_id == third.message_id
    assert echo.store.count_messages(direction="in") == 1
    assert _sender(echo).texts() == ["echo: hello there"]


async def test_concurrent_conversations_are_answered_in_order_once_each(echo: Service) -> None:
    messages = [
        inbound(f"c{c} message {i}", sender=f"test:+52155500{c:04d}", phone=f"+52155500{c:04d}")
        for i in range(10)
        for c in range(20)
    ]
    await asyncio.gather(*(echo.switchboard.receive(m) for m in messages))
    await echo.switchboard.drain()

    sender = _sender(echo)
    assert len(sender.sent) == 200
    for c in range(20):
        contact = f"test:+52155500{c:04d}"
        [(conversation, _)] = echo.store.list_conversations(contact=contact)
        stored = [m for m in echo.store.messages(conversation.id or 0) if m.direction == "in"]
        assert [m.status for m in stored] == ["answered"] * 10
        # Arrival order is the order the store gave the messages; replies follow it exactly.
        assert sender.texts(contact) == [f"echo: {m.text}" for m in stored]
        assert sorted(sender.texts(contact)) == sorted(f"echo: c{c} message {i}" for i in range(10))


async def test_burst_within_debounce_window_is_answered_as_one_turn(
    engine: Engine, sqlite_url: str
) -> None:
    settings = make_settings(sqlite_url, debounce_seconds=0.3)
    service = build_service(settings, store=Store(engine), provider=EchoProvider())
    service.switchboard.add_sender(sender := RecordingSender())
    try:
        for words in ("hi", "my internet", "is down"):
            await service.switchboard.receive(inbound(words))
        await service.switchboard.drain()
    finally:
        await service.switchboard.close()
    assert sender.texts() == ["echo: hi\nmy internet\nis down"]


async def test_unanswered_message_is_answered_once_after_restart(
    engine: Engine, sqlite_url: str
) -> None:
    crashed = build_service(make_settings(sqlite_url), store=Store(engine), provider=EchoProvider())
    await crashed.switchboard.close()  # acknowledged, then the process died before answering
    await crashed.switchboard.receive(inbound("are you there?"))
    assert crashed.store.conversations_with_work() != []

    restarted = build_service(
        make_settings(sqlite_url), store=Store(engine), provider=EchoProvider()
    )
    restarted.switchboard.add_sender(sender := RecordingSender())
    assert await restarted.switchboard.start() == 1
    await restarted.switchboard.drain()
    assert await restarted.switchboard.start() == 0
    await restarted.switchboard.drain()
    await restarted.switchboard.close()
    assert sender.texts() == ["echo: are you there?"]


class HangingSender:
    """A channel that never answers, as if the process died mid-send."""

    channel = "test"

    async def send(self, message: OutboundMessage) -> SendReceipt:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_undelivered_reply_is_delivered_once_after_restart(
    engine: Engine, sqlite_url: str
) -> None:
    crashed = build_service(make_settings(sqlite_url), store=Store(engine), provider=EchoProvider())
    crashed.switchboard.add_sender(HangingSender())
    await crashed.switchboard.receive(inbound("please answer"))
    # The precondition: the reply was written to the outbox before the "crash".
    await wait_until(
        lambda: crashed.store.count_messages(direction="out") == 1, what="the reply to be queued"
    )
    await crashed.switchboard.close()
    assert [m.status for m in crashed.store.messages(1)] == ["answered", "queued"]

    restarted = build_service(
        make_settings(sqlite_url), store=Store(engine), provider=EchoProvider()
    )
    restarted.switchboard.add_sender(sender := RecordingSender())
    await restarted.switchboard.start()
    await restarted.switchboard.drain()
    await restarted.switchboard.close()
    assert sender.texts() == ["echo: please answer"]
    assert [m.status for m in restarted.store.messages(1)] == ["answered", "sent"]


async def test_transient_send_errors_are_retried_then_delivered(echo: Service) -> None:
    sender = _sender(echo)
    sender.fail_next.extend([TransientSendError("429 rate limited"), TransientSendError("503")])
    await echo.switchboard.receive(inbound("retry me"))
    await echo.switchboard.drain()
    assert sender.attempts == 3
    assert sender.texts() == ["echo: retry me"]


async def test_permanent_send_error_is_recorded_not_retried(echo: Service) -> None:
    sender = _sender(echo)
    sender.fail_next.append(PermanentSendError("invalid number", code="21211"))
    stored = await echo.switchboard.receive(inbound("hello"))
    await echo.switchboard.drain()
    assert sender.attempts == 1
    [_, reply] = echo.store.messages(stored.conversation_id)
    assert (reply.status, reply.error) == ("failed", "invalid number")


async def test_a_bug_in_a_sender_fails_the_reply_once_and_is_not_retried(echo: Service) -> None:
    sender = _sender(echo)
    sender.fail_next.append(KeyError("recipient"))
    stored = await echo.switchboard.receive(inbound("hello"))
    await echo.switchboard.drain()
    assert sender.attempts == 1
    [_, reply] = echo.store.messages(stored.conversation_id)
    assert (reply.status, reply.error) == ("failed", "sender error: KeyError: 'recipient'")
    # The conversation goes on: the next reply is sent.
    await echo.switchboard.receive(inbound("still there?"))
    await echo.switchboard.drain()
    assert sender.texts() == ["echo: still there?"]


async def test_send_that_keeps_failing_is_marked_failed_after_max_attempts(echo: Service) -> None:
    sender = _sender(echo)
    sender.fail_next.extend(TransientSendError("connection reset") for _ in range(10))
    stored = await echo.switchboard.receive(inbound("hello"))
    await echo.switchboard.drain()
    assert sender.attempts == 5
    [_, reply] = echo.store.messages(stored.conversation_id)
    assert reply.status == "failed"
    assert reply.error == "connection reset (after 5 attempts)"


async def test_reply_without_a_channel_sender_is_marked_failed(echo: Service) -> None:
    stored = await echo.switchboard.receive(
        InboundMessage(
            channel="nowhere",
            channel_message_id="x1",
            sender="nowhere:1",
            thread_key="nowhere:1",
            text="hello",
            received_at=utcnow(),
        )
    )
    await echo.switchboard.drain()
    [_, reply] = echo.store.messages(stored.conversation_id)
    assert reply.status == "failed"
    assert reply.error == "no sender configured for channel nowhere"


class Gate(EchoProvider):
    """Echoes, holding the first answer until `open` is set; records what each call saw."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.seen: list[list[str]] = []

    async def respond(self, request: ModelRequest) -> ModelResponse:
        if request.agent != "router":
            self.seen.append([getattr(item, "text", "") for item in request.transcript])
            await self.open.wait()
        return await super().respond(request)


async def test_a_message_sent_during_a_turn_sees_that_turns_reply(
    engine: Engine, sqlite_url: str
) -> None:
    model = Gate()
    service = build_service(make_settings(sqlite_url), store=Store(engine), provider=model)
    service.switchboard.add_sender(sender := RecordingSender())
    try:
        await service.switchboard.receive(inbound("first question"))
        await wait_until(lambda: bool(model.seen), what="the first turn to wait on the model")
        await service.switchboard.receive(inbound("second question"))
        model.open.set()
        await service.switchboard.drain()
    finally:
        await service.close()
    assert sender.texts() == ["echo: first question", "echo: second question"]
    # The reply to the first was written after the second arrived; it is still its history.
    assert model.seen[1] == ["first question", "echo: first question", "second question"]
