"""Desk tools against the demo backend: identity by phone, privacy, refunds and their limit."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from agents.backend import BusinessBackend
from agents.demo_backend import DemoBackend
from agents.desk_tools import desk_tools
from agents.errors import BadToolCallError, UnknownDeskError
from agents.knowledge import KnowledgeBase, default_knowledge_dir
from agents.tools import Tool, ToolContext, ToolResult

NOW = datetime(2025, 11, 20, 15, 30, tzinfo=UTC)
MARIA = "+5215512345678"  # C-1001, Mexico: INV-1041 paid, INV-1042 open, ticket T-4412
JOAO = "+5511987654321"  # C-1002, Brazil
CARLOS = "+5218187654321"  # C-1004, Monterrey Centro, where the demo outage is
STRANGER = "+5215500000000"


@pytest.fixture
def backend() -> DemoBackend:
    return DemoBackend(clock=lambda: NOW)


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    return KnowledgeBase.load(default_knowledge_dir())


def context(phone: str | None, language: str = "es", channel: str = "whatsapp") -> ToolContext:
    contact = f"whatsapp:{phone}" if phone else "U024BE7LH"
    return ToolContext(
        conversation_id=7, channel=channel, contact=contact, phone=phone, language=language
    )


def tool(
    desk: str, name: str, backend: DemoBackend, knowledge: KnowledgeBase, limit: float = 50.0
) -> Tool:
    tools = desk_tools(desk, backend, knowledge, refund_approval_limit=limit)
    return next(t for t in tools if t.name == name)


async def run(
    backend: DemoBackend,
    knowledge: KnowledgeBase,
    desk: str,
    tool_name: str,
    phone: str | None = MARIA,
    /,
    *,
    limit: float = 50.0,
    **arguments: Any,
) -> ToolResult:
    """Run one desk tool for `phone` with keyword arguments as the model would send them."""
    chosen = tool(desk, tool_name, backend, knowledge, limit)
    return await chosen.run(arguments, context(phone))


def test_the_demo_backend_implements_the_protocol(backend: DemoBackend) -> None:
    implementation: BusinessBackend = backend
    assert isinstance(implementation, BusinessBackend)


def test_each_desk_gets_its_tools(backend: DemoBackend, knowledge: KnowledgeBase) -> None:
    def names(desk: str) -> list[str]:
        return [t.name for t in desk_tools(desk, backend, knowledge, refund_approval_limit=50)]

    assert names("sales") == ["search_knowledge", "list_plans", "create_lead"]
    assert names("support") == [
        "search_knowledge", "lookup_customer", "outage_status", "create_ticket", "get_ticket",
    ]  # fmt: skip
    assert names("billing") == [
        "search_knowledge", "lookup_customer", "list_invoices", "get_invoice", "request_refund",
    ]  # fmt: skip
    with pytest.raises(UnknownDeskError):
        desk_tools("marketing", backend, knowledge, refund_approval_limit=50)


def _keys(node: Any, *, names: bool = False) -> set[str]:
    """Every key used as a schema keyword (property names excluded)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if not names:
                found.add(key)
            found |= _keys(value, names=not names and key == "properties")
    elif isinstance(node, list):
        for item in node:
            found |= _keys(item)
    return found


def test_specs_are_json_schemas_without_titles(
    backend: DemoBackend, knowledge: KnowledgeBase
) -> None:
    refund = tool("billing", "request_refund", backend, knowledge).spec()
    assert refund.name == "request_refund"
    assert "approval" in refund.description
    assert refund.parameters["type"] == "object"
    assert sorted(refund.parameters["required"]) == ["invoice_id", "reason"]
    assert set(refund.parameters["properties"]) == {"invoice_id", "reason", "amount", "customer_id"}
    for desk in ("sales", "support", "billing"):
        for spec in (
            t.spec() for t in desk_tools(desk, backend, knowledge, refund_approval_limit=1)
        ):
            assert "title" not in _keys(spec.parameters), spec.name


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("name", "arguments"),
    [
        ("request_refund", {"invoice_id": "INV-1041", "reason": "double", "amount": -5}),
        ("request_refund", {"reason": "double"}),
        ("get_invoice", {"invoice_id": ""}),
        ("get_invoice", {"invoice_id": ["INV-1041"]}),
    ],
)
async def test_bad_arguments_raise_bad_tool_call(
    backend: DemoBackend, knowledge: KnowledgeBase, name: str, arguments: dict[str, Any]
) -> None:
    with pytest.raises(BadToolCallError, match=name) as caught:
        await tool("billing", name, backend, knowledge).run(arguments, context(MARIA))
    assert isinstance(caught.value.__cause__, ValidationError)
    assert backend.refunds == ()


@pytest.mark.asyncio
async def test_lookup_by_phone(backend: DemoBackend, knowledge: KnowledgeBase) -> None:
    result = await run(backend, knowledge, "support", "lookup_customer")
    assert result.content["found"] is True
    assert result.content["customer"]["id"] == "C-1001"
    assert result.content["customer"]["name"] == "María González"
    assert result.content["plan"]["name"] == "Fibra 300"
    assert result.escalate is None


@pytest.mark.asyncio
@pytest.mark.parametrize("name", ["lookup_customer", "list_invoices"])
async def test_an_unknown_phone_lets_the_agent_ask_for_the_account_number(
    backend: DemoBackend, knowledge: KnowledgeBase, name: str
) -> None:
    result = await run(backend, knowledge, "billing", name, STRANGER)
    assert result.content["found"] is False
    assert "account number" in result.content["message"]
    assert "invoices" not in result.content


