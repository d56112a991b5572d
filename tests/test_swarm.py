"""The swarm through the whole engine with a scripted model: handoffs, guards, escalation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import Engine

from bots.service import Service, build_service
from storage.staff import Actor
from storage.store import Store
from tests.channels import RecordingSender, inbound
from tests.conftest import make_settings
from tests.models import ScriptedProvider, text, tool_call, tool_calls


@pytest.fixture
def model() -> ScriptedProvider:
    return ScriptedProvider()


@pytest.fixture
async def swarm_service(
    engine: Engine, sqlite_url: str, model: ScriptedProvider
) -> AsyncIterator[Service]:
    service = build_service(make_settings(sqlite_url), store=Store(engine), provider=model)
    service.switchboard.add_sender(RecordingSender())
    yield service
    await service.switchboard.close()


async def _turn(service: Service, words: str) -> int:
    stored = await service.switchboard.receive(inbound(words))
    await service.switchboard.drain()
    return stored.conversation_id


def _steps(service: Service, conversation_id: int) -> list[tuple[str, str | None]]:
    return [(step.kind, step.agent) for step in service.store.run_steps(conversation_id)]


def _sent(service: Service) -> list[str]:
    sender = service.switchboard.senders["test"]
    assert isinstance(sender, RecordingSender)
    return sender.texts()


async def test_handoff_moves_the_conversation_and_the_next_message_goes_straight_there(
    swarm_service: Service, model: ScriptedProvider
) -> None:
    model.script(
        tool_call("transfer_to_sales", reason="router"),
        tool_call("transfer_to_billing", reason="invoice question"),
        text("Your invoice INV-1042 is 349 MXN."),
        text("It is due on the 10th."),
    )
    conversation_id = await _turn(swarm_service, "about my thing")
    await _turn(swarm_service, "when is it due?")

    conversation = swarm_service.store.conversation(conversation_id)
    assert conversation is not None and conversation.active_agent == "billing"
    handoffs = [(h.from_agent, h.to_agent, h.reason) for h in swarm_service.store.handoffs(1)]
    assert handoffs == [(None, "sales", "model: sales"), ("sales", "billing", "invoice question")]
    # The second message is answered by billing with no routing step before it.
    assert [r.agent for r in model.requests] == ["router", "sales", "billing", "billing"]
    assert _sent(swarm_service) == ["Your invoice INV-1042 is 349 MXN.", "It is due on the 10th."]


async def test_receiving_agent_gets_texts_and_a_brief_not_tool_calls(
    swarm_service: Service, model: ScriptedProvider
) -> None:
    model.script(
        tool_call("transfer_to_support", reason="router"),
        tool_call("search_knowledge", query="invoice"),
        tool_call("transfer_to_billing", reason="customer asks about an invoice"),
        text("Billing here."),
    )
    await _turn(swarm_service, "about my thing")
    billing = model.requests[-1]
    assert billing.agent == "billing"
    assert [type(item).__name__ for item in billing.transcript] == ["UserText"]
    assert "handed this conversation by support: customer asks about an invoice" in billing.system
    assert "search_knowledge" in billing.system  # what support learnt travels in the brief
    assert "Conversation language: en" in billing.system
    tool_names = {tool.name for tool in billing.tools}
    assert {"transfer_to_sales", "transfer_to_support", "escalate_to_human"} <= tool_names
    assert "transfer_to_billing" not in tool_names


async def test_only_the_first_handoff_of_a_response_is_followed(
    swarm_service: Service, model: ScriptedProvider
) -> None:
    model.script(
        tool_call("transfer_to_support", reason="router"),
        tool_calls(
            ("transfer_to_billing", {"reason": "first"}),
            ("transfer_to_sales", {"reason": "second"}),
        ),
        text("Billing here."),
    )
    conversation_id = await _turn(swarm_service, "about my thing")
    assert [h.to_agent for h in swarm_service.store.handoffs(conversation_id)] == [
        "support",
        "billing",
    ]
    assert model.requests[-1].agent == "billing"


async def test_a_to_b_to_a_within_a_turn_escalates(
    swarm_service: Service, model: ScriptedProvider
) -> None:
    model.script(
        tool_call("transfer_to_support", reason="router"),
        tool_call("transfer_to_billing", reason="bill"),
        tool_call("transfer_to_support", reason="back again"),
    )
    conversation_id = await _turn(swarm_service, "about my thing")
    conversation = swarm_service.store.conversation(conversation_id)
    assert conversation is not None and conversation.status == "waiting_human"
    [escalation] = swarm_service.store.escalations(conversation_id)
    assert escalation.reason == "guard: handoff loop support → billing → support"
    assert _sent(swarm_service) == [
        "Thanks for your patience. I've passed your conversation to a person on our team; "
        "they usually reply here within 30 minutes."
    ]


async def test_handoff_cap_escalates(
    engine: Engine, sqlite_url: str, model: ScriptedProvider
) -> None:
    settings = make_settings(sqlite_url, max_handoffs_per_turn=1)
    service = build_service(settings, store=Store(engine), provider=model)
    service.switchboard.add_sender(RecordingSender())
    model.script(
        tool_call("transfer_to_support", reason="router"),
        tool_call("transfer_to_billing", reason="one"),
        tool_call("transfer_to_sales", reason="two"),
    )
    try:
        conversation_id = await _turn(service, "about my thing")
    finally:
        await service.switchboard.close()
    [escalation] = service.store.escalations(conversation_id)
    assert escalation.reason == "guard: more than 1 handoffs in a turn"


async def test_model_call_cap_escalates(swarm_service: Service, model: ScriptedProvider) -> None:
    model.script(
        tool_call("transfer_to_support", reason="router"),
        *[tool_call("search_knowledge", query="router") for _ in range(8)],
    )
    conversation_id = await _turn(swarm_service, "about my thing")
    [escalation] = swarm_service.store.escalations(conversation_id)
    assert escalation.reason == "guard: more than 8 model calls"
    assert sum(1 for kind, _ in _steps(swarm_service, conversation_id) if kind == "model_call") == 8


async def test_escalate_to_human_ends_the_run_and_bot_stays_quiet_after(
    swarm_service: Service, model: ScriptedProvider
) -> None:
    model.script(
        tool_call("transfer_to_support", reason="router"),
        tool_call("escalate_to_human", reason="the customer is upset"),
    )
    conversation_id = await _turn(swarm_service, "about my thing")
    await _turn(swarm_service, "hello? anyone?")

    conversation = swarm_service.store.conversation(conversation_id)
    assert conversation is not None and conversation.status == "waiting_human"
    assert len(model.requests) == 2  # no model call for the message sent while waiting
    statuses = [
        (m.direction, m.author, m.status) for m in swarm_service.store.messages(conversation_id)
    ]
    assert statuses == [
        ("in", "customer", "answered"),
        ("out", "system", "sent"),
        ("in", "customer", "relayed"),  # kept for the person who will pick it up
    ]
    kinds = [kind for kind, _ in _steps(swarm_service, conversation_id)]
    assert kinds == ["route", "model_call", "escalation"]
    waiting = swarm_service.store.messages(conversation_id)[-1]
    assert (waiting.text, waiting.error) == ("hello? anyone?", None)

    assert await swarm_service.switchboard.ownership.resolve(conversation_id, Actor("cli", "Ana"))
    # Handed back, the conversation has no desk: the router picks one again.
    model.script(tool_call("transfer_to_support", reason="router"), text("Back with you!"))
    await _turn(swarm_service, "still there?")
    assert _sent(swarm_service)[-1] == "Back with you!"
    assert [e.status for e in swarm_service.store.escalations(conversation_id)] == ["resolved"]


async def test_unknown_tool_and_bad_arguments_go_back_to_the_model(
    swarm_service: Service, model: ScriptedProvider
) -> None:
    model.script(
        tool_call("transfer_to_billing", reason="router"),
        tool_call("launch_rocket"),
        tool_call("get_invoice", invoice="no such field"),
        text("Sorry, which invoice?"),
    )
    await _turn(swarm_service, "about my thing")
    results: list[Any] = [
        item for item in model.requests[-1].transcript if hasattr(item, "is_error")
    ]
    assert [(r.name, r.is_error) for r in results] == [
        ("launch_rocket", True),
        ("get_invoice", True),
    ]
    assert _sent(swarm_service) == ["Sorry, which invoice?"]


async def test_run_steps_record_tokens_and_totals(
    swarm_service: Service, model: ScriptedProvider
) -> None:
    model.script(tool_call("transfer_to_sales", reason="router"), text("Hi!"))
    conversation_id = await _turn(swarm_service, "about my thing")
    steps = swarm_service.store.run_steps(conversation_id)
    assert [(s.kind, s.agent) for s in steps] == [
        ("route", "router"),
        ("model_call", "sales"),
        ("reply", "sales"),
    ]
    conversation = swarm_service.store.conversation(conversation_id)
    assert conversation is not None
    assert conversation.input_tokens == sum(s.input_tokens for s in steps) == 20
    assert conversation.output_tokens == 10


@pytest.mark.parametrize(
    "words",
    [
        "I want to speak to a manager",
        "Exijo hablar con un supervisor",
        "CHAMA UM GERENTE!",
        "put me through to an actual person, not a bot",
        "alguém me liga por favor",
    ],
)
async def test_a_demand_for_a_person_escalates_with_no_model_call(
    swarm_service: Service, model: ScriptedProvider, words: str
) -> None:
    conversation_id = await _turn(swarm_service, words)
    assert model.requests == []
    conversation = swarm_service.store.conversation(conversation_id)
    assert conversation is not None and conversation.status == "waiting_human"
    [escalation] = swarm_service.store.escalations(conversation_id)
    assert escalation.reason == "customer asked for a person"
    assert _steps(swarm_service, conversation_id) == [("route", "router"), ("escalation", None)]


async def test_mid_conversation_the_safety_net_runs_before_the_active_desk(
    swarm_service: Service, model: ScriptedProvider
) -> None:
    model.script(text("Your invoice is 499 MXN."))
    conversation_id = await _turn(swarm_service, "quiero ver mi factura")
    await _turn(swarm_service, "ya no quiero un bot, quiero hablar con un gerente")
    assert [r.agent for r in model.requests] == ["billing"]  # routed locally, then no call
    [escalation] = swarm_service.store.escalations(conversation_id)
    assert escalation.reason == "customer asked for a person"


async def test_a_greeting_is_answered_without_choosing_a_desk(
    swarm_service: Service, model: ScriptedProvider
) -> None:
    model.script(text("Hi! How can I help?"), text("Here are our plans."))
    conversation_id = await _turn(swarm_service, "hola, buenos días")
    conversation = swarm_service.store.conversation(conversation_id)
    assert conversation is not None and conversation.active_agent is None
    assert _steps(swarm_service, conversation_id)[0] == ("route", "router")
    await _turn(swarm_service, "¿qué planes tienen?")
    conversation = swarm_service.store.conversation(conversation_id)
    assert conversation is not None and conversation.active_agent == "sales"
    assert [r.agent for r in model.requests] == ["support", "sales"]
