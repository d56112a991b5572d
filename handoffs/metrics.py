"""Prometheus counters for the pipeline, served at GET /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

INBOUND = Counter(
    "frontdesk_inbound_messages_total", "Inbound messages received", ["channel", "duplicate"]
)
TURNS = Counter("frontdesk_turns_total", "Turns answered, by outcome", ["outcome"])
TURN_SECONDS = Histogram(
    "frontdesk_turn_seconds",
    "Time to answer one turn, model calls included",
    buckets=(0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60),
)
DELIVERIES = Counter("frontdesk_deliveries_total", "Outbox sends, by result", ["channel", "result"])
