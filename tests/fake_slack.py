"""A fake Slack Web API on 127.0.0.1: answers like Slack, records every call, fails on demand.

It speaks the wire format the real slack_sdk client uses (`POST /api/<method>` with a bearer
token, JSON or form bodies, `GET` with query parameters for users.info).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "xoxb-test"
TEAM_ID = "T0FRONT"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    """One request that reached the fake, and the status it was answered with."""

    method: str
    args: dict[str, Any]
    token: str | None
    status: int
    ok: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    """How to answer the next call of a method instead of succeeding."""

    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    hang: bool = False


@dataclass(slots=True)
class FakeSlack:
    """The fake server. `url` is its root; point SLACK_API_URL at `api_url`."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    # conversations.members answers: channel id → member ids.
    members: dict[str, list[str]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, deque[Failure | None]] = field(default_factory=lambda: defaultdict(deque))
    url: str = ""
    _runner: web.AppRunner | None = None
    _release: asyncio.Event = field(default_factory=asyncio.Event)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def api_url(self) -> str:
        """The Web API base URL, as SLACK_API_URL expects it."""
        return f"{self.url}/api/"

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        self._release.set()  # let hanging handlers finish so the server shuts down cleanly
        if self._runner is not None:
            await self._runner.cleanup()

    # -- scripting -----------------------------------------------------------------------

    def add_user(
        self, user_id: str, name: str, *, locale: str = "en-US", tz: str = "America/New_York"
    ) -> None:
        """A workspace member users.info knows."""
        self.users[user_id] = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name.lower().replace(" ", "."),
            "real_name": name,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": 0,
            "locale": locale,
            "is_bot": False,
            "profile": {"real_name": name, "display_name": name.split()[0]},
        }

    def fail_next(self, method: str, *failures: Failure | None) -> None:
        """Answer the next calls of `method` with these failures, in order (None: succeed)."""
        self.failures[method].extend(failures)

    # -- reading -------------------------------------------------------------------------

    def of(self, method: str) -> list[Call]:
        """Every call of one method, in arrival order."""
        return [call for call in self.calls if call.method == method]

    def posts(self) -> list[Call]:
        """chat.postMessage calls that Slack accepted."""
        return [call for call in self.of("chat.postMessage") if call.ok]

    async def wait_for_posts(self, count: int, *, timeout: float = 10.0) -> list[Call]:
        """Poll until `count` messages were posted (or the deadline passed); returns them."""
        deadline = time.monotonic() + timeout
        while len(self.posts()) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return self.posts()

    # -- serving -------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(await request.post())
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        failure = self.failures[method].popleft() if self.failures[method] else None
        if failure is not None:
            status = failure.status
            body: dict[str, Any] = {"ok": False, "error": failure.error or "internal_error"}
            if failure.status == 429:
                body["error"] = failure.error or "ratelimited"
            self.calls.append(Call(method=method, args=args, token=token, status=status, ok=False))
            if failure.hang:
                await self._release.wait()
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            return web.json_response(body, status=status, headers=headers)
        body = self._answer(method, args, token)
        self.calls.append(Call(method=method, args=args, token=token, status=200, ok=body["ok"]))
        return web.json_response(body)

    def _answer(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        if token != TOKEN:
            return {"ok": False, "error": "invalid_auth"}
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://frontdesk-test.slack.com/",
                "team": "Frontdesk Test",
                "user": "frontdesk",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "users.info":
            user = self.users.get(str(args.get("user")))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            if str(args.get("include_locale")).lower() not in ("1", "true"):
                user = {k: v for k, v in user.items() if k != "locale"}
            return {"ok": True, "user": user}
        if method == "chat.postMessage":
            if not args.get("channel"):
                return {"ok": False, "error": "channel_not_found"}
            if not args.get("text"):
                return {"ok": False, "error": "no_text"}
            # The bot's own ts values stay clear of the ones the tests make up for people.
            ts = f"{int(time.time())}.{900000 + next(self._ts):06d}"
            message = {
                "type": "message",
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "text": args["text"],
                "ts": ts,
            }
            if args.get("thread_ts"):
                message["thread_ts"] = args["thread_ts"]
            return {"ok": True, "channel": args["channel"], "ts": ts, "message": message}
        if method == "chat.update":
            if not args.get("channel") or not args.get("ts"):
                return {"ok": False, "error": "message_not_found"}
            return {
                "ok": True,
                "channel": args["channel"],
                "ts": args["ts"],
                "text": args.get("text"),
            }
        if method == "chat.postEphemeral":
            if not args.get("channel") or not args.get("user"):
                return {"ok": False, "error": "user_not_in_channel"}
            return {"ok": True, "message_ts": f"{int(time.time())}.{next(self._ts):06d}"}
        if method == "conversations.members":
            members = self.members.get(str(args.get("channel")))
            if members is None:
                return {"ok": False, "error": "channel_not_found"}
            return {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}
        return {"ok": False, "error": "unknown_method"}
