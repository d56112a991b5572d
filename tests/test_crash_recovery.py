"""A real `frontdesk serve` process killed (SIGKILL) after acknowledging messages answers them,
once, when it comes back: Slack and WhatsApp alike."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from slack_sdk.signature import SignatureVerifier
from twilio.request_validator import RequestValidator

from tests.fake_slack import FakeSlack
from tests.fake_twilio import FakeTwilio
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]
SIGNING_SECRET = "crash-signing-secret"
AUTH_TOKEN = "crash-auth-token"
ACCOUNT = "AC" + "c" * 32
PUBLIC = "https://frontdesk.example.com"
VENDOR_PREFIXES = ("FRONTDESK_", "SLACK_", "TWILIO_", "ANTHROPIC_", "OPENAI_")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def serving(
    env: dict[str, str], cwd: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, asyncio.subprocess.Process]]:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.cli", "serve", "--port", str(port),
        env=env, cwd=cwd, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

        async def healthy() -> bool:
            try:
                return (await client.get("/healthz")).status_code == 200
            except httpx.TransportError:
                return False

        await wait_until(healthy, what="frontdesk serve to answer /healthz", timeout=30)
        try:
            yield client, process
        finally:
            if process.returncode is None:
                process.terminate()
            await process.wait()


def _slack_dm(text: str, ts: str = "1700000000.000100") -> tuple[str, dict[str, str]]:
    body = json.dumps({
        "type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": "EvCRASH1",
        "event_time": int(time.time()),
        "event": {"type": "message", "channel_type": "im", "channel": "D0CRASH",
                  "user": "U0LUCIA", "text": text, "ts": ts},
    })  # fmt: skip
    stamp = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=stamp, body=body)
    assert signature is not None
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature,
               "Content-Type": "application/json"}  # fmt: skip
    return body, headers


def _whatsapp(text: str) -> tuple[str, dict[str, str]]:
    params = {"MessageSid": "SM" + "1" * 32, "AccountSid": ACCOUNT, "Body": text, "NumMedia": "0",
              "From": "whatsapp:+5511987654321", "To": "whatsapp:+14155238886",
              "ProfileName": "João", "WaId": "5511987654321"}  # fmt: skip
    signature = RequestValidator(AUTH_TOKEN).compute_signature(f"{PUBLIC}/whatsapp/inbound", params)
    headers = {"X-Twilio-Signature": signature,
               "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
    return urllib.parse.urlencode(params), headers


async def test_killed_after_the_ack_the_server_answers_once_when_back(tmp_path: Path) -> None:
    slack = await FakeSlack().start()
    slack.add_user("U0LUCIA", "Lucía Pérez", locale="es-LA", tz="America/Mexico_City")
    twilio = await FakeTwilio(account_sid=ACCOUNT, auth_token=AUTH_TOKEN).start()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(VENDOR_PREFIXES)},
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'crash.db'}",
        "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": f"{slack.url}/api/", "FRONTDESK_SLACK_SEND_INTERVAL_SECONDS": "0",
        "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886", "TWILIO_API_URL": twilio.url,
        "FRONTDESK_PUBLIC_URL": PUBLIC,
    }  # fmt: skip
    try:
        migrate = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bots.cli", "db", "upgrade", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        assert await migrate.wait() == 0
        # A long burst window: the server acknowledges and stores, and has not answered yet.
        async with serving({**env, "FRONTDESK_DEBOUNCE_SECONDS": "30"}, tmp_path) as (
            client,
            process,
        ):
            body, headers = _slack_dm("quiero saber el saldo de mi factura")
            assert (
                await client.post("/slack/events", content=body, headers=headers)
            ).status_code == 200
            form, headers = _whatsapp("Oi, minha internet está muito lenta")
            response = await client.post("/whatsapp/inbound", content=form, headers=headers)
            assert (response.status_code, response.text) == (200, "<Response/>")
            process.send_signal(signal.SIGKILL)
            await process.wait()
        assert slack.posts() == [] and twilio.messages == []

        async with serving({**env, "FRONTDESK_DEBOUNCE_SECONDS": "0"}, tmp_path) as (client, _):
            # Slack retries the event it saw no reply to; it must not be answered twice.
            body, headers = _slack_dm("quiero saber el saldo de mi factura")
            headers["X-Slack-Retry-Num"] = "1"
            response = await client.post("/slack/events", content=body, headers=headers)
            assert response.status_code == 200
            # Replies in a conversation go out in order, so once this one is there, a second
            # answer to the first message would be there too.
            body, headers = _slack_dm("gracias", ts="1700000001.000100")
            assert (await client.post("/slack/events", content=body, headers=headers)).is_success
            await wait_until(
                lambda: len(slack.posts()) >= 2 and bool(twilio.messages),
                what="both channels' replies after the restart",
                timeout=20,
            )
    finally:
        await slack.close()
        await twilio.stop()

    first, thanks = slack.posts()
    assert first.args["channel"] == thanks.args["channel"] == "D0CRASH"
    assert "cliente" in first.args["text"]  # billing asks Lucía for her customer number
    [sent] = twilio.messages
    assert sent.to == "whatsapp:+5511987654321"
    assert "roteador" in sent.body or "internet" in sent.body.lower()
