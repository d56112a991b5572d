"""Builds the running service from settings: store, model provider, agents, switchboard."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from pydantic import SecretStr

from agents.backend import BusinessBackend
from agents.demo_backend import DemoBackend
from agents.desks import build_agents
from agents.errors import ConfigurationError
from agents.knowledge import KnowledgeBase, default_knowledge_dir
from agents.models.anthropic import AnthropicProvider
from agents.models.base import ModelProvider
from agents.models.fallback import FallbackProvider
from agents.models.offline import OfflineProvider
from agents.models.openai import OpenAIProvider
from agents.models.pricing import load_prices
from agents.models.retry import ModelRetryPolicy
from bots.settings import Settings
from handoffs.channels import StaffChannel
from handoffs.delivery import DeliveryRetryPolicy
from handoffs.hours import BusinessHours
from handoffs.router import Router
from handoffs.swarm import Swarm, SwarmLimits
from handoffs.switchboard import Switchboard, SwitchboardConfig
from handoffs.turns import TurnSettings
from storage.store import Store

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Service:
    """The parts of a running frontdesk, wired together."""

    settings: Settings
    store: Store
    provider: ModelProvider
    backend: BusinessBackend
    switchboard: Switchboard
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def close(self) -> None:
        """Stop the switchboard, then release what channels opened (HTTP sessions)."""
        await self.switchboard.close()
        for close in reversed(self.closers):
            await close()


def choose_provider(settings: Settings) -> ModelProvider:
    """The model provider the settings ask for, with the other vendor as fallback when keyed."""
    keys = {"anthropic": settings.anthropic_api_key, "openai": settings.openai_api_key}
    choice: str = settings.model_provider
    if choice == "auto":
        choice = next((name for name, key in keys.items() if key is not None), "offline")
    if choice == "offline":
        log.info("model provider: offline (rule-based stand-in, no API key needed)")
        return OfflineProvider()
    if keys[choice] is None:
        key_name = f"{choice.upper()}_API_KEY"
        raise ConfigurationError(f"FRONTDESK_MODEL_PROVIDER={choice} needs {key_name}")
    prices = load_prices(settings.prices_json)
    retry = ModelRetryPolicy(
        attempts=settings.model_max_attempts,
        timeout_seconds=settings.model_timeout_seconds,
        base_seconds=settings.model_retry_base_seconds,
        max_seconds=settings.model_retry_max_seconds,
        max_retry_after_seconds=settings.model_retry_after_max_seconds,
    )

    def vendor(name: str, key: SecretStr) -> AnthropicProvider | OpenAIProvider:
        effort: str
        if name == "anthropic":
            effort = settings.anthropic_effort
            return AnthropicProvider(
                key.get_secret_value(),
                base_url=settings.anthropic_base_url,
                fast_model=settings.anthropic_fast_model,
                strong_model=settings.anthropic_strong_model,
                effort=None if effort == "default" else effort,
                prices=prices,
                retry=retry,
            )
        effort = settings.openai_reasoning_effort
        return OpenAIProvider(
            key.get_secret_value(),
            base_url=settings.openai_base_url,
            fast_model=settings.openai_fast_model,
            strong_model=settings.openai_strong_model,
            api=settings.openai_api,
            reasoning_effort=None if effort == "default" else effort,
            prices=prices,
            retry=retry,
        )

    primary = vendor(choice, keys[choice])  # type: ignore[arg-type]
    described = f"{choice} (fast {primary.models['fast']}, strong {primary.models['strong']})"
    other = "openai" if choice == "anthropic" else "anthropic"
    other_key = keys[other]
    if other_key is not None and settings.model_fallback:
        log.info("model provider: %s, falling back to %s", described, other)
        return FallbackProvider(
            primary,
            vendor(other, other_key),
            cooldown_seconds=settings.model_fallback_cooldown_seconds,
        )
    log.info("model provider: %s", described)
    return primary


def build_service(
    settings: Settings,
    *,
    provider: ModelProvider | None = None,
    backend: BusinessBackend | None = None,
    staff: StaffChannel | None = None,
    store: Store | None = None,
) -> Service:
    """Wire a service; tests pass their own store, provider, backend or staff desk."""
    store = store or Store.open(settings.database_url, serving=True)
    provider = provider or choose_provider(settings)
    backend = backend or DemoBackend()
    knowledge = KnowledgeBase.load(settings.knowledge_dir or default_knowledge_dir())
    agents = build_agents(
        backend,
        knowledge,
        business_name=settings.business_name,
        refund_approval_limit=settings.refund_approval_limit,
    )
    desk_models = {
        "sales": settings.sales_model,
        "support": settings.support_model,
        "billing": settings.billing_model,
    }
    agents = {
        name: replace(spec, model=desk_models.get(name) or spec.model)
        for name, spec in agents.items()
    }
    swarm = Swarm(
        agents,
        provider,
        Router(provider, default_desk=settings.default_desk),
        SwarmLimits(
            max_handoffs=settings.max_handoffs_per_turn,
            max_model_calls=settings.max_model_calls_per_turn,
            max_cost_per_conversation_usd=settings.max_cost_per_conversation_usd,
        ),
    )
    config = SwitchboardConfig(
        debounce_seconds=settings.debounce_seconds,
        turn=TurnSettings(
            default_language=settings.default_language,
            history_messages=settings.history_messages,
            max_input_chars=settings.max_input_chars,
            staff_wait_minutes=settings.staff_wait_minutes,
        ),
        hours=BusinessHours(settings.business_hours, settings.holidays),
        remind_minutes=settings.staff_remind_minutes,
        retry=DeliveryRetryPolicy(
            max_attempts=settings.send_max_attempts,
            base_seconds=settings.send_retry_base_seconds,
            max_seconds=settings.send_retry_max_seconds,
        ),
    )
    switchboard = Switchboard(store, swarm, config, staff=staff)
    service = Service(
        settings=settings,
        store=store,
        provider=provider,
        backend=backend,
        switchboard=switchboard,
    )
    close_provider = getattr(provider, "aclose", None)
    if close_provider is not None:
        service.closers.append(close_provider)
    return service
