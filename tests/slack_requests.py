"""Signed Slack requests and a running frontdesk with Slack enabled, for the tests."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine

from agents.models.base import ModelProvider
from bots.app import create_app
from bots.service import Service, build_service
from storage.store import Store
from tests.conftest import make_settings
from tests.fake_slack import BOT_USER_ID, TEAM_ID, TOKEN, FakeSlack
from tests.servers import serving

SECRET = "test-signing-secret"
ANA = "U0ANA"
DM = "D0ANA"
GENERAL = "C0GENERAL"

_seq = itertools.count(1)


def new_ts() -> str:
    """A fresh Slack message timestamp."""
    return f"{int(time.time())}.{next(_seq):06d}"


def callback(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """An Events API envelope around one event, as Slack sends it."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "A0FRONT",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_seq):08d}",
        "event_time": int(time.time()),
        "authorizations": [
            {"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True,
             "is_enterprise_install": False}
        ],
    }  # fmt: skip


def dm(text: str, *, user: str | None = ANA, channel: str = DM, **extra: Any) -> dict[str, Any]:
    """A message.im event."""
    ts = new_ts()
    event = {"type": "message", "channel": channel, "channel_type": "im", "user": user,
             "text": text, "ts": ts, "event_ts": ts, "client_msg_id": f"cm-{ts}"}  # fmt: skip
    return {**event, **extra}


def mention(text: str, *, user: str = ANA, thread_ts: str | None = None) -> dict[str, Any]:
    """An app_mention event in #general, top-level or inside a thread."""
    ts = new_ts()
    event = {"type": "app_mention", "channel": GENERAL, "user": user,
             "text": f"<@{BOT_USER_ID}> {text}", "ts": ts, "event_ts": ts}  # fmt: skip
    return {**event, "thread_ts": thread_ts} if thread_ts else event


def channel_message(text: str, *, thread_ts: str | None = None, user: str = ANA) -> dict[str, Any]:
    """A message.channels event in #general."""
    ts = new_ts()
    event = {"type": "message", "channel": GENERAL, "channel_type": "channel", "user": user,
             "text": text, "ts": ts, "event_ts": ts}  # fmt: skip
    return {**event, "thread_ts": thread_ts} if thread_ts else event


def signed(body: str, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack would send with this body."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    assert signature is not None
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
        "Content-Type": "application/json",
    }


class Slack:
    """A running frontdesk with Slack enabled, and a client that signs like Slack."""

    def __init__(self, service: Service, url: str) -> None:
        self.service = service
        self.http = httpx.AsyncClient(base_url=url)

    async def send(
        self, payload: dict[str, Any], *, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        body = json.dumps(payload)
        return await self.http.post(
            "/slack/events", content=body, headers={**signed(body), **(headers or {})}
        )

    async def event(self, event: dict[str, Any], **kwargs: Any) -> httpx.Response:
        response = await self.send(callback(event), **kwargs)
        assert response.status_code == 200, response.text
        return response


@asynccontextmanager
async def running(
    engine: Engine,
    sqlite_url: str,
    fake: FakeSlack,
    *,
    provider: ModelProvider | None = None,
    **settings: Any,
) -> AsyncIterator[Slack]:
    """Serve frontdesk on 127.0.0.1 (port 0) with uvicorn, talking to the fake Slack."""
    values: dict[str, Any] = {
        "slack_bot_token": TOKEN,
        "slack_signing_secret": SECRET,
        "slack_api_url": fake.api_url,
        "slack_send_interval_seconds": 0.0,
        "slack_timeout_seconds": 2.0,
    }
    values.update(settings)
    service = build_service(
        make_settings(sqlite_url, **values), store=Store(engine), provider=provider
    )
    async with serving(create_app(service=service)) as url:
        slack = Slack(service, url)
        try:
            yield slack
        finally:
            await slack.http.aclose()


async def settle(slack: Slack) -> None:
    """Wait until the switchboard has answered and delivered everything it was given."""
    await asyncio.wait_for(slack.service.switchboard.drain(), 10)
