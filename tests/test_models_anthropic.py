"""The Anthropic provider through the real SDK against the fake server, alone and in the engine."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import Engine

from agents.errors import ModelUnavailableError
from agents.models.anthropic import AnthropicProvider
from agents.models.base import (
    AssistantText,
    ModelRequest,
    ToolCallItem,
    ToolResultItem,
    ToolSpec,
    UserText,
)
from agents.models.pricing import DEFAULT_PRICES, Price
from agents.models.retry import ModelRetryPolicy
from handoffs.contract import transfer_tool
from tests.channels import answer_one
from tests.conftest import make_settings
from tests.fake_models import FAST, Failure, FakeModelServer, FakeUsage, Slow, text, tool_call

LOOKUP = ToolSpec(
    name="list_invoices",
    description="The customer's invoices.",
    parameters={"type": "object", "properties": {"customer_id": {"type": "string"}}},
)


def request(*items: Any, tier: str = "strong", tools: tuple[ToolSpec, ...] = ()) -> ModelRequest:
    return ModelRequest(
        agent="billing",
        tier=tier,  # type: ignore[arg-type]
        system="You are the billing agent.",
        transcript=items or (UserText(text="hola"),),
        tools=tools,
    )


def dollars(price: Price, usage: FakeUsage) -> float:
    """What the vendor bills for one call, straight from the list price."""
    return (
        usage.input * price.input
        + usage.output * price.output
        + usage.cache_write * price.cache_write
        + usage.cache_read * price.cache_read
    ) / 1_000_000


async def test_thinking_first_then_tool_use_is_read_by_type_and_replayed() -> None:
    async with FakeModelServer() as fake:
        provider = AnthropicProvider("test-key", base_url=fake.url, retry=FAST)
        fake.script(
            "anthropic",
            tool_call("list_invoices", thinking="The customer wants invoices.", customer_id="C-1"),
            text("You have one open invoice."),
        )
        tools = (LOOKUP, transfer_tool("sales"))
        first = await provider.respond(request(tools=tools))
        [call] = first.tool_calls
        assert (call.name, call.arguments, first.text) == (
            "list_invoices",
            {"customer_id": "C-1"},
            "",
        )

        result = ToolResultItem(call_id=call.id, name=call.name, content={"invoices": []})
        second = await provider.respond(
            request(
                UserText(text="hola"), ToolCallItem(calls=first.tool_calls), result, tools=tools
            )
        )
        await provider.aclose()

    assert second.text == "You have one open invoice."
    sent = fake.bodies("/v1/messages")
    assert sent[0]["model"] == "claude-sonnet-5-5"
    assert sent[0]["tool_choice"] == {"type": "auto"}
    assert sent[0]["output_config"] == {"effort": "low"}
    assert [t["name"] for t in sent[0]["tools"]] == ["list_invoices", "transfer_to_sales"]
    assert sent[0]["tools"][0]["input_schema"] == LOOKUP.parameters
    # The stable prefix is marked for caching: the last tool and the system block.
    assert sent[0]["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in sent[0]["tools"][0]
    assert sent[0]["system"][0]["cache_control"] == {"type": "ephemeral"}
    # The thinking block goes back verbatim, first, with the tool use it led to.
    assistant, results = sent[1]["messages"][1:]
    assert [b["type"] for b in assistant["content"]] == ["thinking", "tool_use"]
    assert assistant["content"][0] == {
        "type": "thinking",
        "thinking": "The customer wants invoices.",
        "signature": "sig",
    }
    assert results["content"][0]["tool_use_id"] == call.id


async def test_transcript_is_folded_into_alternating_turns() -> None:
    async with FakeModelServer() as fake:
        provider = AnthropicProvider("test-key", base_url=fake.url, retry=FAST)
        fake.script("anthropic", text("¿En qué más te ayudo?"))
        await provider.respond(
            request(
                AssistantText(text="Hola, soy de ventas.", agent="sales"),
                UserText(text="quiero pagar"),
                UserText(text="mi factura"),
                tier="fast",
            )
        )
        await provider.aclose()
    [body] = fake.bodies("/v1/messages")
    assert body["model"] == "claude-haiku-5-5"
    assert "tools" not in body and "tool_choice" not in body
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert [b["text"] for b in body["messages"][2]["content"]] == ["quiero pagar", "mi factura"]


async def test_retry_after_is_honoured_up_to_the_cap() -> None:
    policy = ModelRetryPolicy(attempts=3, timeout_seconds=2.0, max_retry_after_seconds=0.3)
    async with FakeModelServer() as fake:
        provider = AnthropicProvider("test-key", base_url=fake.url, retry=policy)
        fake.script("anthropic", Failure(status=429, retry_after="3600"), text("ok"))
        started = time.monotonic()
        response = await provider.respond(request())
        elapsed = time.monotonic() - started
        await provider.aclose()
    assert response.text == "ok"
    assert 0.3 <= elapsed < 3
    # Each attempt is ours: the SDK's own retries are off.
    assert [r.headers.get("x-stainless-retry-count") for r in fake.requests] == ["0", "0"]


async def test_overload_server_error_and_timeout_are_retried_then_unavailable() -> None:
    policy = ModelRetryPolicy(attempts=3, timeout_seconds=0.3, base_seconds=0.01, max_seconds=0.02)
    async with FakeModelServer() as fake:
        provider = AnthropicProvider("test-key", base_url=fake.url, retry=policy)
        fake.script("anthropic", Failure(status=529), Failure(status=500), Slow(seconds=5))
        with pytest.raises(ModelUnavailableError, match=r"timed out.*3 attempts"):
            await provider.respond(request())
        await provider.aclose()
    assert len(fake.requests) == 3


async def test_client_errors_are_not_retried_and_never_show_the_key() -> None:
    async with FakeModelServer() as fake:
        provider = AnthropicProvider("sk-ant-secret", base_url=fake.url, retry=FAST)
        fake.script("anthropic", Failure(status=401))
        with pytest.raises(ModelUnavailableError, match="HTTP 401: authentication_error") as info:
            await provider.respond(request())
        await provider.aclose()
    assert len(fake.requests) == 1
    assert "sk-ant-secret" not in str(info.value)


async def test_cost_counts_every_kind_of_token_at_its_price() -> None:
    usage = FakeUsage(input=1_000, output=500, cache_write=4_000, cache_read=20_000)
    async with FakeModelServer() as fake:
        provider = AnthropicProvider("test-key", base_url=fake.url, retry=FAST)
        fake.script("anthropic", text("hi", usage=usage))
        response = await provider.respond(request())
        await provider.aclose()
    assert (response.usage.cache_write_tokens, response.usage.cache_read_tokens) == (4_000, 20_000)
    assert response.cost_usd == pytest.approx(dollars(DEFAULT_PRICES["claude-sonnet-5-5"], usage))


async def test_new_conversation_is_routed_handed_off_served_and_costed(
    engine: Engine, sqlite_url: str
) -> None:
    usages = [
        FakeUsage(input=200_000, output=12_000),
        FakeUsage(input=100_000, output=20_000, cache_write=300_000),
        FakeUsage(input=50_000, output=10_000, cache_read=300_000),
        FakeUsage(input=60_000, output=30_000, cache_read=300_000),
    ]
    reply = "Tu factura INV-1042 de 499 MXN vence pronto."
    async with FakeModelServer() as fake:
        fake.script(
            "anthropic",
            tool_call("transfer_to_sales", reason="new question", usage=usages[0]),
            tool_call("transfer_to_billing", reason="invoice question", usage=usages[1]),
            tool_call("list_invoices", thinking="Look up the account.", usage=usages[2]),
            text(reply, usage=usages[3]),
        )
        settings = make_settings(
            sqlite_url,
            model_provider="anthropic",
            anthropic_api_key="test-key",
            anthropic_base_url=fake.url,
            model_retry_base_seconds=0.01,
        )
        service, sender = await answer_one(settings, engine, "sobre lo de la semana pasada")

    assert sender.texts() == [reply]
    [(conversation, _)] = service.store.list_conversations(contact="test:+5215512345678")
    assert conversation.active_agent == "billing"
    steps = service.store.run_steps(conversation.id or 0)
    assert [s.kind for s in steps] == [
        "route",
        "model_call",
        "handoff",
        "model_call",
        "tool_call",
        "model_call",
        "reply",
    ]
    assert steps[4].output and "invoices" in steps[4].output
    models = ["claude-haiku-5-5", "claude-sonnet-5-5", "claude-sonnet-5-5", "claude-sonnet-5-5"]
    costed = [s for s in steps if s.kind in ("route", "model_call")]
    assert [s.model for s in costed] == models
    expected = [dollars(DEFAULT_PRICES[m], u) for m, u in zip(models, usages, strict=True)]
    assert [round(s.cost_usd, 6) for s in costed] == [round(e, 6) for e in expected]
    assert [s.cache_read_tokens for s in costed] == [u.cache_read for u in usages]
    assert conversation.cost_usd == pytest.approx(sum(expected), abs=0.005)
    assert round(conversation.cost_usd, 2) == 1.92  # 0.026 + 1.15 + 0.26 + 0.48

    bodies = fake.bodies("/v1/messages")
    assert all(b["tool_choice"] == {"type": "auto"} for b in bodies)
    assert all(b["tools"][-1]["cache_control"] == {"type": "ephemeral"} for b in bodies)
    assert {t["name"] for t in bodies[0]["tools"]} == {
        "transfer_to_sales",
        "transfer_to_support",
        "transfer_to_billing",
    }
    assert "transfer_to_sales" in {t["name"] for t in bodies[3]["tools"]}
    assert "handed this conversation by sales" in bodies[2]["system"][0]["text"]
    last_turn = bodies[3]["messages"][-2]["content"]
    assert [b["type"] for b in last_turn] == ["thinking", "tool_use"]
