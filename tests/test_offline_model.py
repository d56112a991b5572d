"""The offline model: a rule-based stand-in that plays the router and every desk."""

from __future__ import annotations

from typing import Any

import pytest

from agents.demo_backend import DemoBackend
from agents.desks import AgentSpec
from agents.models.base import (
    AssistantText,
    ModelProvider,
    ModelRequest,
    ToolCall,
    ToolCallItem,
    ToolResultItem,
    UserText,
)
from agents.models.offline import OfflineProvider
from agents.tools import ToolContext
from handoffs.contract import transfer_tool
from tests.desks import DESKS, MARIA, ask, converse, only_call, tools_of


@pytest.fixture
def model() -> OfflineProvider:
    return OfflineProvider()


def test_it_is_a_model_provider(model: OfflineProvider) -> None:
    assert isinstance(model, ModelProvider)
    assert model.name == "offline"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("text", "desk"),
    [
        ("quiero saber el saldo de mi factura", "billing"),
        ("meu roteador não liga", "support"),
        ("what plans do you have?", "sales"),
        ("plan", "sales"),
    ],
)
async def test_the_router_always_transfers(model: OfflineProvider, text: str, desk: str) -> None:
    request = ModelRequest(
        agent="router",
        tier="fast",
        system="Route.",
        transcript=(UserText(text=text),),
        tools=tuple(transfer_tool(d) for d in DESKS),
    )
    call = only_call(await model.respond(request))
    assert call.name == f"transfer_to_{desk}"
    assert str(call.arguments["reason"]).startswith("router:")


@pytest.mark.asyncio
async def test_sales_hands_an_invoice_question_to_billing(
    model: OfflineProvider, agents: dict[str, AgentSpec]
) -> None:
    request = ask(agents["sales"], UserText(text="quiero saber el saldo de mi factura"))
    call = only_call(await model.respond(request))
    assert call.name == "transfer_to_billing"
    assert call.arguments["reason"] == "billing question"


@pytest.mark.asyncio
async def test_no_transfer_without_the_tool(
    model: OfflineProvider, agents: dict[str, AgentSpec]
) -> None:
    sales = agents["sales"]
    request = ask(
        sales,
        UserText(text="quiero saber el saldo de mi factura"),
        tools=tools_of(sales, handoffs=False),
    )
    assert only_call(await model.respond(request)).name == "search_knowledge"


@pytest.mark.asyncio
async def test_billing_lists_invoices_then_answers_in_spanish_with_amounts(
    model: OfflineProvider, agents: dict[str, AgentSpec], backend: DemoBackend
) -> None:
    billing = agents["billing"]
    question = UserText(text="quiero saber el saldo de mi factura")
    call = only_call(await model.respond(ask(billing, question)))
    assert call == ToolCall(id="call_1", name="list_invoices", arguments={})

    tool = next(t for t in billing.tools if t.name == "list_invoices")
    context = ToolContext(
        conversation_id=1,
        channel="whatsapp",
        contact=f"whatsapp:{MARIA}",
        phone=MARIA,
        language="es",
    )
    result = await tool.run(call.arguments, context)
    answer = await model.respond(
        ask(
            billing,
            question,
            ToolCallItem(calls=(call,)),
            ToolResultItem(call_id=call.id, name=call.name, content=result.content),
        )
    )
    assert answer.tool_calls == ()
    assert "María González" in answer.text
    assert "INV-1042 (11/2025): 499.00 MXN, pendiente de pago, vence el 30/11/2025" in answer.text
    assert "Saldo pendiente: 499.00 MXN." in answer.text


@pytest.mark.asyncio
async def test_a_whole_turn_from_sales_to_billing(
    model: OfflineProvider, agents: dict[str, AgentSpec]
) -> None:
    desk, reply, called, escalation = await converse(
        model, agents, "sales", "Hola! quiero saber el saldo de mi factura"
    )
    assert (desk, called, escalation) == ("billing", ["transfer_to_billing", "list_invoices"], None)
    assert "499.00 MXN" in reply