@pytest.mark.asyncio
async def test_the_account_number_identifies_a_customer_without_a_known_phone(
    backend: DemoBackend, knowledge: KnowledgeBase
) -> None:
    by_number = await run(
        backend, knowledge, "billing", "list_invoices", STRANGER, customer_id="c1004"
    )
    assert by_number.content["customer"]["id"] == "C-1004"
    slack = await run(backend, knowledge, "billing", "lookup_customer", None, customer_id="C-1002")
    assert slack.content["customer"]["name"] == "João Silva"
    wrong = await run(backend, knowledge, "billing", "lookup_customer", None, customer_id="C-9999")
    assert wrong.content == {
        "found": False,
        "customer_id": "C-9999",
        "message": "No account with that number; ask the customer to check it.",
    }


@pytest.mark.asyncio
async def test_a_known_phone_cannot_read_another_account(
    backend: DemoBackend, knowledge: KnowledgeBase
) -> None:
    result = await run(backend, knowledge, "billing", "list_invoices", MARIA, customer_id="C-1002")
    assert result.content["found"] is False
    assert result.content["error"] == "account_mismatch"
    assert "invoices" not in result.content


@pytest.mark.asyncio
async def test_list_invoices_newest_first_with_balance(
    backend: DemoBackend, knowledge: KnowledgeBase
) -> None:
    result = await run(backend, knowledge, "billing", "list_invoices")
    invoices = result.content["invoices"]
    assert [(i["id"], i["status"], i["amount"]) for i in invoices] == [
        ("INV-1042", "open", 499.0),
        ("INV-1041", "paid", 499.0),
    ]
    assert invoices[0]["period"] == "2025-11"
    assert invoices[0]["due_date"] == "2025-11-30"
    assert result.content["balance_due"] == {"MXN": 499.0}


@pytest.mark.asyncio
async def test_get_invoice_normalises_the_id_and_hides_other_customers_invoices(
    backend: DemoBackend, knowledge: KnowledgeBase
) -> None:
    own = await run(backend, knowledge, "billing", "get_invoice", invoice_id="inv 1042")
    assert own.content["found"] is True
    assert own.content["invoice"]["id"] == "INV-1042"
    other = await run(backend, knowledge, "billing", "get_invoice", invoice_id="INV-2041")
    assert other.content["found"] is False
    assert "invoice" not in other.content


@pytest.mark.asyncio
async def test_a_small_refund_is_executed(backend: DemoBackend, knowledge: KnowledgeBase) -> None:
    result = await run(
        backend,
        knowledge,
        "billing",
        "request_refund",
        invoice_id="INV-1041",
        reason="outage for two days",
        amount=32.5,
    )
    assert result.escalate is None
    assert result.content["executed"] is True
    assert result.content["refund"]["amount"] == 32.5
    [refund] = backend.refunds
    assert (refund.invoice_id, refund.customer_id, refund.amount) == ("INV-1041", "C-1001", 32.5)
    assert refund.reason == "outage for two days"


@pytest.mark.asyncio
async def test_a_refund_above_the_limit_is_not_executed_and_escalates(
    backend: DemoBackend, knowledge: KnowledgeBase
) -> None:
    result = await run(
        backend,
        knowledge,
        "billing",
        "request_refund",
        invoice_id="INV-1041",
        reason="charged twice",
    )
    assert result.escalate == "refund of 499.00 MXN on INV-1041 needs approval"
    assert result.content["executed"] is False
    assert result.content["needs_approval"] is True
    assert (result.content["amount"], result.content["currency"]) == (499.0, "MXN")
    assert backend.refunds == ()


@pytest.mark.asyncio
async def test_the_limit_is_configurable(backend: DemoBackend, knowledge: KnowledgeBase) -> None:
    result = await run(
        backend,
        knowledge,
        "billing",
        "request_refund",
        limit=1000.0,
        invoice_id="INV-1041",
        reason="charged twice",
    )
    assert result.escalate is None
    assert [r.amount for r in backend.refunds] == [499.0]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"invoice_id": "INV-2041"}, "invoice_not_found"),  # João's invoice
        ({"invoice_id": "INV-9999"}, "invoice_not_found"),
        ({"invoice_id": "INV-1042"}, "invoice_not_paid"),
        ({"invoice_id": "INV-1041", "amount": 600}, "amount_exceeds_invoice"),
    ],
)
async def test_refunds_that_cannot_be_done(
    backend: DemoBackend, knowledge: KnowledgeBase, arguments: dict[str, Any], error: str
) -> None:
    result = await run(backend, knowledge, "billing", "request_refund", reason="x", **arguments)
    assert result.content["error"] == error
    assert result.escalate is None
    assert backend.refunds == ()


@pytest.mark.asyncio
async def test_the_backend_refusing_becomes_readable_content(
    backend: DemoBackend, knowledge: KnowledgeBase
) -> None:
    first = await run(
        backend,
        knowledge,
        "billing",
        "request_refund",
        invoice_id="INV-1041",
        reason="a",
        amount=40,
    )
    assert first.content["executed"] is True
    for _ in range(12):  # 12 x 40 = 480 of 499 MXN, then no more
        await run(
            backend,
            knowledge,
            "billing",
            "request_refund",
            limit=1000.0,
            invoice_id="INV-1041",
            reason="a",
            amount=40,
        )
    assert sum(r.amount for r in backend.refunds) == 480.0
    refused = await run(
        backend,
        knowledge,
        "billing",
        "request_refund",
        invoice_id="INV-1041",
        reason="a",
        amount=40,
    )
    assert refused.content["error"] == "backend_refused"
    assert "19.00 MXN" in refused.content["message"]


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
