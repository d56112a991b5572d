"""Scripted model providers for engine tests: the provider seam, driven turn by turn."""

from __future__ import annotations

import itertools
from collections import deque

from agents.models.base import ModelRequest, ModelResponse, ToolCall, Usage, UserText

_call_ids = itertools.count(1)


def text(reply: str, *, input_tokens: int = 10, output_tokens: int = 5) -> ModelResponse:
    """A response that answers the customer."""
    return ModelResponse(
        model="scripted",
        text=reply,
        usage=Usage(input_tokens=input_tokens, output_tokens=output_tokens),
    )


def tool_call(name: str, **arguments: object) -> ModelResponse:
    """A response that calls one tool."""
    return tool_calls((name, arguments))


def tool_calls(*calls: tuple[str, dict[str, object]]) -> ModelResponse:
    """A response that calls several tools at once."""
    return ModelResponse(
        model="scripted",
        tool_calls=tuple(
            ToolCall(id=f"call_{next(_call_ids)}", name=name, arguments=dict(arguments))
            for name, arguments in calls
        ),
        usage=Usage(input_tokens=10, output_tokens=5),
    )


class ScriptedProvider:
    """Answers each call with the next scripted response; records every request."""

    name = "scripted"

    def __init__(self) -> None:
        self.responses: deque[ModelResponse] = deque()
        self.requests: list[ModelRequest] = []

    def script(self, *responses: ModelResponse) -> None:
        """Queue responses, one per model call."""
        self.responses.extend(responses)

    async def respond(self, request: ModelRequest) -> ModelResponse:
        self.requests.append(request)
        if not self.responses:
            raise AssertionError(f"unscripted model call for {request.agent}")
        return self.responses.popleft()


class EchoProvider:
    """Routes everything to support and echoes the customer's last words."""

    name = "echo"

    async def respond(self, request: ModelRequest) -> ModelResponse:
        if request.agent == "router":
            return tool_call("transfer_to_support", reason="echo")
        last = next(item for item in reversed(request.transcript) if isinstance(item, UserText))
        return text(f"echo: {last.text}")
