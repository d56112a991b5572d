"""Engine overhead per message and throughput, with the offline model and a null channel.

Overhead is the time from `receive()` to the reply being handed to the channel, minus the
time spent inside the model provider: what frontdesk itself costs per message (storage,
dispatch, language detection, routing, swarm bookkeeping, outbox).

    .venv/bin/python infra/bench/engine.py [--database-url URL] [--latency-messages N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agents.models.base import ModelRequest, ModelResponse
from agents.models.offline import OfflineProvider
from bots.service import build_service
from bots.settings import Settings
from handoffs.channels import InboundMessage, OutboundMessage, SendReceipt
from storage.models import utcnow
from storage.store import Store

_CREATED: list[tuple[str, str]] = []

CUSTOMER_LINES = [
    "hola",
    "quiero saber el saldo de mi factura",
    "mi internet está muy lento desde ayer",
    "quais planos de fibra vocês têm?",
    "how do I pay my bill?",
    "ok gracias",
]


class TimedProvider:
    """The offline provider, with the time spent inside it added up."""

    name = "offline"

    def __init__(self) -> None:
        self.inner = OfflineProvider()
        self.seconds = 0.0

    async def respond(self, request: ModelRequest) -> ModelResponse:
        started = time.perf_counter()
        try:
            return await self.inner.respond(request)
        finally:
            self.seconds += time.perf_counter() - started


class NullSender:
    """A channel that accepts everything at once and counts it."""

    channel = "bench"

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, message: OutboundMessage) -> SendReceipt:
        self.sent += 1
        return SendReceipt(channel_message_id=f"bench-{message.message_id}")


def _message(conversation: int, n: int) -> InboundMessage:
    sender = f"bench:+5215500{conversation:05d}"
    return InboundMessage(
        channel="bench",
        channel_message_id=f"{conversation}-{n}-{time.monotonic_ns()}",
        sender=sender,
        thread_key=sender,
        text=CUSTOMER_LINES[n % len(CUSTOMER_LINES)],
        phone=sender.removeprefix("bench:"),
        received_at=utcnow(),
    )


async def _latency(url: str, messages: int, conversations: int) -> list[float]:
    provider = TimedProvider()
    service = build_service(Settings(database_url=url, debounce_seconds=0), provider=provider)
    service.switchboard.add_sender(NullSender())
    overheads = []
    for n in range(messages):
        model_before = provider.seconds
        started = time.perf_counter()
        await service.switchboard.receive(_message(n % conversations, n // conversations))
        await service.switchboard.drain()
        elapsed = time.perf_counter() - started
        overheads.append((elapsed - (provider.seconds - model_before)) * 1000)
    await service.switchboard.close()
    service.store.close()
    return overheads


async def _throughput(url: str, messages: int, conversations: int) -> tuple[float, int]:
    service = build_service(Settings(database_url=url, debounce_seconds=0))
    service.switchboard.add_sender(sender := NullSender())
    batch = [_message(n % conversations, n // conversations) for n in range(messages)]
    started = time.perf_counter()
    await asyncio.gather(*(service.switchboard.receive(m) for m in batch))
    await service.switchboard.drain()
    elapsed = time.perf_counter() - started
    await service.switchboard.close()
    service.store.close()
    return messages / elapsed, sender.sent


def _fresh_database(server: str | None, folder: Path, name: str) -> str:
    """A new migrated database: a SQLite file, or a database of its own on `server`."""
    url = f"sqlite:///{folder / name}"
    if server:
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        database = f"frontdesk_bench_{uuid.uuid4().hex[:10]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        admin.dispose()
        _CREATED.append((server, database))
        url = make_url(server).set(database=database).render_as_string(hide_password=False)
    store = Store.open(url)
    store.migrate()
    store.close()
    return url


def _drop_created() -> None:
    for server, database in _CREATED:
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server URL; the bench creates and drops databases of its own "
        "(default: SQLite files in a temporary folder)",
    )
    parser.add_argument("--latency-messages", type=int, default=500)
    parser.add_argument("--throughput-messages", type=int, default=1000)
    parser.add_argument("--conversations", type=int, default=100)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = _fresh_database(args.database_url, Path(folder), "latency.db")
        overheads = asyncio.run(_latency(url, args.latency_messages, 20))
        overheads = overheads[20:]  # the first turn of each conversation warms caches
        url = _fresh_database(args.database_url, Path(folder), "throughput.db")
        rate, sent = asyncio.run(_throughput(url, args.throughput_messages, args.conversations))
    _drop_created()

    overheads.sort()
    p99 = overheads[min(len(overheads) - 1, int(len(overheads) * 0.99))]
    backend = "PostgreSQL" if args.database_url and "postgres" in args.database_url else "SQLite"
    print(f"engine overhead per message ({backend}, offline model, {len(overheads)} messages):")
    print(f"  median {statistics.median(overheads):.2f} ms   p99 {p99:.2f} ms")
    print(
        f"throughput: {args.throughput_messages} messages over {args.conversations} "
        f"conversations at once: {rate:.0f} messages/s ({sent} replies delivered)"
    )


if __name__ == "__main__":
    main()
