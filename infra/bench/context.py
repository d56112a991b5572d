"""Prompt size as a conversation grows: turn 10 against turn 200, through the whole engine.

Runs one 200-turn conversation with the offline model and measures every request the specialist
agents receive (system text, transcript and tool schemas), in estimated tokens (4 characters a
token, the usual rule of thumb for these languages).

    .venv/bin/python infra/bench/context.py [--turns 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agents.models.base import ModelRequest, ModelResponse
from agents.models.offline import OfflineProvider
from bots.service import build_service
from bots.settings import Settings
from handoffs.channels import InboundMessage
from infra.bench.engine import NullSender
from storage.models import utcnow
from storage.store import Store

LINES = [
    "hola, mi internet está lento",
    "ya reinicié el módem y sigue igual",
    "¿cuánto cuesta el plan de 500 megas?",
    "quiero saber el saldo de mi factura",
    "¿cómo pago con tarjeta?",
    "gracias, ¿y cuándo vence?",
]


class MeasuredProvider:
    """The offline provider, recording each specialist request's size in estimated tokens."""

    name = "offline"

    def __init__(self) -> None:
        self.inner = OfflineProvider()
        self.sizes: list[int] = []

    async def respond(self, request: ModelRequest) -> ModelResponse:
        if request.agent != "router":
            characters = len(request.system) + len(
                json.dumps([asdict(item) for item in request.transcript], ensure_ascii=False)
            )
            characters += len(json.dumps([asdict(tool) for tool in request.tools]))
            self.sizes.append(math.ceil(characters / 4))
        return await self.inner.respond(request)


async def _conversation(url: str, turns: int) -> list[int]:
    provider = MeasuredProvider()
    service = build_service(Settings(database_url=url, debounce_seconds=0), provider=provider)
    service.switchboard.add_sender(NullSender())
    per_turn: list[int] = []
    for n in range(turns):
        before = len(provider.sizes)
        await service.switchboard.receive(
            InboundMessage(
                channel="bench",
                channel_message_id=f"context-{n}",
                sender="bench:+5215512345678",
                thread_key="bench:+5215512345678",
                text=LINES[n % len(LINES)],
                phone="+5215512345678",
                received_at=utcnow(),
            )
        )
        await service.switchboard.drain()
        # The largest request of the turn: the prompt that grows with the history.
        per_turn.append(max(provider.sizes[before:], default=0))
    await service.close()
    service.store.close()
    return per_turn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'context.db'}"
        store = Store.open(url)
        store.migrate()
        store.close()
        sizes = asyncio.run(_conversation(url, args.turns))
    at_10, at_last = sizes[9], sizes[-1]
    print(f"prompt tokens per turn (estimated), one conversation of {args.turns} turns:")
    for turn in (1, 10, 20, 50, 100, args.turns):
        if turn <= len(sizes):
            print(f"  turn {turn:>4}: {sizes[turn - 1]:>6}")
    print(f"turn {args.turns} / turn 10 = {at_last / at_10:.2f}x (bound: 2x)")


if __name__ == "__main__":
    main()
