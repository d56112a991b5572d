"""Builds the running service from settings: store, model provider, agents, switchboard."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from agents.backend import BusinessBackend
from agents.demo_backend import DemoBackend
from agents.desks import build_agents
from agents.knowledge import KnowledgeBase, default_knowledge_dir
from agents.models.base import ModelProvider
from agents.models.offline import OfflineProvider
from bots.settings import Settings
from handoffs.channels import StaffDesk
from handoffs.delivery import RetryPolicy
from handoffs.router import Router
from handoffs.swarm import Swarm, SwarmLimits
from handoffs.switchboard import Switchboard, SwitchboardConfig
from handoffs.turns import TurnSettings
from storage.db import make_engine
from storage.store import Store

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Service:
    """The parts of a running frontdesk, wired together."""

    settings: Settings
    engine: Engine
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
    """The model provider the settings ask for (offline until API providers are configured)."""
    log.info("model provider: offline (rule-based stand-in, no API key needed)")
    return OfflineProvider()


def build_service(
    settings: Settings,
    *,
    provider: ModelProvider | None = None,
    backend: BusinessBackend | None = None,
    staff: StaffDesk | None = None,
    engine: Engine | None = None,
) -> Service:
    """Wire a service; tests pass their own provider, backend or staff desk."""
    engine = engine or make_engine(settings.database_url)
    store = Store(engine)
    provider = provider or choose_provider(settings)
    backend = backend or DemoBackend()
    knowledge = KnowledgeBase.load(settings.knowledge_dir or default_knowledge_dir())
    agents = build_agents(
        backend,
        knowledge,
        business_name=settings.business_name,
        refund_approval_limit=settings.refund_approval_limit,
    )
    swarm = Swarm(
        agents,
        provider,
        Router(provider, default_desk=settings.default_desk),
        SwarmLimits(
            max_handoffs=settings.max_handoffs_per_turn,
            max_model_calls=settings.max_model_calls_per_turn,
        ),
    )
    config = SwitchboardConfig(
        debounce_seconds=settings.debounce_seconds,
        turn=TurnSettings(
            default_language=settings.default_language,
            history_messages=settings.history_messages,
            max_input_chars=settings.max_input_chars,
        ),
        retry=RetryPolicy(
            max_attempts=settings.send_max_attempts,
            base_seconds=settings.send_retry_base_seconds,
            max_seconds=settings.send_retry_max_seconds,
        ),
    )
    switchboard = Switchboard(store, swarm, config, staff=staff)
    return Service(
        settings=settings,
        engine=engine,
        store=store,
        provider=provider,
        backend=backend,
        switchboard=switchboard,
    )
