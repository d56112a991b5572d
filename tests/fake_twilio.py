"""A fake Twilio REST API on 127.0.0.1 speaking the Messages wire format.

`POST /2010-04-01/Accounts/{sid}/Messages.json` takes a form body with basic auth and answers
201 with the message resource as JSON, as Twilio does. Each accepted message is recorded; errors
can be queued (429/20429, 400/21211, 400/63016, 500) and so can a request that never answers.
`GET .../Messages/{sid}/Media/{media}` serves registered media to authenticated callers.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections import deque
from dataclasses import dataclass, field
from email.utils import format_datetime
from typing import Any

from aiohttp import web

from storage.models import utcnow

RATE_LIMITED = (429, 20429, "Too Many Requests")
INVALID_NUMBER = (400, 21211, "The 'To' number is not a valid phone number.")
OUTSIDE_WINDOW = (
    400,
    63016,
    "Failed to send freeform message because you are outside the allowed window.",
)
SERVER_ERROR = (500, 20500, "Internal Server Error")
ACCEPT = "accept"
HANG = "hang"
Answer = tuple[int, int, str] | str


@dataclass(slots=True)
class SentMessage:
    """One message the fake accepted, as it arrived on the wire."""

    sid: str
    to: str
    from_: str
    body: str
    media_urls: list[str]
    status_callback: str | None
    content_sid: str | None
    content_variables: dict[str, str] | None


@dataclass(slots=True)
class FakeTwilio:
    """The fake server; `url` is what TWILIO_API_URL should be set to."""

    account_sid: str
    auth_token: str
    url: str = ""
    messages: list[SentMessage] = field(default_factory=list)
    attempts: int = 0
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    _answers: deque[Answer] = field(default_factory=deque)
    _release: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None

    def script(self, *answers: Answer) -> None:
        """How to answer the next message requests: ACCEPT, HANG (never answer until the fake
        stops) or an error (HTTP status, Twilio code, message); then accept again."""
        self._answers.extend(answers)

    def fail_next(self, error: tuple[int, int, str], times: int = 1) -> None:
        """Answer the next `times` message requests with an error."""
        self.script(*[error] * times)

    async def start(self) -> FakeTwilio:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{account}/Messages.json", self._create)
        app.router.add_get(
            "/2010-04-01/Accounts/{account}/Messages/{message}/Media/{media}", self._media
        )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def _authorized(self, request: web.Request, account: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return account == self.account_sid and request.headers.get("Authorization") == (
            f"Basic {expected}"
        )

    async def _create(self, request: web.Request) -> web.Response:
        self.attempts += 1
        account = request.match_info["account"]
        if not self._authorized(request, account):
            return _error(401, 20003, "Authenticate")
        form = await request.post()
        answer = self._answers.popleft() if self._answers else ACCEPT
        if answer == HANG:
            await self._release.wait()
            return _error(504, 20504, "the fake was stopped")
        if isinstance(answer, tuple):
            return _error(*answer)
        body = str(form.get("Body", ""))
        if not form.get("To") or not form.get("From"):
            return _error(400, 21604, "A 'To' and a 'From' phone number are required.")
        if len(body.encode("utf-16-le")) // 2 > 1600:
            return _error(400, 21617, "The concatenated message body exceeds the 1600 limit.")
        variables = form.get("ContentVariables")
        message = SentMessage(
            sid=f"SM{uuid.uuid4().hex}",  # as Twilio writes SIDs: SM and 32 hex digits
            to=str(form["To"]),
            from_=str(form["From"]),
            body=body,
            media_urls=[str(url) for url in form.getall("MediaUrl", [])],
            status_callback=str(form["StatusCallback"]) if "StatusCallback" in form else None,
            content_sid=str(form["ContentSid"]) if "ContentSid" in form else None,
            content_variables=json.loads(str(variables)) if variables else None,
        )
        self.messages.append(message)
        return web.json_response(_resource(account, message), status=201)

    async def _media(self, request: web.Request) -> web.Response:
        if not self._authorized(request, request.match_info["account"]):
            return _error(401, 20003, "Authenticate")
        found = self.media.get(request.match_info["media"])
        if found is None:
            return _error(404, 20404, "The requested resource was not found")
        content, content_type = found
        return web.Response(body=content, content_type=content_type)


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status=status,
    )


def _resource(account: str, message: SentMessage) -> dict[str, Any]:
    now = format_datetime(utcnow())
    uri = f"/2010-04-01/Accounts/{account}/Messages/{message.sid}.json"
    return {
        "account_sid": account,
        "api_version": "2010-04-01",
        "body": message.body,
        "date_created": now,
        "date_sent": None,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": message.from_,
        "messaging_service_sid": None,
        "num_media": str(len(message.media_urls)),
        "num_segments": "1",
        "price": None,
        "price_unit": None,
        "sid": message.sid,
        "status": "queued",
        "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
        "to": message.to,
        "uri": uri,
    }
