"""Refunds through the billing desk tool: executed below the approval limit, escalated above."""

from __future__ import annotations

from typing import Any

import pytest

from agents.demo_backend import DemoBackend
from agents.knowledge import KnowledgeBase
from tests.desks import run


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
