"""What a whole run writes to the log: no token, secret, phone number or message text at INFO,
the access log included; texts at DEBUG only when FRONTDESK_LOG_MESSAGE_TEXT says so."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import Engine

from agents.models.base import ModelProvider
from bots.app import create_app
from bots.service import Service, build_service
from storage.store import Store
from tests.conftest import make_settings
from tests.fake_slack import TOKEN as SLACK_TOKEN
from tests.fake_slack import FakeSlack
from tests.fake_twilio import FakeTwilio
from tests.models import EchoProvider
from tests.servers import serving
from tests.slack_requests import SECRET, callback, dm, signed
from tests.twilio_requests import ACCOUNT, MARIA, PUBLIC, SENDER, TOKEN, inbound_form, sign

API_TOKEN = "api-token-that-must-not-leak"
LUCIA_TEXT = "quiero saber el saldo de mi factura, soy Lucía"
MARIA_TEXT = "hola, mi dirección es Calle Falsa 123"


@dataclass
class Everything:
    """frontdesk with Slack, WhatsApp and the API on, and the fakes behind it."""

    service: Service
    http: httpx.AsyncClient
    slack: FakeSlack
    twilio: FakeTwilio


@asynccontextmanager
async def everything(
    engine: Engine, url: str, provider: ModelProvider | None = None, **settings: Any
) -> AsyncIterator[Everything]:
    slack = await FakeSlack().start()
    slack.add_user("U0LUCIA", "Lucía Pérez", locale="es-LA", tz="America/Mexico_City")
    twilio = await FakeTwilio(account_sid=ACCOUNT, auth_token=TOKEN).start()
    values = {"slack_bot_token": SLACK_TOKEN, "slack_signing_secret": SECRET,
              "slack_api_url": slack.api_url, "slack_send_interval_seconds": 0.0,
              "twilio_account_sid": ACCOUNT, "twilio_auth_token": TOKEN,
              "twilio_whatsapp_from": SENDER, "twilio_api_url": twilio.url, "public_url": PUBLIC,
              "api_token": API_TOKEN, **settings}  # fmt: skip
    service = build_service(make_settings(url, **values), store=Store(engine), provider=provider)
    try:
        async with (
            serving(create_app(service=service), access_log=True) as base,
            httpx.AsyncClient(base_url=base) as http,
        ):
            yield Everything(service=service, http=http, slack=slack, twilio=twilio)
    finally:
        await slack.close()
        await twilio.stop()


async def _twilio(app: Everything, path: str, form: dict[str, str], signature: str = "") -> int:
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Twilio-Signature": signature or sign(PUBLIC + path, form)}  # fmt: skip
    return (await app.http.post(path, content=urlencode(form), headers=headers)).status_code


async def _slack(app: Everything, payload: Any, **headers: str) -> int:
    body = json.dumps(payload)
    response = await app.http.post(
        "/slack/events", content=body, headers={**signed(body), **headers}
    )
    return response.status_code


async def _traffic(app: Everything) -> list[str]:
    """A realistic run, good and bad; returns the replies that went out."""
    statuses = [
        await _slack(app, callback(dm(LUCIA_TEXT, user="U0LUCIA", channel="D0LU"))),
        await _twilio(app, "/whatsapp/inbound", inbound_form(MARIA_TEXT)),
    ]
    await asyncio.wait_for(app.service.switchboard.drain(), 10)
    [sent] = app.twilio.messages
    callback_url = urlsplit(sent.status_callback or "")
    status_path = f"{callback_url.path}?{callback_url.query}"
    delivered = {"MessageSid": sent.sid, "SmsSid": sent.sid, "MessageStatus": "delivered",
                 "AccountSid": ACCOUNT, "From": SENDER, "To": MARIA}  # fmt: skip
    statuses += [
        await _twilio(app, status_path, delivered),
        # Refused: forged, from another account, an odd number, a malformed Slack event.
        await _twilio(app, "/whatsapp/inbound", inbound_form(MARIA_TEXT), signature="forged"),
        await _twilio(app, "/whatsapp/inbound",
                      inbound_form(MARIA_TEXT, AccountSid="AC" + "f" * 32)),
        await _twilio(app, "/whatsapp/inbound",
                      inbound_form(MARIA_TEXT, From="whatsapp:+٥٢١٥٥١٢٣٤٥٦٧٨", NumMedia="٣")),
        await _slack(app, {**callback(dm(LUCIA_TEXT)), "event": [LUCIA_TEXT]}),
        await _slack(app, callback(dm(LUCIA_TEXT)), **{"X-Slack-Signature": "v0=forged"}),
        # The operator API, with the token where it does not belong, and where it does.
        (await app.http.get("/api/conversations",
                            params={"token": API_TOKEN, "contact": MARIA})).status_code,
        (await app.http.get("/api/conversations", params={"contact": MARIA},
                            headers={"Authorization": f"Bearer {API_TOKEN}"})).status_code,
        (await app.http.post("/slack/events", content=b"x" * 2_000_000)).status_code,
    ]  # fmt: skip
    assert statuses == [200, 200, 204, 403, 403, 400, 400, 401, 401, 200, 413]
    return [post.args["text"] for post in app.slack.posts()] + [sent.body]


async def test_a_whole_run_logs_no_secret_number_or_text_at_info(
    engine: Engine, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with everything(engine, sqlite_url) as app:
        replies = await _traffic(app)
    lines = [logging.Formatter("%(levelname)s %(name)s %(message)s").format(r)
             for r in caplog.records]  # fmt: skip
    log = "\n".join(lines)
    assert any("uvicorn.access" in line and "GET /api/conversations " in line for line in lines)
    assert "WhatsApp inbound rejected" in log and "Slack request rejected" in log
    secrets = [API_TOKEN, SECRET, SLACK_TOKEN, TOKEN, "5512345678", "4155238886", "٥٥١٢٣٤٥٦٧٨",
               LUCIA_TEXT, MARIA_TEXT, "Calle Falsa", *replies]  # fmt: skip
    assert len(replies) == 2 and all(replies)
    for secret in secrets:
        assert secret not in log, secret


@pytest.mark.parametrize("log_text", [False, True])
async def test_debug_shows_message_texts_only_when_the_setting_allows(
    engine: Engine, sqlite_url: str, caplog: pytest.LogCaptureFixture, log_text: bool
) -> None:
    caplog.set_level(logging.DEBUG)
    words = "pineapple carpet lighthouse"
    async with everything(
        engine, sqlite_url, provider=EchoProvider(), log_message_text=log_text
    ) as app:
        assert await _slack(app, callback(dm(words, user="U0LUCIA", channel="D0LU"))) == 200
        await asyncio.wait_for(app.service.switchboard.drain(), 10)
        [reply] = app.slack.posts()
    assert reply.args["text"] == f"echo: {words}"
    # The Slack SDK logs each Web API call's body at DEBUG: the reply, word for word.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert (words in logged) is log_text
