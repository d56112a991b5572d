"""A cap on request bodies, enforced on the ASGI stream before anything reads the whole body.

Webhook handlers read the body before they can check its signature, so without a cap anyone can
make the process buffer as much as they send. This middleware refuses a declared
`Content-Length` over the cap at once, without reading a byte of the body, and counts the bytes
of every other body as the app receives them: the chunk that crosses the cap ends the request
with 413, so at most the cap (plus one chunk) is ever held. What the client sends after the 413
is dropped by the server as it arrives.
"""

from __future__ import annotations

import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)


class BodyTooLarge(Exception):
    """Raised from `receive` inside the app once the body passes the cap."""


class BodyLimit:
    """Pure ASGI middleware: bodies larger than `max_bytes` get 413 and are never buffered."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            log.warning("%s %s refused: Content-Length over the body limit", *_where(scope))
            await self._refuse(send)
            return

        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                # Whatever the app makes of the interrupted read, the answer is the 413 below.
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyTooLarge:
            if not exceeded:
                raise
        if exceeded:
            log.warning("%s %s refused: body over the limit while reading", *_where(scope))
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"error": f"request body larger than {self.max_bytes} bytes"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    # No "Connection: close": closing a socket with unread data resets it, and
                    # the client may lose this answer. The server discards (never buffers)
                    # whatever of the body still arrives, until its keep-alive timeout.
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            # The server has already refused a malformed Content-Length.
            return int(value) if value.isdigit() else None
    return None


def _where(scope: Scope) -> tuple[str, str]:
    # The path only: a query string may carry a token or a phone number.
    return str(scope.get("method", "")), str(scope.get("path", ""))
