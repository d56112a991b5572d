"""Signed Twilio requests and a running frontdesk with WhatsApp enabled, for the tests.

Requests are signed with twilio's RequestValidator for the public URL (as behind a
TLS-terminating proxy); replies go through the real twilio SDK to a fake Twilio REST API.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from twilio.request_validator import RequestValidator

from agents.models.base import ModelRequest, ModelResponse
from bots.app import create_app
from bots.service import Service, build_service
from bots.whatsapp import WhatsAppChannel
from bots.whatsapp.forms import Expected
from storage.models import Message
from storage.store import Store
from tests.conftest import make_settings
from tests.fake_twilio import (
    FakeTwilio,
    SentMessage,
)
from tests.models import EchoProvider
from tests.servers import serving

ACCOUNT = "AC" + "0123456789abcdef" * 2  # a SID as Twilio writes them
TOKEN = "test-token"
SENDER = "whatsapp:+14155238886"
PUBLIC = "https://frontdesk.example.com"
MARIA = "whatsapp:+5215512345678"  # as WhatsApp sends a Mexican mobile: with the old "1"
JOAO = "whatsapp:+551187654321"  # a Brazilian mobile registered before the ninth digit
EXPECTED = Expected(account_sid=ACCOUNT, api_url=None, max_text=40_000)


@dataclass
class WhatsApp:
    """The running app, its service, and the fake Twilio it sends to."""

    service: Service
    fake: FakeTwilio
    http: httpx.AsyncClient
    engine: Engine

    @property
    def channel(self) -> WhatsAppChannel:
        channel = self.http.app_state.whatsapp  # type: ignore[attr-defined]
        assert isinstance(channel, WhatsAppChannel)
        return channel

    async def post(
        self,
        path: str,
        params: dict[str, str],
        *,
        signature: str | None = None,
        signed_url: str | None = None,
    ) -> httpx.Response:
        """POST a form as Twilio does, signed for the public URL unless told otherwise."""
        if signature is None:
            signature = sign(signed_url or PUBLIC + path, params)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature:
            headers["X-Twilio-Signature"] = signature
        return await self.http.post(path, content=urlencode(params), headers=headers)

    async def message(self, body: str, *, sender: str = MARIA, **fields: str) -> httpx.Response:
        """A customer's message, with the fields Twilio sends."""
        return await self.post("/whatsapp/inbound", inbound_form(body, sender=sender, **fields))

    async def callback(self, sent: SentMessage, status: str, **fields: str) -> httpx.Response:
        """Twilio's status callback for `sent`, to the URL the reply asked for."""
        assert sent.status_callback is not None
        parts = urlsplit(sent.status_callback)
        params = {
            "MessageSid": sent.sid, "SmsSid": sent.sid, "MessageStatus": status,
            "SmsStatus": status, "AccountSid": ACCOUNT, "From": SENDER, "To": sent.to,
            "ApiVersion": "2010-04-01", "ChannelPrefix": "whatsapp", **fields,
        }  # fmt: skip
        return await self.post(
            f"{parts.path}?{parts.query}", params, signed_url=sent.status_callback
        )

    async def settle(self) -> None:
        """Wait until every conversation's work (turns, sends, retries) is done."""
        await self.service.switchboard.drain()

    def replies(self) -> list[Message]:
        """Every outbound message row, oldest first."""
        with Session(self.engine, expire_on_commit=False) as session:
            query = select(Message).where(Message.direction == "out").order_by(col(Message.id))
            return list(session.exec(query).all())


def sign(url: str, params: dict[str, str]) -> str:
    return str(RequestValidator(TOKEN).compute_signature(url, params))


def inbound_form(body: str, *, sender: str = MARIA, **fields: str) -> dict[str, str]:
    sid = f"SM{uuid.uuid4().hex}"
    form = {
        "SmsMessageSid": sid, "NumMedia": "0", "ProfileName": "María G", "MessageType": "text",
        "SmsSid": sid, "WaId": sender.removeprefix("whatsapp:+"), "SmsStatus": "received",
        "Body": body, "To": SENDER, "NumSegments": "1", "ReferralNumMedia": "0",
        "MessageSid": sid, "AccountSid": ACCOUNT, "From": sender, "ApiVersion": "2010-04-01",
    }  # fmt: skip
    form.update(fields)
    return form


@asynccontextmanager
async def running(
    engine: Engine, url: str, fake: FakeTwilio, *, provider: Any = None, **settings: Any
) -> AsyncIterator[WhatsApp]:
    """The app on a real uvicorn server on 127.0.0.1, port 0, configured for the fake."""
    values: dict[str, Any] = {
        "twilio_account_sid": ACCOUNT,
        "twilio_auth_token": TOKEN,
        "twilio_whatsapp_from": SENDER,
        "twilio_api_url": fake.url,
        "public_url": PUBLIC,
        **settings,
    }
    service = build_service(make_settings(url, **values), store=Store(engine), provider=provider)
    app = create_app(service=service)
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as http:
        http.app_state = app.state  # type: ignore[attr-defined]
        yield WhatsApp(service=service, fake=fake, http=http, engine=engine)


class GatedProvider(EchoProvider):
    """Echoes, but only once `gate` is opened: shows the webhook does not wait for the model."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()

    async def respond(self, request: ModelRequest) -> ModelResponse:
        if request.agent != "router":
            await self.gate.wait()
        return await super().respond(request)
