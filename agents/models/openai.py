"""OpenAI models behind `ModelProvider`: the Responses API, or Chat Completions for
OpenAI-compatible servers (FRONTDESK_OPENAI_API=chat).

SDK types and exceptions stop here: `_map_api_errors` is the one place vendor errors become
ours. Both wire formats share the transcript walk and differ only in item shapes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

import openai

from agents.errors import ModelUnavailableError
from agents.models.base import (
    AssistantText,
    ModelRequest,
    ModelResponse,
    ToolCall,
    ToolCallItem,
    ToolResultItem,
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

Api = Literal["responses", "chat"]
# Reasoning tokens count against the output limit; the request's budget is for the answer.
REASONING_HEADROOM = 2048


class OpenAIProvider:
    """Answers model requests with OpenAI (or a compatible server); two tiers of model."""

    name = "openai"

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        fast_model: str = DEFAULT_MODELS["openai"]["fast"],
        strong_model: str = DEFAULT_MODELS["openai"]["strong"],
        api: Api = "responses",
        reasoning_effort: str | None = "low",
        prices: PriceTable | None = None,
        retry: ModelRetryPolicy | None = None,
    ) -> None:
        self.retry = retry or ModelRetryPolicy()
        self.models = {"fast": fast_model, "strong": strong_model}
        self.api = api
        self.reasoning_effort = reasoning_effort
        self.prices = prices or PriceTable()
        # Our loop retries with capped waits; the SDK's own retries are off.
        self._client = openai.AsyncOpenAI(
            api_key=api_key,
            base_url=base_url,
            timeout=self.retry.timeout_seconds,
            max_retries=0,
        )

    async def respond(self, request: ModelRequest) -> ModelResponse:
        """One call on the configured API, retried within the policy."""
        model = request.model or self.models[request.tier]
        create: Callable[..., Any]
        read: Callable[[Any, str], Read]
        if self.api == "chat":
            params, read = self._chat(request, model), _read_chat
            create = self._client.chat.completions.create
        else:
            params, read = self._responses(request, model), _read_responses
            create = self._client.responses.create

        async def attempt() -> Any:
            with _map_api_errors():
                return await create(**params)

        raw = await with_retries(attempt, self.retry, label=f"openai {model}")
        served, text, calls, usage = read(raw, model)
        if not text and not calls:
            raise ModelUnavailableError(f"openai {model}: empty answer")
        return ModelResponse(
            model=served,
            text=text,
            tool_calls=calls,
            usage=usage,
            cost_usd=self.prices.cost(served, usage),
        )

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._client.close()

    def _responses(self, request: ModelRequest, model: str) -> dict[str, Any]:
        items: list[dict[str, Any]] = []
        for item in request.transcript:
            if isinstance(item, UserText | AssistantText):
                role = "user" if isinstance(item, UserText) else "assistant"
                items.append({"role": role, "content": item.text})
            elif isinstance(item, ToolCallItem):
                if item.text:
                    items.append({"role": "assistant", "content": item.text})
                items.extend(
                    {
                        "type": "function_call",
                        "call_id": c.id,
                        "name": c.name,
                        "arguments": _dump(c.arguments),
                    }
                    for c in item.calls
                )
            elif isinstance(item, ToolResultItem):
                output = _dump(item.content)
                items.append(
                    {"type": "function_call_output", "call_id": item.call_id, "output": output}
                )
        params: dict[str, Any] = {
            "model": model,
            "instructions": request.system,
            "input": items,
            "max_output_tokens": request.max_output_tokens + REASONING_HEADROOM,
            # Customer conversations are not kept on OpenAI's side; each call is self-contained.
            "store": False,
            # One key per agent keeps its stable prefix (instructions, tools) on a warm cache.
            "prompt_cache_key": f"frontdesk-{request.agent}",
        }
        if request.tools:
            params["tools"] = [
                {
                    "type": "function",
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters,
                    "strict": False,
                }
                for t in request.tools
            ]
            params["tool_choice"] = "auto"
        if self.reasoning_effort:
            params["reasoning"] = {"effort": self.reasoning_effort}
        return params

    def _chat(self, request: ModelRequest, model: str) -> dict[str, Any]:
        messages: list[dict[str, Any]] = [{"role": "system", "content": request.system}]
        for item in request.transcript:
            if isinstance(item, UserText | AssistantText):
                role = "user" if isinstance(item, UserText) else "assistant"
                messages.append({"role": role, "content": item.text})
            elif isinstance(item, ToolCallItem):
                calls = [
                    {
                        "id": c.id,
                        "type": "function",
                        "function": {"name": c.name, "arguments": _dump(c.arguments)},
                    }
                    for c in item.calls
                ]
                messages.append(
                    {"role": "assistant", "content": item.text or None, "tool_calls": calls}
                )
            elif isinstance(item, ToolResultItem):
                content = _dump(item.content)
                messages.append({"role": "tool", "tool_call_id": item.call_id, "content": content})
        params: dict[str, Any] = {
            "model": model,
            "messages": messages,
            "max_completion_tokens": request.max_output_tokens + REASONING_HEADROOM,
        }
        if request.tools:
            params["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": t.parameters,
                    },
                }
                for t in request.tools
            ]
            params["tool_choice"] = "auto"
        if self.reasoning_effort:
            params["reasoning_effort"] = self.reasoning_effort
        return params


Read = tuple[str, str, tuple[ToolCall, ...], Usage]


def _read_responses(response: Any, requested: str) -> Read:
    messages: list[tuple[str | None, str]] = []
    calls: list[ToolCall] = []
    # By type, never by position: reasoning items may come before messages and calls.
    for item in response.output or ():
        if item.type == "message":
            parts = (p.text if p.type == "output_text" else p.refusal for p in item.content)
            messages.append((getattr(item, "phase", None), "".join(parts)))
        elif item.type == "function_call":
            arguments = _arguments(item.name, item.arguments)
            calls.append(ToolCall(id=item.call_id, name=item.name, arguments=arguments))
    # Commentary messages narrate work in progress; the customer gets the final answer.
    finals = [words for phase, words in messages if phase == "final_answer"]
    text = "\n\n".join(finals or [words for _, words in messages]).strip()
    usage = response.usage
    details = getattr(usage, "input_tokens_details", None)
    total = getattr(usage, "input_tokens", 0) or 0
    output = getattr(usage, "output_tokens", 0) or 0
    return str(response.model or requested), text, tuple(calls), _usage(total, output, details)


def _read_chat(completion: Any, requested: str) -> Read:
    message = completion.choices[0].message if completion.choices else None
    calls = tuple(
        ToolCall(
            id=c.id,
            name=c.function.name,
            arguments=_arguments(c.function.name, c.function.arguments),
        )
        for c in (getattr(message, "tool_calls", None) or ())
        if c.type == "function"
    )
    usage = completion.usage
    return (
        str(completion.model or requested),
        (getattr(message, "content", None) or "").strip(),
        calls,
        _usage(
            getattr(usage, "prompt_tokens", 0) or 0,
            getattr(usage, "completion_tokens", 0) or 0,
            getattr(usage, "prompt_tokens_details", None),
        ),
    )


def _dump(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False)


def _usage(prompt: int, output: int, details: Any) -> Usage:
    # OpenAI's input count includes cached and cache-written tokens; split them so each is
    # billed once, at its own price.
    cached = getattr(details, "cached_tokens", None) or 0
    written = getattr(details, "cache_write_tokens", None) or 0
    return Usage(
        input_tokens=max(prompt - cached - written, 0),
        output_tokens=output,
        cache_write_tokens=written,
        cache_read_tokens=cached,
    )


def _arguments(name: str, raw: str | None) -> dict[str, Any]:
    """Parsed tool arguments; malformed JSON becomes {} so the tool's own validation answers."""
    try:
        value = json.loads(raw or "{}")
    except json.JSONDecodeError:
        log.warning("openai: %s called with malformed JSON arguments", name)
        return {}
    if not isinstance(value, dict):
        log.warning("openai: %s called with non-object arguments", name)
        return {}
    return value


@contextmanager
def _map_api_errors() -> Iterator[None]:
    """Turn SDK exceptions into TransientError (retry) or ModelUnavailableError (give up)."""
    try:
        yield
    except openai.APITimeoutError as exc:
        raise TransientError("timed out") from exc
    except openai.APIConnectionError as exc:
        raise TransientError(f"connection failed: {exc}") from exc
    except openai.APIStatusError as exc:
        reason = f"HTTP {exc.status_code}: {exc.message}"[:300]
        if is_retryable_status(exc.status_code):
            raise TransientError(reason, retry_after=retry_after(exc.response.headers)) from exc
        raise ModelUnavailableError(f"openai: {reason}") from exc
    except openai.OpenAIError as exc:
        raise ModelUnavailableError(f"openai: {type(exc).__name__}: {exc}") from exc
