"""The last line of defence: an unexpected exception becomes a bare 500 and one error log line.

The client sees `{"error": "internal error", "request_id": ...}` and nothing of the code; the
log line carries the same request id, the exception's type and where it was raised, so the two
can be matched. Exception messages are left out of it: a database error, for one, repeats the
statement's parameters, which can be a customer's text or number. Our own errors
(`FrontdeskError`) are written to be shown, so theirs is kept.
"""

from __future__ import annotations

import json
import logging
import traceback
import uuid
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agents.errors import FrontdeskError

log = logging.getLogger(__name__)

_ROOT = Path(__file__).resolve().parents[1]


class ErrorBoundary:
    """Pure ASGI middleware: turns anything the app raises into a 500 without internals."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            request_id = uuid.uuid4().hex[:16]
            log.error(
                "request %s: %s %s failed: %s",
                request_id,
                scope.get("method", ""),
                scope.get("path", ""),  # without the query string, which may hold secrets
                describe(exc),
            )
            if not started:
                await _internal_error(send, request_id)


def describe(exc: BaseException) -> str:
    """The exception's type and the frames of ours it passed through, without its message."""
    text = _name(exc)
    if isinstance(exc, FrontdeskError):
        text += f" ({exc})"
    frames = [
        f"{_relative(frame.filename)}:{frame.lineno}"
        for frame in traceback.extract_tb(exc.__traceback__)
        if frame.filename.startswith(str(_ROOT)) and "/.venv/" not in frame.filename
    ]
    if frames:
        text += " at " + " < ".join(reversed(frames[-4:]))
    cause = exc.__cause__ or exc.__context__
    if cause is not None and cause is not exc:
        text += f"; caused by {_name(cause)}"
    return text


def _name(exc: BaseException) -> str:
    kind = type(exc)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


def _relative(filename: str) -> str:
    try:
        return str(Path(filename).relative_to(_ROOT))
    except ValueError:
        return filename


async def _internal_error(send: Send, request_id: str) -> None:
    body = json.dumps({"error": "internal error", "request_id": request_id}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
