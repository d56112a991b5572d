"""Language per message and per conversation: stickiness, the phone prior, switching."""

from __future__ import annotations

from bots.service import Service
from tests.channels import inbound


async def _languages(service: Service, sender: str, phone: str | None, *texts: str) -> list[str]:
    conversation_id = 0
    for text in texts:
        stored = await service.switchboard.receive(inbound(text, sender=sender, phone=phone))
        conversation_id = stored.conversation_id
        await service.switchboard.drain()
    return [
        m.language or "" for m in service.store.messages(conversation_id) if m.direction == "in"
    ]


async def test_short_messages_keep_the_conversation_language(service: Service) -> None:
    languages = await _languages(
        service, "test:+5511987654321", "+5511987654321", "oi", "ok", "👍", "#4412"
    )
    assert languages == ["pt", "pt", "pt", "pt"]


async def test_phone_country_decides_an_unsure_first_message(service: Service) -> None:
    assert await _languages(service, "test:+5215512345678", "+5215512345678", "ok") == ["es"]
    assert await _languages(service, "test:+351912345678", "+351912345678", "ok") == ["pt"]
    assert await _languages(service, "test:+14155550100", "+14155550100", "ok") == ["en"]


async def test_a_clear_sentence_switches_the_language(service: Service) -> None:
    languages = await _languages(
        service,
        "test:+5215512345678",
        "+5215512345678",
        "hola",
        "I would like to know the balance of my invoice please",
    )
    assert languages == ["es", "en"]
    [(conversation, _)] = service.store.list_conversations(contact="test:+5215512345678")
    assert conversation.language == "en"
