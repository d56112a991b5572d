"""What the engine does when no model answers, when a budget runs out, and on long threads."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Engine

from agents.models.base import ModelRequest, ModelResponse
from bots.service import build_service
from storage.store import Store
from tests.channels import RecordingSender, inbound
from tests.conftest import make_settings
from tests.fake_models import Failure, FakeModelServer
from tests.models import EchoProvider, ScriptedProvider, text, tool_call


async def test_with_both_providers_down_the_customer_gets_an_apology_and_a_person(
    engine: Engine, sqlite_url: str
) -> None:
    async with FakeModelServer() as fake:
        fake.script("anthropic", *[Failure(status=529, retry_after="0")] * 20)
        fake.script("openai", *[Failure(status=500)] * 20)
        settings = make_settings(
            sqlite_url,
            model_provider="anthropic",
            anthropic_api_key="test-key",
            anthropic_base_url=fake.url,
            openai_api_key="test-key",
            openai_base_url=f"{fake.url}/v1",
            model_max_attempts=2,
            model_retry_base_seconds=0.01,
        )
        service = build_service(settings, store=Store(engine))
        service.switchboard.add_sender(sender := RecordingSender())
        try:
            stored = await service.switchboard.receive(inbound("hola, necesito ayuda con algo"))
            await service.switchboard.drain()
        finally:
            await service.close()

    assert sender.texts() == [
        "Lo siento, algo salió mal de nuestro lado. Una persona de nuestro equipo te responderá."
    ]
    [escalation] = service.store.escalations(stored.conversation_id)
    assert escalation.reason == "model unavailable"
    assert "hola, necesito ayuda con algo" in escalation.summary
    first = service.store.messages(stored.conversation_id)[0]
    assert first.status == "failed"
    assert first.error is not None and first.error.startswith("model unavailable")
    conversation = service.store.conversation(stored.conversation_id)
    assert conversation is not None and conversation.status == "waiting_human"


async def test_a_conversation_at_its_budget_is_escalated_instead_of_spending_more(
    engine: Engine, sqlite_url: str
) -> None:
    model = ScriptedProvider()
    costly = [
        replace(r, cost_usd=0.4)
        for r in (tool_call("transfer_to_sales", reason="r"), text("Our plans start at 299 MXN."))
    ]
    model.script(*costly)
    settings = make_settings(sqlite_url, max_cost_per_conversation_usd=1.0)
    service = build_service(settings, store=Store(engine), provider=model)
    service.switchboard.add_sender(sender := RecordingSender())
    try:
        first = await service.switchboard.receive(inbound("good morning"))
        await service.switchboard.drain()
        await service.switchboard.receive(inbound("and the fastest one?"))
        await service.switchboard.drain()
    finally:
        await service.close()

    assert len(model.requests) == 2  # 0.8 spent; one more 0.4 call would pass 1.0
    [escalation] = service.store.escalations(first.conversation_id)
    assert escalation.reason == "budget: conversation cost limit reached"
    conversation = service.store.conversation(first.conversation_id)
    assert conversation is not None and round(conversation.cost_usd, 2) == 0.8
    assert sender.texts()[0] == "Our plans start at 299 MXN."


class PromptSizes(EchoProvider):
    """Echoes, and remembers how many characters each request carried."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    async def respond(self, request: ModelRequest) -> ModelResponse:
        size = len(request.system) + sum(len(getattr(i, "text", "")) for i in request.transcript)
        if request.agent != "router":
            self.sizes.append(size)
            self.system = request.system
        return await super().respond(request)


async def test_the_prompt_stops_growing_once_the_history_window_is_full(
    engine: Engine, sqlite_url: str
) -> None:
    model = PromptSizes()
    service = build_service(
        make_settings(sqlite_url, history_messages=10), store=Store(engine), provider=model
    )
    service.switchboard.add_sender(RecordingSender())
    try:
        for n in range(40):
            await service.switchboard.receive(inbound(f"message number {n:03d} " + "x" * 50))
            await service.switchboard.drain()
    finally:
        await service.close()
    assert len(model.sizes) == 40
    assert model.sizes[39] <= model.sizes[10] * 1.2
    assert model.sizes[39] == model.sizes[30]
    # What fell out of the window (78 earlier messages, 10 shown) is summed up in a short note.
    assert "Earlier in this conversation: 68 earlier messages are not shown." in model.system
    assert "The customer opened with: 'message number 000 xxx" in model.system
    assert "Latest handoffs: router → support (model: support)." in model.system
