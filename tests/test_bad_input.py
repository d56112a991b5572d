"""Odd and hostile input: every message is stored and gets a clear answer, nothing crashes."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import Engine, update

from bots.service import Service
from storage.models import Conversation
from tests.channels import RecordingSender, inbound


async def _answer(service: Service, text: str, **kwargs: object) -> tuple[int, list[str]]:
    stored = await service.switchboard.receive(inbound(text, **kwargs))  # type: ignore[arg-type]
    await service.switchboard.drain()
    messages = service.store.messages(stored.conversation_id)
    assert messages[0].status == "answered"
    return stored.conversation_id, [m.text for m in messages if m.direction == "out"]


@pytest.mark.parametrize("text", ["", "   \n\t "])
async def test_empty_text_gets_a_polite_request_in_the_customers_language(
    service: Service, text: str
) -> None:
    _, replies = await _answer(service, text)
    assert replies == ["No recibí texto en tu mensaje. ¿Podrías escribir tu pregunta?"]


async def test_ten_thousand_characters_are_stored_whole_and_answered(
    service: Service, sender: RecordingSender
) -> None:
    text = "mi internet no funciona " * 420
    conversation_id, replies = await _answer(service, text[:10_000])
    [stored] = [m for m in service.store.messages(conversation_id) if m.direction == "in"]
    assert len(stored.text) == 10_000
    assert len(replies) == 1 and replies[0]
    assert sender.sent[0].language == "es"


async def test_emoji_only_keeps_the_phone_language(service: Service) -> None:
    conversation_id, replies = await _answer(
        service, "👍👍", phone="+5511987654321", sender="test:+5511987654321"
    )
    conversation = service.store.conversation(conversation_id)
    assert conversation is not None and conversation.language == "pt"
    assert len(replies) == 1


async def test_invalid_utf8_is_stored_with_replacements(service: Service) -> None:
    broken = b"hola \xff\xfe factura".decode("utf-8", "surrogateescape")
    conversation_id, replies = await _answer(service, broken)
    [stored] = [m for m in service.store.messages(conversation_id) if m.direction == "in"]
    assert stored.text == "hola ?? factura"
    assert len(replies) == 1


async def test_nul_characters_are_dropped(service: Service) -> None:
    conversation_id, _ = await _answer(service, "ho\x00la")
    assert service.store.messages(conversation_id)[0].text == "hola"


async def test_unknown_agent_from_an_older_version_falls_back_to_the_router(
    service: Service, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    conversation_id, _ = await _answer(service, "hola")
    # The service's store runs on this engine.
    with engine.begin() as connection:
        connection.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)  # type: ignore[arg-type]
            .values(active_agent="retention")
        )
    with caplog.at_level(logging.WARNING, logger="handoffs.swarm"):
        _, replies = await _answer(service, "quiero saber el saldo de mi factura")
    assert "unknown agent 'retention'; routing again" in caplog.text
    conversation = service.store.conversation(conversation_id)
    assert conversation is not None and conversation.active_agent == "billing"
    assert len(replies) == 2
