"""Claude through the Anthropic Messages API with tool use, behind `ModelProvider`.

SDK types and exceptions stop here: `_map_api_errors` is the one place vendor errors become
ours. The stable prefix (tools, then system text) carries cache_control markers so repeated
calls pay the cache-read price.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anthropic

from agents.errors import ModelUnavailableError
from agents.models.base import (
    AssistantText,
    ModelRequest,
    ModelResponse,
    ToolCall,
    ToolCallItem,
    ToolResultItem,
    TranscriptItem,
    Usage,
    UserText,
)
from agents.models.pricing import DEFAULT_MODELS, PriceTable
from agents.models.retry import (
    ModelRetryPolicy,
    TransientError,
    is_retryable_status,
    retry_after,
    with_retries,
)

log = logging.getLogger(__name__)

CACHE = {"type": "ephemeral"}
# Thinking tokens count against max_tokens; the request's budget is for the visible answer.
THINKING_HEADROOM = 2048
# Assistant turns with thinking blocks, kept so the next call of the same turn can send them
# back verbatim, as the API requires for tool use; bounded, keyed by the turn's tool-call ids.
REPLAY_ENTRIES = 1024
_OMITTED = "(earlier messages omitted)"


class AnthropicProvider:
    """Answers model requests with Claude; fast tier for routing, strong tier for desks."""

    name = "anthropic"

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        fast_model: str = DEFAULT_MODELS["anthropic"]["fast"],
        strong_model: str = DEFAULT_MODELS["anthropic"]["strong"],
        effort: str | None = "low",
        prices: PriceTable | None = None,
        retry: ModelRetryPolicy | None = None,
    ) -> None:
        self.retry = retry or ModelRetryPolicy()
        self.models = {"fast": fast_model, "strong": strong_model}
        self.effort = effort
        self.prices = prices or PriceTable()
        # Our loop retries (capped); the SDK's would sleep any Retry-After it is sent.
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key,
            base_url=base_url,
            timeout=self.retry.timeout_seconds,
            max_retries=0,
        )
        self._replay: OrderedDict[tuple[str, ...], list[dict[str, Any]]] = OrderedDict()

    async def respond(self, request: ModelRequest) -> ModelResponse:
        """One Messages API call, retried within the policy."""
        params = self._params(request)
        message = await with_retries(
            lambda: self._create(params), self.retry, label=f"anthropic {params['model']}"
        )
        return self._response(message, params["model"])

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._client.close()

    async def _create(self, params: dict[str, Any]) -> Any:
        with _map_api_errors():
            return await self._client.messages.create(**params)

    def _params(self, request: ModelRequest) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": request.model or self.models[request.tier],
            "max_tokens": request.max_output_tokens + THINKING_HEADROOM,
            "system": [{"type": "text", "text": request.system, "cache_control": CACHE}],
            "messages": self._messages(request.transcript),
        }
        if request.tools:
            tools = [
                {"name": t.name, "description": t.description, "input_schema": t.parameters}
                for t in request.tools
            ]
            tools[-1]["cache_control"] = CACHE
            # Auto: the model may answer or call a tool; code validates every handoff.
            params["tools"] = tools
            params["tool_choice"] = {"type": "auto"}
        if self.effort:
            params["output_config"] = {"effort": self.effort}
        return params

    def _messages(self, transcript: tuple[TranscriptItem, ...]) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        for item in transcript:
            role, blocks = self._blocks(item)
            if not blocks:
                continue
            if messages and messages[-1]["role"] == role:
                messages[-1]["content"].extend(blocks)
            else:
                messages.append({"role": role, "content": blocks})
        # A history cut to its last N messages may start with the agent speaking.
        if messages and messages[0]["role"] == "assistant":
            messages.insert(0, {"role": "user", "content": [{"type": "text", "text": _OMITTED}]})
        return messages

    def _blocks(self, item: TranscriptItem) -> tuple[str, list[dict[str, Any]]]:
        if isinstance(item, UserText):
            return "user", _text(item.text)
        if isinstance(item, AssistantText):
            return "assistant", _text(item.text)
        if isinstance(item, ToolCallItem):
            replay = self._replay.get(tuple(call.id for call in item.calls))
            if replay is not None:
                return "assistant", list(replay)
            uses = [
                {"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments}
                for c in item.calls
            ]
            return "assistant", [*_text(item.text), *uses]
        if isinstance(item, ToolResultItem):
            content = json.dumps(item.content, ensure_ascii=False)
            block: dict[str, Any] = {
                "type": "tool_result",
                "tool_use_id": item.call_id,
                "content": content,
            }
            if item.is_error:
                block["is_error"] = True
            return "user", [block]
        raise TypeError(f"unknown transcript item {item!r}")

    def _response(self, message: Any, requested: str) -> ModelResponse:
        texts: list[str] = []
        calls: list[ToolCall] = []
        blocks: list[dict[str, Any]] = []
        thinking = False
        # By type, never by position: thinking blocks may come first or between tool calls.
        for block in message.content:
            if block.type == "text":
                texts.append(block.text)
                blocks.append({"type": "text", "text": block.text})
            elif block.type == "tool_use":
                arguments = block.input if isinstance(block.input, dict) else {}
                if not isinstance(block.input, dict):
                    log.warning("anthropic: %s called with non-object input", block.name)
                calls.append(ToolCall(id=block.id, name=block.name, arguments=arguments))
                blocks.append(
                    {"type": "tool_use", "id": block.id, "name": block.name, "input": arguments}
                )
            elif block.type == "thinking":
                thinking = True
                blocks.append(
                    {"type": "thinking", "thinking": block.thinking, "signature": block.signature}
                )
            elif block.type == "redacted_thinking":
                thinking = True
                blocks.append({"type": "redacted_thinking", "data": block.data})
        text = "".join(texts).strip()
        if not text and not calls:
            raise ModelUnavailableError(
                f"anthropic {requested}: empty answer (stop_reason={message.stop_reason})"
            )
        if calls and thinking:
            self._remember(tuple(call.id for call in calls), blocks)
        model = str(getattr(message, "model", None) or requested)
        usage = _usage(message.usage)
        return ModelResponse(
            model=model,
            text=text,
            tool_calls=tuple(calls),
            usage=usage,
            cost_usd=self.prices.cost(model, usage),
        )

    def _remember(self, key: tuple[str, ...], blocks: list[dict[str, Any]]) -> None:
        self._replay[key] = blocks
        while len(self._replay) > REPLAY_ENTRIES:
            self._replay.popitem(last=False)


def _text(text: str) -> list[dict[str, Any]]:
    # The API rejects empty text blocks.
    return [{"type": "text", "text": text}] if text.strip() else []


def _usage(usage: Any) -> Usage:
    # input_tokens excludes cache reads and writes on this API, so the four never overlap.
    return Usage(
        input_tokens=usage.input_tokens or 0,
        output_tokens=usage.output_tokens or 0,
        cache_write_tokens=getattr(usage, "cache_creation_input_tokens", None) or 0,
        cache_read_tokens=getattr(usage, "cache_read_input_tokens", None) or 0,
    )


@contextmanager
def _map_api_errors() -> Iterator[None]:
    """Turn SDK exceptions into TransientError (retry) or ModelUnavailableError (give up)."""
    try:
        yield
    except anthropic.APITimeoutError as exc:
        raise TransientError("timed out") from exc
    except anthropic.APIConnectionError as exc:
        raise TransientError(f"connection failed: {exc}") from exc
    except anthropic.APIStatusError as exc:
        reason = f"HTTP {exc.status_code}: {_error_message(exc)}"
        if is_retryable_status(exc.status_code):
            raise TransientError(reason, retry_after=retry_after(exc.response.headers)) from exc
        raise ModelUnavailableError(f"anthropic: {reason}") from exc
    except anthropic.AnthropicError as exc:
        raise ModelUnavailableError(f"anthropic: {type(exc).__name__}: {exc}") from exc


def _error_message(exc: anthropic.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error")
    if not isinstance(error, dict):
        error = {}
    kind = error.get("type") or "error"
    return f"{kind}: {error.get('message') or exc.message}"[:300]
