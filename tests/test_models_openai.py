"""The OpenAI provider (Responses and Chat Completions) through the real SDK and the fake server."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import Engine

from agents.errors import ModelUnavailableError
from agents.models.base import (
    ModelRequest,
    ToolCall,
    ToolCallItem,
    ToolResultItem,
    ToolSpec,
    UserText,
)
from agents.models.openai import OpenAIProvider
from agents.models.pricing import DEFAULT_PRICES
from agents.models.retry import ModelRetryPolicy
from tests.channels import answer_one
from tests.conftest import make_settings
from tests.fake_models import (
    FAST,
    Failure,
    FakeModelServer,
    FakeUsage,
    Reply,
    Slow,
    text,
    tool_call,
)

PLANS = ToolSpec(
    name="list_plans",
    description="Plans and prices.",
    parameters={"type": "object", "properties": {"kind": {"type": "string"}}},
)
CALL = ToolCall(id="call_1", name="list_plans", arguments={"kind": "internet"})
TRANSCRIPT = (
    UserText(text="¿qué planes tienen?"),
    ToolCallItem(calls=(CALL,), text="Un momento."),
    ToolResultItem(call_id="call_1", name="list_plans", content={"plans": ["Fibra 300"]}),
)


def request(*items: object, tier: str = "strong") -> ModelRequest:
    return ModelRequest(
        agent="sales",
        tier=tier,  # type: ignore[arg-type]
        system="You are the sales agent.",
        transcript=items or TRANSCRIPT,  # type: ignore[arg-type]
        tools=(PLANS,),
    )


async def test_responses_api_request_and_reasoning_first_answer() -> None:
    usage = FakeUsage(input=3_000, output=800, cache_write=1_000, cache_read=9_000)
    async with FakeModelServer() as fake:
        provider = OpenAIProvider("test-key", base_url=f"{fake.url}/v1", retry=FAST)
        fake.script(
            "openai", Reply(thinking="", calls=(("list_plans", {"kind": "mobile"}),), usage=usage)
        )
        response = await provider.respond(request())
        await provider.aclose()

    [call] = response.tool_calls
    assert (call.name, call.arguments, response.text) == ("list_plans", {"kind": "mobile"}, "")
    assert response.usage.input_tokens == 3_000  # cached and cache-written tokens split out
    price = DEFAULT_PRICES["gpt-6.2-sol"]
    expected = (
        3_000 * price.input
        + 800 * price.output
        + 1_000 * price.cache_write
        + 9_000 * price.cache_read
    ) / 1_000_000
    assert response.cost_usd == pytest.approx(expected)

    [body] = fake.bodies("/v1/responses")
    assert body["model"] == "gpt-6.2-sol"
    assert body["instructions"] == "You are the sales agent."
    assert body["tool_choice"] == "auto"
    assert body["tools"] == [
        {
            "type": "function",
            "name": "list_plans",
            "description": "Plans and prices.",
            "parameters": PLANS.parameters,
            "strict": False,
        }
    ]
    assert body["store"] is False and body["prompt_cache_key"] == "frontdesk-sales"
    assert body["reasoning"] == {"effort": "low"}
    assert body["input"] == [
        {"role": "user", "content": "¿qué planes tienen?"},
        {"role": "assistant", "content": "Un momento."},
        {
            "type": "function_call",
            "call_id": "call_1",
            "name": "list_plans",
            "arguments": '{"kind": "internet"}',
        },
        {"type": "function_call_output", "call_id": "call_1", "output": '{"plans": ["Fibra 300"]}'},
    ]


async def test_chat_completions_variant_speaks_the_chat_wire_format() -> None:
    async with FakeModelServer() as fake:
        provider = OpenAIProvider(
            "test-key", base_url=f"{fake.url}/v1", api="chat", reasoning_effort=None, retry=FAST
        )
        fake.script(
            "openai",
            text(
                "Fibra 300 cuesta 499 MXN.", usage=FakeUsage(input=500, output=50, cache_read=1_500)
            ),
        )
        response = await provider.respond(request(tier="fast"))
        await provider.aclose()

    assert response.text == "Fibra 300 cuesta 499 MXN." and response.model == "gpt-6-luna"
    assert (response.usage.input_tokens, response.usage.cache_read_tokens) == (500, 1_500)
    [body] = fake.bodies("/v1/chat/completions")
    assert "reasoning_effort" not in body
    assert body["tool_choice"] == "auto"
    assert body["tools"][0]["function"]["parameters"] == PLANS.parameters
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "tool"]
    assert body["messages"][2]["tool_calls"][0]["function"] == {
        "name": "list_plans",
        "arguments": '{"kind": "internet"}',
    }
    assert body["messages"][3]["tool_call_id"] == "call_1"


async def test_commentary_is_not_sent_to_the_customer() -> None:
    async with FakeModelServer() as fake:
        provider = OpenAIProvider("test-key", base_url=f"{fake.url}/v1", retry=FAST)
        fake.script("openai", Reply(commentary="Revisando los planes…", text="Fibra 300: 499 MXN."))
        response = await provider.respond(request())
        await provider.aclose()
    assert response.text == "Fibra 300: 499 MXN."


@pytest.mark.parametrize("api", ["responses", "chat"])
async def test_malformed_tool_arguments_become_empty_arguments(api: str) -> None:
    async with FakeModelServer() as fake:
        provider = OpenAIProvider(
            "test-key",
            base_url=f"{fake.url}/v1",
            api=api,  # type: ignore[arg-type]
            retry=FAST,
        )
        fake.script("openai", Reply(calls=(("list_plans", '{"kind": "mob'),)))
        response = await provider.respond(request())
        await provider.aclose()
    assert [(c.name, c.arguments) for c in response.tool_calls] == [("list_plans", {})]


async def test_rate_limit_waits_the_capped_retry_after_then_succeeds() -> None:
    policy = ModelRetryPolicy(attempts=2, timeout_seconds=2.0, max_retry_after_seconds=0.2)
    async with FakeModelServer() as fake:
        provider = OpenAIProvider("test-key", base_url=f"{fake.url}/v1", retry=policy)
        fake.script("openai", Failure(status=429, retry_after="600"), text("ok"))
        started = time.monotonic()
        assert (await provider.respond(request())).text == "ok"
        assert 0.2 <= time.monotonic() - started < 3
        await provider.aclose()
    assert len(fake.requests) == 2


async def test_server_errors_and_timeouts_exhaust_the_attempts() -> None:
    policy = ModelRetryPolicy(attempts=3, timeout_seconds=0.3, base_seconds=0.01, max_seconds=0.02)
    async with FakeModelServer() as fake:
        provider = OpenAIProvider("test-key", base_url=f"{fake.url}/v1", retry=policy)
        fake.script("openai", Failure(status=500), Slow(seconds=5), Failure(status=503))
        with pytest.raises(ModelUnavailableError, match=r"HTTP 503.*3 attempts"):
            await provider.respond(request())
        await provider.aclose()
    assert len(fake.requests) == 3


async def test_chat_variant_in_the_engine_recovers_from_malformed_arguments(
    engine: Engine, sqlite_url: str
) -> None:
    reply = "Tienes la factura INV-1042 abierta por 499 MXN."
    async with FakeModelServer() as fake:
        fake.script(
            "openai",
            Reply(calls=(("get_invoice", '{"invoice_id": "INV-10'),)),
            tool_call("get_invoice", invoice_id="INV-1042"),
            text(reply),
        )
        settings = make_settings(
            sqlite_url,
            model_provider="auto",
            openai_api_key="test-key",
            openai_base_url=f"{fake.url}/v1",
            openai_api="chat",
        )
        # "factura" is a sure billing word: the router decides by rules, no model call.
        _, sender = await answer_one(settings, engine, "quiero ver mi factura")

    assert sender.texts() == [reply]
    bodies = fake.bodies("/v1/chat/completions")
    assert [b["model"] for b in bodies] == ["gpt-6.2-sol"] * 3
    # The truncated call ran with {} arguments; the tool's validation told the model what was
    # missing, and its next call succeeded.
    assert bodies[1]["messages"][-2]["tool_calls"][0]["function"]["arguments"] == "{}"
    first_result = json.loads(bodies[1]["messages"][-1]["content"])
    assert "invoice_id" in first_result["error"]
    second_result = json.loads(bodies[2]["messages"][-1]["content"])
    assert "error" not in second_result and "INV-1042" in json.dumps(second_result)


async def test_responses_api_in_the_engine_routes_hands_off_and_costs(
    engine: Engine, sqlite_url: str
) -> None:
    usages = [
        FakeUsage(input=400_000, output=40_000),
        FakeUsage(input=100_000, output=20_000, cache_write=200_000),
        FakeUsage(input=30_000, output=5_000, cache_read=200_000),
        FakeUsage(input=40_000, output=25_000, cache_read=200_000),
    ]
    reply = "Estamos revisando tu zona: hay una falla reportada."
    async with FakeModelServer() as fake:
        fake.script(
            "openai",
            tool_call("transfer_to_sales", reason="unclear", usage=usages[0]),
            tool_call("transfer_to_support", reason="service problem", usage=usages[1]),
            Reply(thinking="", calls=(("outage_status", {}),), usage=usages[2]),
            text(reply, usage=usages[3]),
        )
        settings = make_settings(
            sqlite_url,
            model_provider="openai",
            openai_api_key="test-key",
            openai_base_url=f"{fake.url}/v1",
        )
        service, sender = await answer_one(settings, engine, "sobre lo de la semana pasada")

    assert sender.texts() == [reply]
    [(conversation, _)] = service.store.list_conversations(contact="test:+5215512345678")
    assert conversation.active_agent == "support"
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
    models = ["gpt-6-luna", "gpt-6.2-sol", "gpt-6.2-sol", "gpt-6.2-sol"]
    costed = [s for s in steps if s.kind in ("route", "model_call")]
    assert [s.model for s in costed] == models
    expected = [
        (
            u.input * p.input
            + u.output * p.output
            + u.cache_write * p.cache_write
            + u.cache_read * p.cache_read
        )
        / 1_000_000
        for u, p in zip(usages, (DEFAULT_PRICES[m] for m in models), strict=True)
    ]
    assert [round(s.cost_usd, 6) for s in costed] == [round(e, 6) for e in expected]
    assert [s.input_tokens for s in costed] == [u.input for u in usages]
    assert conversation.cost_usd == pytest.approx(sum(expected), abs=0.005)
    assert round(conversation.cost_usd, 2) == 1.44
    bodies = fake.bodies("/v1/responses")
    assert [b["prompt_cache_key"] for b in bodies] == [
        "frontdesk-router",
        "frontdesk-sales",
        "frontdesk-support",
        "frontdesk-support",
    ]
    assert bodies[3]["input"][-1]["type"] == "function_call_output"
