"""The offline model's replies: knowledge, unknown customers, wording per language, determinism."""

from __future__ import annotations

import math
from typing import Any

import pytest

from agents.desks import AgentSpec
from agents.models.base import (
    AssistantText,
    ToolCall,
    ToolCallItem,
    ToolResultItem,
    UserText,
)
from agents.models.offline import OfflineProvider
from tests.desks import JOAO, ask, converse, only_call


@pytest.fixture
def model() -> OfflineProvider:
    return OfflineProvider()


@pytest.mark.asyncio
async def test_knowledge_results_become_the_article_or_a_request_for_more(
    model: OfflineProvider, agents: dict[str, AgentSpec]
) -> None:
    desk, reply, called, _ = await converse(
        model, agents, "support", "o roteador está lento", phone=JOAO, language="pt"
    )
    assert (desk, called) == ("support", ["search_knowledge"])
    assert reply.startswith("*Internet lenta ou sem conexão: reinicie o roteador*\n")
    assert "tire da tomada, espere 30 segundos" in reply

    _, reply, called, _ = await converse(model, agents, "support", "quiero una pizza")
    assert called == ["search_knowledge"]
    assert reply == "¿Me cuentas un poco más sobre lo que necesitas? Así te puedo ayudar mejor."


@pytest.mark.asyncio
async def test_an_unknown_customer_is_asked_for_the_account_number(
    model: OfflineProvider, agents: dict[str, AgentSpec]
) -> None:
    _, reply, called, _ = await converse(
        model, agents, "billing", "quiero ver mi factura", phone="+5215500000000"
    )
    assert called == ["list_invoices"]
    assert "número de cliente" in reply
    assert "C-1001" in reply


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("name", "content", "language", "expected"),
    [
        ("request_refund", {"executed": False, "needs_approval": True, "invoice_id": "INV-2041",
                            "amount": 129.9, "currency": "BRL"}, "pt",
         "O seu reembolso de 129,90 BRL da fatura INV-2041 precisa da aprovação"),
        ("create_ticket", {"created": True, "ticket": {"id": "T-4413", "subject": "No signal",
                                                      "status": "open"}}, "en",
         'I opened ticket T-4413: "No signal".'),
        ("outage_status", {"area": "Monterrey Centro", "needs_area": False, "outages": [
            {"area": "Monterrey Centro", "description": "cut", "eta": "2025-11-20T19:00:00+00:00"}
        ]}, "es", "Estimamos que el servicio vuelva el 20/11/2025 a las 19:00 (UTC)."),
        ("get_ticket", {"found": True, "ticket": {"id": "T-4412", "subject": "Drops",
                                                 "status": "in_progress"}}, "pt",
         "O chamado T-4412 (“Drops”) está em andamento."),
        ("create_lead", {"created": True, "lead": {"id": "L-0001", "name": "Ana"},
                         "plan": {"name": "Fibra 300"}}, "es",
         "¡Listo, Ana! Registré tu solicitud del plan Fibra 300 (folio L-0001)."),
        ("get_invoice", {"error": "billing system down"}, "en", "Sorry, I had a problem"),
    ],
)  # fmt: skip
async def test_tool_results_are_worded_in_the_conversation_language(
    model: OfflineProvider,
    agents: dict[str, AgentSpec],
    name: str,
    content: dict[str, Any],
    language: str,
    expected: str,
) -> None:
    call = ToolCall(id="call_1", name=name, arguments={})
    desk = {"create_lead": "sales", "request_refund": "billing"}.get(name, "support")
    request = ask(
        agents[desk],
        UserText(text="..."),
        ToolCallItem(calls=(call,)),
        ToolResultItem(call_id="call_1", name=name, content=content, is_error="error" in content),
        language=language,
    )
    response = await model.respond(request)
    assert response.tool_calls == ()
    assert expected in response.text


@pytest.mark.asyncio
async def test_responses_are_deterministic_with_usage_and_no_cost(
    model: OfflineProvider, agents: dict[str, AgentSpec]
) -> None:
    earlier = ToolCallItem(calls=(ToolCall(id="call_1", name="list_plans", arguments={}),))
    done = ToolResultItem(call_id="call_1", name="list_plans", content={"plans": []})
    request = ask(
        agents["billing"],
        UserText(text="listo"),
        AssistantText(text="ok"),
        earlier,
        done,
        UserText(text="la factura INV-1041"),
    )
    first, second = await model.respond(request), await model.respond(request)
    assert first == second
    assert first.model == "offline-rules-1"
    assert first.cost_usd == 0.0
    assert only_call(first).id == "call_2"

    simple = ask(agents["sales"], UserText(text="hola"))
    greeting = await model.respond(simple)
    assert greeting.usage.input_tokens == math.ceil((len(simple.system) + len("hola")) / 4)
    assert greeting.usage.output_tokens == math.ceil(len(greeting.text) / 4)
