"""The customer messages of issue 11, each answered sensibly by the offline model."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agents.desks import AgentSpec
from agents.models.offline import OfflineProvider
from bots.service import Service
from handoffs.channels import Media
from tests.channels import RecordingSender, inbound
from tests.desks import JOAO, MARIA, converse

PHONE_USA = "+14155550100"  # Emily, C-1003


@pytest.fixture
def model() -> OfflineProvider:
    return OfflineProvider()


@pytest.mark.parametrize(
    ("phone", "language", "currency", "other"),
    [(PHONE_USA, "en", "USD", "MXN"), (MARIA, "es", "MXN", "BRL"), (JOAO, "pt", "BRL", "MXN")],
)
async def test_plans_are_answered_by_sales_in_the_customers_currency(
    model: OfflineProvider,
    agents: dict[str, AgentSpec],
    phone: str,
    language: str,
    currency: str,
    other: str,
) -> None:
    question = {"en": "Hi, what plans do you have?", "es": "¿qué planes tienen?",
                "pt": "quais planos vocês têm?"}[language]  # fmt: skip
    desk, reply, called, _ = await converse(
        model, agents, "support", question, phone=phone, language=language
    )
    assert (desk, called[-1]) == ("sales", "list_plans")
    assert currency in reply and other not in reply


@pytest.mark.parametrize(
    ("text", "language", "title"),
    [
        ("I think I was charged twice this month", "en", "Charged twice"),
        ("creo que me cobraron dos veces este mes", "es", "Cobro doble"),
        ("acho que fui cobrado duas vezes este mês", "pt", "Cobrança em dobro"),
    ],
)
async def test_a_double_charge_gets_the_double_charge_article(
    model: OfflineProvider, agents: dict[str, AgentSpec], text: str, language: str, title: str
) -> None:
    desk, reply, _, _ = await converse(model, agents, "support", text, language=language)
    assert desk == "billing"
    assert reply.startswith(f"*{title}")


@pytest.mark.parametrize(
    ("text", "phone", "language"),
    [("devuelvan 499 pesos", MARIA, "es"), ("quero meus 500 reais de volta", JOAO, "pt")],
)
async def test_a_refund_above_the_limit_without_an_invoice_escalates(
    model: OfflineProvider, agents: dict[str, AgentSpec], text: str, phone: str, language: str
) -> None:
    desk, _, called, escalation = await converse(
        model, agents, "sales", text, phone=phone, language=language
    )
    assert desk == "billing"
    assert "list_invoices" in called
    assert escalation is not None and "needs approval" in escalation


async def test_a_refund_without_an_amount_or_invoice_shows_the_invoices_and_asks(
    model: OfflineProvider, agents: dict[str, AgentSpec]
) -> None:
    _, reply, called, escalation = await converse(model, agents, "billing", "quiero un reembolso")
    assert called == ["list_invoices"] and escalation is None
    assert "INV-1041" in reply and "¿De qué factura quieres el reembolso?" in reply


@pytest.mark.parametrize(
    ("text", "language", "title"),
    [
        ("my phone has no signal in Brazil, I'm travelling", "en", "Using your phone abroad"),
        (
            "nos mudamos el próximo mes, cómo cambio el internet de domicilio",
            "es",
            "Mudanza o cambio de domicilio",
        ),
        ("o que significa a luz LOS vermelha no roteador", "pt", "O que significam as luzes"),
    ],
)
async def test_roaming_moving_and_router_lights_get_their_articles(
    model: OfflineProvider, agents: dict[str, AgentSpec], text: str, language: str, title: str
) -> None:
    _, reply, called, _ = await converse(model, agents, "support", text, language=language)
    assert called[-1] == "search_knowledge"
    assert reply.startswith(f"*{title}") or title.lower() in reply.lower()


async def test_a_name_after_choosing_a_plan_creates_the_lead(service: Service) -> None:
    for text in ("¿qué planes tienen?", "quiero el fibra 300", "me llamo Juan Pérez"):
        await service.switchboard.receive(inbound(text))
        await service.switchboard.drain()
    assert tools_called(service) == ["list_plans", "create_lead"]
    assert sent(service)[-1].startswith(
        "¡Listo, Juan Pérez! Registré tu solicitud del plan Fibra 300"
    )


async def test_a_complaint_repeated_after_the_restart_advice_opens_a_ticket(
    service: Service,
) -> None:
    for text in ("mi internet no funciona", "ya reinicié el módem y sigue igual"):
        await service.switchboard.receive(inbound(text))
        await service.switchboard.drain()
    assert tools_called(service) == ["outage_status", "create_ticket"]
    first, second = sent(service)
    assert "reiniciar tu módem" in first
    assert second.startswith("Abrí el ticket T-") and "reinici" not in second


async def test_a_shared_location_is_checked_for_outages_not_answered_with_an_article(
    service: Service,
) -> None:
    where = "latitude 19.3467, longitude -99.1617 (Coyoacán, CDMX)"
    located = replace(
        inbound(""),
        media=(Media(kind="location", description=f"[the customer shared a location: {where}]"),),
    )
    await service.switchboard.receive(located)
    await service.switchboard.drain()
    [reply] = sent(service)
    assert tools_called(service) == ["outage_status"]
    assert reply.startswith("No hay fallas reportadas en latitude 19.3467")
    assert "*" not in reply  # no article title


def tools_called(service: Service) -> list[str | None]:
    """The desk tools the only conversation's turns called, in order."""
    [(conversation, _)] = service.store.list_conversations()
    steps = service.store.run_steps(conversation.id or 0)
    return [(step.input or {}).get("name") for step in steps if step.kind == "tool_call"]


def sent(service: Service) -> list[str]:
    """What the recording `test` channel sent."""
    sender = service.switchboard.senders["test"]
    assert isinstance(sender, RecordingSender)
    return sender.texts()
