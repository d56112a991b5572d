"""Run steps built from what a model answered, the one place a response becomes a step row."""

from __future__ import annotations

import time
from typing import Any

from agents.models.base import ModelResponse
from storage.records import StepRecord


def model_step(
    *,
    kind: str,
    agent: str,
    response: ModelResponse,
    started: float,
    input: dict[str, Any],
    output: dict[str, Any],
) -> StepRecord:
    """The step of one model call (a routing call or a desk's), with its tokens, cost and
    latency since `started` (a `time.perf_counter()` reading)."""
    usage = response.usage
    return StepRecord(
        kind=kind,
        agent=agent,
        model=response.model,
        input=input,
        output=output,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        cache_read_tokens=usage.cache_read_tokens,
        cost_usd=response.cost_usd,
        latency_ms=(time.perf_counter() - started) * 1000,
    )
