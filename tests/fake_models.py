"""A fake model server on 127.0.0.1 that speaks Anthropic's and OpenAI's wire formats.

Tests script what each vendor answers, call by call — text, tool calls (with a thinking block
first if asked), usage numbers, HTTP errors with Retry-After, slow answers — and read back
every request body the real SDKs sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from agents.models.retry import ModelRetryPolicy

_ids = itertools.count(1)


@dataclass(frozen=True, slots=True, kw_only=True)
class FakeUsage:
    """Token counts as the vendor bills them: uncached input, output, cache writes, reads."""

    input: int = 100
    output: int = 20
    cache_write: int = 0
    cache_read: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """One model answer; a call's arguments are a dict, or a raw string sent as-is."""

    text: str = ""
    calls: tuple[tuple[str, dict[str, Any] | str], ...] = ()
    thinking: str | None = None
    commentary: str = ""  # OpenAI Responses only: a progress message before the answer
    usage: FakeUsage = field(default_factory=FakeUsage)


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    """An HTTP error answer, optionally with a Retry-After header."""

    status: int
    retry_after: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Slow:
    """An answer that never comes within the client's timeout."""

    seconds: float


Script = Reply | Failure | Slow


# Retries fast enough for tests: three attempts, hundredths of a second apart.
FAST = ModelRetryPolicy(attempts=3, timeout_seconds=2.0, base_seconds=0.01, max_seconds=0.02)


def text(words: str, *, usage: FakeUsage | None = None, thinking: str | None = None) -> Reply:
    """A reply for the customer."""
    return Reply(text=words, usage=usage or FakeUsage(), thinking=thinking)


def tool_call(
    name: str, *, usage: FakeUsage | None = None, thinking: str | None = None, **arguments: Any
) -> Reply:
    """A reply that calls one tool."""
    return Reply(calls=((name, arguments),), usage=usage or FakeUsage(), thinking=thinking)


