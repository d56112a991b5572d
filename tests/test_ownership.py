"""The ownership state machine on a real database (SQLite, and PostgreSQL when found): one
winner per claim race, only the holder reaches the customer, every change an event."""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine

from bots.service import Service, build_service
from storage.models import Escalation
from storage.staff import Actor
from storage.store import Store
from tests.channels import RecordingSender, inbound
from tests.conftest import make_settings

ANA = Actor("staff:1", "Ana")
BRUNO = Actor("staff:2", "Bruno")


@pytest.fixture
async def desk(any_engine: Engine, sqlite_url: str) -> AsyncIterator[Service]:
    """A service (offline model, recording `test` channel) on each database."""
    service = build_service(make_settings(sqlite_url), store=Store(any_engine))
    service.switchboard.add_sender(RecordingSender())
    yield service
    await service.switchboard.close()


async def escalated(service: Service) -> Escalation:
    await service.switchboard.receive(inbound("quiero hablar con una persona"))
    await service.switchboard.drain()
    [escalation] = service.store.escalations()
    return escalation


def sent(service: Service) -> list[str]:
    sender = service.switchboard.senders["test"]
    assert isinstance(sender, RecordingSender)
    return sender.texts()


async def test_of_many_simultaneous_claims_exactly_one_wins(desk: Service) -> None:
    escalation = await escalated(desk)
    people = [Actor(f"staff:{n}", f"Person {n}") for n in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        claims = list(pool.map(lambda who: desk.store.claim(escalation.id or 0, who), people))
    winners = [claim for claim in claims if claim.won]
    assert len(winners) == 1
    [winner] = winners
    assert winner.escalation is not None
    holder = winner.escalation.claimed_by
    assert {claim.holder for claim in claims if not claim.won} == {holder}
    events = desk.store.ownership_events(escalation.conversation_id)
    assert [(e.from_status, e.to_status) for e in events] == [
        ("bot", "waiting_human"),
        ("waiting_human", "with_human"),
    ]


async def test_only_the_holder_reaches_the_customer(desk: Service) -> None:
    escalation = await escalated(desk)
    conversation_id = escalation.conversation_id
    ownership = desk.switchboard.ownership
    before = await ownership.reply(conversation_id, ANA, "hola")
    assert before.refusal == "the conversation is not held by a person"
    assert (await ownership.claim(escalation.id or 0, ANA)).won
    refused = await ownership.reply(conversation_id, BRUNO, "soy Bruno")
    assert refused.refusal == "Ana holds this conversation"
    accepted = await ownership.reply(conversation_id, ANA, "Hola, soy Ana")
    assert accepted.refusal is None and accepted.outbox_id is not None
    await desk.switchboard.drain()
    assert sent(desk)[-1] == "Hola, soy Ana\n— Ana"
    [reply] = [m for m in desk.store.messages(conversation_id) if m.author == "staff"]
    assert (reply.author_name, reply.status) == ("Ana", "sent")
    assert desk.store.escalation(escalation.id or 0).first_response_at is not None  # type: ignore[union-attr]


async def test_an_input_taken_twice_changes_nothing_the_second_time(desk: Service) -> None:
    escalation = await escalated(desk)
    ownership = desk.switchboard.ownership
    await ownership.claim(escalation.id or 0, ANA)
    first = await ownership.reply(escalation.conversation_id, ANA, "una vez", key="form-1")
    again = await ownership.reply(escalation.conversation_id, ANA, "una vez", key="form-1")
    assert first.outbox_id is not None and again.duplicate and again.outbox_id is None
    assert await ownership.note(escalation.conversation_id, ANA, "n", source="t", key="n-1")
    assert await ownership.note(escalation.conversation_id, ANA, "n", source="t", key="n-1") is None
    await desk.switchboard.drain()
    assert sent(desk).count("una vez\n— Ana") == 1
    assert len(desk.store.notes(escalation.conversation_id)) == 1


async def test_resolve_hands_back_once_and_tells_the_agents(desk: Service) -> None:
    escalation = await escalated(desk)
    ownership = desk.switchboard.ownership
    await ownership.claim(escalation.id or 0, ANA)
    resolved = await ownership.resolve(escalation.conversation_id, ANA, note="refund approved")
    assert resolved is not None and resolved.status == "resolved"
    assert await ownership.resolve(escalation.conversation_id, BRUNO) is None
    conversation = desk.store.conversation(escalation.conversation_id)
    assert conversation is not None
    assert (conversation.status, conversation.active_agent) == ("bot", None)
    [handled] = [
        m for m in desk.store.messages(escalation.conversation_id) if m.status == "internal"
    ]
    assert handled.text == "A person from the team (Ana) handled this conversation. refund approved"
    # The note is context for the agents, never a message to the customer.
    assert not any("handled this conversation" in text for text in sent(desk))
    stored = desk.store.escalation(escalation.id or 0)
    assert stored is not None and stored.resolved_by == "Ana"


async def test_a_claim_after_resolve_is_told_who_resolved_it(desk: Service) -> None:
    escalation = await escalated(desk)
    ownership = desk.switchboard.ownership
    await ownership.claim(escalation.id or 0, ANA)
    await ownership.resolve(escalation.conversation_id, ANA)
    late = await ownership.claim(escalation.id or 0, BRUNO)
    assert not late.won and late.holder == "Ana"
    assert late.escalation is not None and late.escalation.status == "resolved"
