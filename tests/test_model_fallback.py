"""Choosing the provider from settings, and falling back to the other vendor when one fails."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from agents.errors import ConfigurationError, ModelUnavailableError
from agents.models.anthropic import AnthropicProvider
from agents.models.base import ModelRequest, UserText
from agents.models.fallback import FallbackProvider
from agents.models.offline import OfflineProvider
from agents.models.openai import OpenAIProvider
from agents.models.retry import ModelRetryPolicy
from bots.service import choose_provider
from tests.channels import answer_one
from tests.conftest import make_settings
from tests.fake_models import Failure, FakeModelServer, text, tool_call

KEY = "sk-test-secret"
FAST = ModelRetryPolicy(attempts=2, timeout_seconds=2.0, base_seconds=0.01, max_seconds=0.02)
REQUEST = ModelRequest(
    agent="sales",
    tier="strong",
    model="claude-opus-5-5",
    system="You are the sales agent.",
    transcript=(UserText(text="hola"),),
)


def pair(fake: FakeModelServer, clock: Callable[[], float]) -> FallbackProvider:
    return FallbackProvider(
        AnthropicProvider("test-key", base_url=fake.url, retry=FAST),
        OpenAIProvider("test-key", base_url=f"{fake.url}/v1", retry=FAST),
        cooldown_seconds=30.0,
        clock=clock,
    )


async def test_failing_primary_falls_back_then_is_skipped_until_its_cooldown_ends() -> None:
    now = [0.0]
    async with FakeModelServer() as fake:
        provider = pair(fake, lambda: now[0])
        fake.script("anthropic", Failure(status=529), Failure(status=529), text("de vuelta"))
        fake.script("openai", text("respaldo 1"), text("respaldo 2"))
        first = await provider.respond(REQUEST)
        second = await provider.respond(REQUEST)  # within the cool-down: straight to OpenAI
        now[0] = 31.0
        third = await provider.respond(REQUEST)
        await provider.aclose()

    assert [first.text, second.text, third.text] == ["respaldo 1", "respaldo 2", "de vuelta"]
    assert [r.path for r in fake.requests] == [
        "/v1/messages",
        "/v1/messages",
        "/v1/responses",
        "/v1/responses",
        "/v1/messages",
    ]
    # The per-agent model named a Claude model: OpenAI gets its own strong default instead.
    assert [b["model"] for b in fake.bodies("/v1/responses")] == ["gpt-6.2-sol"] * 2
    assert fake.bodies("/v1/messages")[-1]["model"] == "claude-opus-5-5"


async def test_when_no_model_answers_the_error_is_model_unavailable() -> None:
    async with FakeModelServer() as fake:
        provider = pair(fake, lambda: 0.0)
        fake.script("anthropic", Failure(status=500), Failure(status=500))
        fake.script("openai", Failure(status=401))
        with pytest.raises(ModelUnavailableError, match=r"no model answered: anthropic.*openai"):
            await provider.respond(REQUEST)
        await provider.aclose()
    assert len(fake.requests) == 3


async def test_engine_falls_back_to_openai_when_anthropic_keeps_failing(
    engine: Engine, sqlite_url: str
) -> None:
    async with FakeModelServer() as fake:
        fake.script("anthropic", *[Failure(status=529, retry_after="0")] * 3)
        fake.script(
            "openai",
            tool_call("transfer_to_support", reason="connection"),
            text("Reinicia tu módem, por favor."),
        )
        settings = make_settings(
            sqlite_url,
            model_provider="anthropic",
            anthropic_api_key="test-key",
            anthropic_base_url=fake.url,
            openai_api_key="test-key",
            openai_base_url=f"{fake.url}/v1",
            model_retry_base_seconds=0.01,
        )
        service, sender = await answer_one(settings, engine, "sobre lo de la semana pasada")

    assert sender.texts() == ["Reinicia tu módem, por favor."]
    assert len(fake.bodies("/v1/messages")) == 3  # the router call's three attempts, then none
    [(conversation, _)] = service.store.list_conversations(contact="test:+5215512345678")
    steps = service.store.run_steps(conversation.id or 0)
    assert [(s.kind, s.model) for s in steps if s.model] == [
        ("route", "gpt-6-luna"),
        ("model_call", "gpt-6.2-sol"),
    ]


def _settings(tmp_path: Path, **values: Any) -> Any:
    return make_settings(f"sqlite:///{tmp_path / 'x.db'}", **values)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, OfflineProvider),
        ({"openai_api_key": KEY}, OpenAIProvider),
        ({"anthropic_api_key": KEY}, AnthropicProvider),
        ({"anthropic_api_key": KEY, "openai_api_key": KEY}, FallbackProvider),
        (
            {"anthropic_api_key": KEY, "openai_api_key": KEY, "model_fallback": False},
            AnthropicProvider,
        ),
        (
            {"model_provider": "openai", "anthropic_api_key": KEY, "openai_api_key": KEY},
            FallbackProvider,
        ),
        ({"model_provider": "offline", "anthropic_api_key": KEY}, OfflineProvider),
    ],
)
async def test_auto_choice_and_one_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, values: dict[str, Any], expected: type
) -> None:
    with caplog.at_level(logging.INFO, logger="bots.service"):
        provider = choose_provider(_settings(tmp_path, **values))
    assert isinstance(provider, expected)
    [line] = [r.getMessage() for r in caplog.records if r.name == "bots.service"]
    assert line.startswith("model provider: ")
    assert KEY not in line.removeprefix("model provider: ").split()  # never the key
    if isinstance(provider, FallbackProvider):
        primary = values.get("model_provider", "anthropic")
        assert provider.primary.name == primary and line.startswith(f"model provider: {primary}")
    close = getattr(provider, "aclose", None)
    if close is not None:
        await close()


def test_a_named_provider_without_its_key_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="ANTHROPIC_API_KEY"):
        choose_provider(_settings(tmp_path, model_provider="anthropic", openai_api_key="k"))


async def test_models_prices_and_efforts_come_from_settings(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        openai_api_key="k",
        openai_fast_model="my-small",
        openai_api="chat",
        openai_reasoning_effort="default",
        prices_json='{"my-small": {"input": 1, "output": 2, "cache_write": 0, "cache_read": 0}}',
    )
    provider = choose_provider(settings)
    assert isinstance(provider, OpenAIProvider)
    assert provider.models == {"fast": "my-small", "strong": "gpt-6.2-sol"}
    assert (provider.api, provider.reasoning_effort) == ("chat", None)
    price = provider.prices.price("my-small-2026-01-01")
    assert price is not None and (price.input, price.output) == (1.0, 2.0)
    await provider.aclose()
    with pytest.raises(ConfigurationError, match="FRONTDESK_PRICES_JSON"):
        choose_provider(_settings(tmp_path, openai_api_key="k", prices_json='{"x": {"input": 1}}'))
