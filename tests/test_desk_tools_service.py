"""Tickets, outages, plans, leads and knowledge through the desk tools."""

from __future__ import annotations

import pytest

from agents.demo_backend import DemoBackend
from agents.knowledge import KnowledgeBase
from tests.desks import CARLOS, JOAO, MARIA, STRANGER, context, run, tool


@pytest.mark.asyncio
async def test_tickets_are_created_for_the_caller(
    backend: DemoBackend, knowledge: KnowledgeBase
) -> None:
    result = await run(
        backend,
        knowledge,
        "support",
        "create_ticket",
        subject="Wi-Fi drops at night",
        description="Since Monday, router restarted twice.",
    )
    ticket = result.content["ticket"]
    assert result.content["created"] is True
    assert (ticket["id"], ticket["status"]) == ("T-4413", "open")
    stored = await backend.get_ticket("T-4413")
    assert stored is not None and stored.customer_id == "C-1001"
    anonymous = await run(
        backend,
        knowledge,
        "support",
        "create_ticket",
        STRANGER,
        subject="No signal",
        description="x",
    )
    assert anonymous.content["ticket"]["id"] == "T-4414"
    stored = await backend.get_ticket("T-4414")
    assert stored is not None and stored.customer_id is None


@pytest.mark.asyncio
async def test_a_ticket_is_visible_to_its_owner_only(
    backend: DemoBackend, knowledge: KnowledgeBase
) -> None:
    own = await run(backend, knowledge, "support", "get_ticket", ticket_id="#4412")
    assert own.content["found"] is True
    assert (own.content["ticket"]["id"], own.content["ticket"]["status"]) == (
        "T-4412",
        "in_progress",
    )
    other = await run(backend, knowledge, "support", "get_ticket", JOAO, ticket_id="T-4412")
    assert other.content == {"found": False, "ticket_id": "T-4412"}


@pytest.mark.asyncio
async def test_outage_status_uses_the_customers_area_or_the_one_given(
    backend: DemoBackend, knowledge: KnowledgeBase
) -> None:
    carlos = await run(backend, knowledge, "support", "outage_status", CARLOS)
    assert carlos.content["area"] == "Monterrey Centro"
    [outage] = carlos.content["outages"]
    assert outage["eta"] == "2025-11-20T19:00:00+00:00"
    maria = await run(backend, knowledge, "support", "outage_status", MARIA)
    assert (maria.content["area"], maria.content["outages"]) == ("CDMX Coyoacán", [])
    named = await run(backend, knowledge, "support", "outage_status", STRANGER, area="monterrey")
    assert len(named.content["outages"]) == 1
    unknown = await run(backend, knowledge, "support", "outage_status", STRANGER)
    assert unknown.content == {"area": None, "needs_area": True, "outages": []}


@pytest.mark.asyncio
async def test_plans_and_leads(backend: DemoBackend, knowledge: KnowledgeBase) -> None:
    mobile = await run(backend, knowledge, "sales", "list_plans", kind="mobile")
    assert mobile.content["plans"]
    assert {plan["kind"] for plan in mobile.content["plans"]} == {"mobile"}
    every = await run(backend, knowledge, "sales", "list_plans")
    assert len(every.content["plans"]) > len(mobile.content["plans"])

    lead = await run(
        backend,
        knowledge,
        "sales",
        "create_lead",
        STRANGER,
        name="Ana Pérez",
        plan_id="fiber-300",
        note="weekday mornings",
    )
    assert lead.content["created"] is True
    assert lead.content["plan"]["price"] == 499.0
    [stored] = backend.leads
    assert (stored.name, stored.phone, stored.plan_id) == ("Ana Pérez", STRANGER, "fiber-300")

    bad = await run(backend, knowledge, "sales", "create_lead", name="Ana", plan_id="fiber-9000")
    assert bad.content["error"] == "unknown_plan"
    assert "fiber-300" in bad.content["plan_ids"]
    assert len(backend.leads) == 1


@pytest.mark.asyncio
async def test_search_knowledge_in_the_conversation_language(
    backend: DemoBackend, knowledge: KnowledgeBase
) -> None:
    search = tool("support", "search_knowledge", backend, knowledge)
    found = await search.run({"query": "o roteador está lento"}, context(JOAO, "pt"))
    assert found.content["found"] is True
    assert found.content["articles"][0]["slug"] == "slow-internet"
    assert found.content["articles"][0]["title"].startswith("Internet lenta")
    nothing = await search.run({"query": "receta de pizza"}, context(JOAO, "pt"))
    assert nothing.content == {"found": False, "query": "receta de pizza", "articles": []}
