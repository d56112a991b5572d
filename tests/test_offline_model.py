"""The offline model: a rule-based stand-in that plays the router and every desk."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest

from agents.demo_backend import DemoBackend
from agents.desks import AgentSpec, build_agents
from agents.knowledge import KnowledgeBase, default_knowledge_dir
from agents.models.base import (
    AssistantText,
    ModelProvider,
    ModelRequest,
    ModelResponse,
    ToolCall,
    ToolCallItem,
    ToolResultItem,
    ToolSpec,
    TranscriptItem,
    UserText,
)
from agents.models.offline import OfflineProvider
from agents.tools import ToolContext
from handoffs.contract import ESCALATE_TOOL, transfer_tool

MARIA = "+5215512345678"
JOAO = "+5511987654321"
DESKS = ("sales", "support", "billing")


@pytest.fixture
def backend() -> DemoBackend:
    return DemoBackend(clock=lambda: datetime(2025, 11, 20, 15, 30, tzinfo=UTC))


@pytest.fixture
def agents(backend: DemoBackend) -> dict[str, AgentSpec]:
    return build_agents(backend, KnowledgeBase.load(default_knowledge_dir()))


@pytest.fixture
def model() -> OfflineProvider:
    return OfflineProvider()


def tools_of(agent: AgentSpec, *, handoffs: bool = True) -> tuple[ToolSpec, ...]:
    """The agent's tools as the engine offers them: desk tools, transfers, escalation."""
    transfers = [transfer_tool(desk) for desk in DESKS if desk != agent.name]
    extra = [*transfers, ESCALATE_TOOL] if handoffs else []
    return (*(tool.spec() for tool in agent.tools), *extra)


def ask(
    agent: AgentSpec,
    *transcript: TranscriptItem,
    language: str = "es",
    tools: tuple[ToolSpec, ...] | None = None,
) -> ModelRequest:
    return ModelRequest(
        agent=agent.name,
        tier=agent.tier,
        system=agent.instructions,
        transcript=transcript,
        tools=tools_of(agent) if tools is None else tools,
        language=language,
    )


def only_call(response: ModelResponse) -> ToolCall:
    assert response.text == ""
    [call] = response.tool_calls
    return call


async def converse(
    model: OfflineProvider,
    agents: dict[str, AgentSpec],
    desk: str,
    text: str,
    *,
    phone: str = MARIA,
    language: str = "es",
) -> tuple[str, str, list[str], str | None]:
    """Drive one turn the way the engine does: run tools, follow one transfer, stop on text.

    Returns the final desk, the reply, the tools called and the escalation reason, if any.
    """
    context = ToolContext(
        conversation_id=1,
        channel="whatsapp",
        contact=f"whatsapp:{phone}",
        phone=phone,
        language=language,
    )
    work: list[TranscriptItem] = []
    called: list[str] = []
    for _ in range(6):
        agent = agents[desk]
        response = await model.respond(ask(agent, UserText(text=text), *work, language=language))
        if not response.tool_calls:
            return desk, response.text, called, None
        call = only_call(response)
        called.append(call.name)
        if call.name.startswith("transfer_to_"):
            desk, work = call.name.removeprefix("transfer_to_"), []
            continue
        if call.name == "escalate_to_human":
            return desk, "", called, str(call.arguments["reason"])
        tool = next(t for t in agent.tools if t.name == call.name)
        result = await tool.run(call.arguments, context)
        if result.escalate:
            return desk, "", called, result.escalate
        work += [
            ToolCallItem(calls=response.tool_calls),
            ToolResultItem(call_id=call.id, name=call.name, content=result.content),
        ]
    raise AssertionError(f"no reply after six model calls: {called}")


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
        ("asdf", "support"),
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