@dataclass(slots=True)
class Recorded:
    """One request as it reached the wire."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]


_ANTHROPIC_ERRORS = {400: "invalid_request_error", 401: "authentication_error",
                     429: "rate_limit_error", 529: "overloaded_error"}  # fmt: skip


class FakeModelServer:
    """POST /v1/messages (Anthropic); POST /v1/responses and /v1/chat/completions (OpenAI)."""

    def __init__(self) -> None:
        self.scripts: dict[str, deque[Script]] = {"anthropic": deque(), "openai": deque()}
        self.requests: list[Recorded] = []
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    def script(self, vendor: str, *answers: Script) -> None:
        """Queue answers for "anthropic" or "openai", one per request."""
        self.scripts[vendor].extend(answers)

    def bodies(self, path: str) -> list[dict[str, Any]]:
        """Bodies of the requests to one path, in arrival order."""
        return [r.body for r in self.requests if r.path == path]

    async def __aenter__(self) -> FakeModelServer:
        app = web.Application()
        app.router.add_post("/v1/messages", self._anthropic)
        app.router.add_post("/v1/responses", self._responses)
        app.router.add_post("/v1/chat/completions", self._chat)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _next(self, request: web.Request, vendor: str) -> tuple[dict[str, Any], Script]:
        body = await request.json()
        self.requests.append(Recorded(request.path, body, dict(request.headers)))
        queue = self.scripts[vendor]
        answer = queue.popleft() if queue else Failure(status=400)
        if isinstance(answer, Slow):
            # Wakes early when the server closes, so shutdown never waits on it.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), answer.seconds)
        return body, answer

    async def _anthropic(self, request: web.Request) -> web.Response:
        body, answer = await self._next(request, "anthropic")
        if not isinstance(answer, Reply):
            return _error(
                answer,
                {
                    "type": "error",
                    "error": {
                        "type": _ANTHROPIC_ERRORS.get(_status(answer), "api_error"),
                        "message": "scripted failure",
                    },
                },
            )
        content: list[dict[str, Any]] = []
        if answer.thinking is not None:
            content.append({"type": "thinking", "thinking": answer.thinking, "signature": "sig"})
        if answer.text:
            content.append({"type": "text", "text": answer.text})
        for name, arguments in answer.calls:
            content.append(
                {"type": "tool_use", "id": f"toolu_{next(_ids)}", "name": name, "input": arguments}
            )
        u = answer.usage
        return web.json_response(
            {
                "id": f"msg_{next(_ids)}",
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": content,
                "stop_sequence": None,
                "stop_reason": "tool_use" if answer.calls else "end_turn",
                "usage": {
                    "input_tokens": u.input,
                    "output_tokens": u.output,
                    "cache_creation_input_tokens": u.cache_write,
                    "cache_read_input_tokens": u.cache_read,
                },
            }
        )

    async def _responses(self, request: web.Request) -> web.Response:
        body, answer = await self._next(request, "openai")
        if not isinstance(answer, Reply):
            return _openai_error(answer)
        output: list[dict[str, Any]] = []
        if answer.thinking is not None:
            output.append({"type": "reasoning", "id": f"rs_{next(_ids)}", "summary": []})
        if answer.commentary:
            output.append(_message(answer.commentary, "commentary"))
        if answer.text:
            output.append(_message(answer.text, "final_answer" if answer.commentary else None))
        for name, arguments in answer.calls:
            output.append(
                {
                    "type": "function_call",
                    "id": f"fc_{next(_ids)}",
                    "call_id": f"call_{next(_ids)}",
                    "name": name,
                    "arguments": _raw(arguments),
                    "status": "completed",
                }
            )
        u = answer.usage
        return web.json_response(
            {
                "id": f"resp_{next(_ids)}",
                "object": "response",
                "created_at": 1764000000,
                "status": "completed",
                "model": body["model"],
                "output": output,
                "parallel_tool_calls": True,
                "tool_choice": body.get("tool_choice", "auto"),
                "tools": body.get("tools", []),
                "usage": {
                    "input_tokens": u.input + u.cache_read + u.cache_write,
                    "input_tokens_details": {
                        "cached_tokens": u.cache_read,
                        "cache_write_tokens": u.cache_write,
                    },
                    "output_tokens": u.output,
                    "output_tokens_details": {"reasoning_tokens": 0},
                    "total_tokens": u.input + u.cache_read + u.cache_write + u.output,
                },
            }
        )

    async def _chat(self, request: web.Request) -> web.Response:
        body, answer = await self._next(request, "openai")
        if not isinstance(answer, Reply):
            return _openai_error(answer)
        calls = [
            {
                "id": f"call_{next(_ids)}",
                "type": "function",
                "function": {"name": name, "arguments": _raw(arguments)},
            }
            for name, arguments in answer.calls
        ]
        message: dict[str, Any] = {"role": "assistant", "content": answer.text or None}
        if calls:
            message["tool_calls"] = calls
        u = answer.usage
        prompt = u.input + u.cache_read + u.cache_write
        return web.json_response(
            {
                "id": f"chatcmpl-{next(_ids)}",
                "object": "chat.completion",
                "created": 1764000000,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": "tool_calls" if calls else "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": u.output,
                    "total_tokens": prompt + u.output,
                    "prompt_tokens_details": {
                        "cached_tokens": u.cache_read,
                        "cache_write_tokens": u.cache_write,
                    },
                },
            }
        )


def _message(words: str, phase: str | None) -> dict[str, Any]:
    content = [{"type": "output_text", "text": words, "annotations": []}]
    return {
        "type": "message",
        "id": f"msg_{next(_ids)}",
        "role": "assistant",
        "status": "completed",
        "content": content,
        "phase": phase,
    }


def _raw(arguments: dict[str, Any] | str) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments)


def _status(answer: Failure | Slow) -> int:
    # A Slow answer that outlived the client's patience: nobody reads this response.
    return answer.status if isinstance(answer, Failure) else 504


def _error(answer: Failure | Slow, payload: dict[str, Any]) -> web.Response:
    headers = {}
    if isinstance(answer, Failure) and answer.retry_after is not None:
        headers["retry-after"] = answer.retry_after
    return web.json_response(payload, status=_status(answer), headers=headers)


def _openai_error(answer: Failure | Slow) -> web.Response:
    kind = "rate_limit_exceeded" if _status(answer) == 429 else "server_error"
    return _error(
        answer,
        {"error": {"message": "scripted failure", "type": kind, "param": None, "code": kind}},
    )
