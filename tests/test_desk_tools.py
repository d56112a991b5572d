"""Desk tools against the demo backend: the tool set, schemas, identity by phone, privacy."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from agents.backend import BusinessBackend
from agents.demo_backend import DemoBackend
from agents.desk_tools import desk_tools
from agents.errors import BadToolCallError, UnknownDeskError
from agents.knowledge import KnowledgeBase
from tests.desks import MARIA, STRANGER, context, run, tool


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