@pytest.mark.asyncio
async def test_a_large_refund_escalates_and_nothing_is_refunded(
    model: OfflineProvider, agents: dict[str, AgentSpec], backend: DemoBackend
) -> None:
    desk, _, called, escalation = await converse(
        model, agents, "support", "me cobraron dos veces, quiero un reembolso de la INV-1041"
    )
    assert (desk, called) == ("billing", ["transfer_to_billing", "request_refund"])
    assert escalation == "refund of 499.00 MXN on INV-1041 needs approval"
    assert backend.refunds == ()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("desk", "text", "language", "tool", "arguments"),
    [
        ("billing", "¿de cuánto es la factura inv1042?", "es", "get_invoice",
         {"invoice_id": "INV-1042"}),
        ("billing", "quero o estorno da fatura INV-2041", "pt", "request_refund",
         {"invoice_id": "INV-2041", "reason": "quero o estorno da fatura INV-2041"}),
        ("billing", "mi número de cliente es C-1004", "es", "list_invoices",
         {"customer_id": "C-1004"}),
        ("support", "¿cómo va mi reporte #4412?", "es", "get_ticket", {"ticket_id": "T-4412"}),
        ("support", "estou sem internet", "pt", "outage_status", {}),
        ("support", "mi internet está muy lento", "es", "search_knowledge",
         {"query": "mi internet está muy lento"}),
        ("sales", "¿cuánto cuestan los planes de internet?", "es", "list_plans",
         {"kind": "internet"}),
        ("sales", "I want to sign up for fiber-300, my name is emily carter", "en", "create_lead",
         {"name": "Emily Carter", "plan_id": "fiber-300",
          "note": "I want to sign up for fiber-300, my name is emily carter"}),
    ],
)  # fmt: skip
async def test_desk_intents_call_the_right_tool(
    model: OfflineProvider,
    agents: dict[str, AgentSpec],
    desk: str,
    text: str,
    language: str,
    tool: str,
    arguments: dict[str, Any],
) -> None:
    request = ask(agents[desk], UserText(text=text), language=language)
    call = only_call(await model.respond(request))
    assert (call.name, call.arguments) == (tool, arguments)


@pytest.mark.asyncio
async def test_asking_for_a_person_escalates(
    model: OfflineProvider, agents: dict[str, AgentSpec]
) -> None:
    request = ask(agents["billing"], UserText(text="quero falar com um atendente"), language="pt")
    call = only_call(await model.respond(request))
    assert call.name == "escalate_to_human"
    assert call.arguments == {"reason": "customer asked for a person"}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("desk", "text", "language", "reply"),
    [
        ("sales", "hola", "es",
         "¡Hola! Soy del equipo de ventas de Conecta. ¿En qué te puedo ayudar?"),
        ("support", "Oi, bom dia!", "pt",
         "Oi! Aqui é da equipe de suporte técnico da Conecta. Como posso te ajudar?"),
        ("billing", "hi there", "en",
         "Hi! This is the billing team at Conecta. How can I help you?"),
    ],
)  # fmt: skip
async def test_a_greeting_gets_a_greeting_from_the_desk(
    model: OfflineProvider,
    agents: dict[str, AgentSpec],
    desk: str,
    text: str,
    language: str,
    reply: str,
) -> None:
    response = await model.respond(ask(agents[desk], UserText(text=text), language=language))
    assert (response.text, response.tool_calls) == (reply, ())


@pytest.mark.asyncio
async def test_only_the_last_customer_message_counts(
    model: OfflineProvider, agents: dict[str, AgentSpec]
) -> None:
    earlier = (
        UserText(text="quiero ver mi factura"),
        AssistantText(text="Claro.", agent="billing"),
    )
    response = await model.respond(ask(agents["billing"], *earlier, UserText(text="hola")))
    assert response.tool_calls == ()
    assert response.text.startswith("¡Hola!")
    burst = UserText(text="hola\nbuenas tardes\nquiero ver mi factura")
    assert only_call(await model.respond(ask(agents["billing"], burst))).name == "list_invoices"
