"""The body limit: enforced while the body streams in, before any signature check, on every
endpoint; a forged 300 MB POST costs a `frontdesk serve` process no more than a few MB."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import Engine

from tests.fake_slack import FakeSlack
from tests.fake_twilio import FakeTwilio
from tests.raw_http import post
from tests.slack_requests import callback, dm, signed
from tests.slack_requests import running as running_slack
from tests.test_crash_recovery import VENDOR_PREFIXES, _free_port
from tests.twilio_requests import ACCOUNT, PUBLIC, TOKEN, inbound_form, sign
from tests.twilio_requests import running as running_whatsapp
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]
MB = 1_048_576
API_TOKEN = "api-token-never-logged"


@pytest.fixture
async def slack_fake() -> AsyncIterator[FakeSlack]:
    slack = await FakeSlack().start()
    yield slack
    await slack.close()


@pytest.fixture
async def twilio_fake() -> AsyncIterator[FakeTwilio]:
    server = await FakeTwilio(account_sid=ACCOUNT, auth_token=TOKEN).start()
    yield server
    await server.stop()


async def test_a_declared_length_over_the_limit_is_refused_without_sending_the_body(
    engine: Engine, sqlite_url: str, slack_fake: FakeSlack
) -> None:
    async with running_slack(engine, sqlite_url, slack_fake) as slack:
        url = str(slack.http.base_url)
        for path in ("/slack/events", "/healthz", "/api/conversations", "/no/such/path"):
            # Only the head goes out: the answer must come before any of the 300 MB.
            status, written = await post(url, path, declared=300 * MB)
            assert (status, written) == (413, 0), path


async def test_a_signed_20_mb_slack_event_is_refused_and_not_stored(
    engine: Engine, sqlite_url: str, slack_fake: FakeSlack
) -> None:
    body = json.dumps(callback(dm("x" * 20 * MB)))
    async with running_slack(engine, sqlite_url, slack_fake) as slack:
        url = str(slack.http.base_url)
        for chunked in (False, True):
            status, _ = await post(url, "/slack/events", body=body.encode(), chunked=chunked,
                                   headers=signed(body))  # fmt: skip
            assert status == 413
        assert slack.service.store.count_messages() == 0
        # Just under the limit is still read, checked and (being too long a text) refused.
        text = "y" * (MB - 2_000)
        small = json.dumps(callback(dm(text)))
        response = await slack.http.post("/slack/events", content=small, headers=signed(small))
        assert response.status_code == 400
        assert response.json() == {"error": "event.text: text is longer than 40000 characters"}


async def test_a_signed_20_mb_twilio_message_is_refused_and_not_stored(
    engine: Engine, sqlite_url: str, twilio_fake: FakeTwilio
) -> None:
    form = inbound_form("x" * 20 * MB)
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Twilio-Signature": sign(PUBLIC + "/whatsapp/inbound", form)}  # fmt: skip
    async with running_whatsapp(engine, sqlite_url, twilio_fake) as wa:
        status, _ = await post(str(wa.http.base_url), "/whatsapp/inbound",
                               body=urlencode(form).encode(), headers=headers)  # fmt: skip
        assert status == 413
        assert wa.service.store.count_messages() == 0


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS line")


@asynccontextmanager
async def frontdesk_serve(tmp_path: Path) -> AsyncIterator[tuple[str, int, Path]]:
    """A real `frontdesk serve` process with Slack, WhatsApp and the API enabled."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(VENDOR_PREFIXES)},
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'limit.db'}",
        "SLACK_BOT_TOKEN": "xoxb-never-logged", "SLACK_SIGNING_SECRET": "secret-never-logged",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": "twilio-token-never-logged",
        "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886", "TWILIO_API_URL": "http://127.0.0.1:9",
        "FRONTDESK_PUBLIC_URL": PUBLIC, "FRONTDESK_API_TOKEN": API_TOKEN,
    }  # fmt: skip
    migrate = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.cli", "db", "upgrade", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert await asyncio.wait_for(migrate.wait(), 60) == 0
    port = _free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bots.cli", "serve", "--port", str(port),
            env=env, cwd=tmp_path, stdout=log_file, stderr=log_file,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(base_url=url) as client:

                async def healthy() -> bool:
                    try:
                        return (await client.get("/healthz")).status_code == 200
                    except httpx.TransportError:
                        return False

                await wait_until(healthy, what="frontdesk serve to answer /healthz", timeout=30)
            yield url, process.pid, log_path
        finally:
            if process.returncode is None:
                process.terminate()
            await asyncio.wait_for(process.wait(), 30)


async def test_a_forged_300_mb_post_costs_the_server_no_memory(tmp_path: Path) -> None:
    async with frontdesk_serve(tmp_path) as (url, pid, log_path):
        # Warm up the paths a refusal takes, so the measurement sees only the request.
        for chunked in (False, True):
            assert (await post(url, "/slack/events", size=2 * MB, chunked=chunked))[0] == 413
        before = _rss_kb(pid)
        streamed, written = await post(url, "/slack/events", size=300 * MB, chunked=True)
        declared, _ = await post(url, "/whatsapp/inbound", size=300 * MB)
        # An attacker goes on sending after the 413: the server drops it as it comes.
        relentless, _ = await post(url, "/slack/events", size=300 * MB, ignore_answer=True)
        after = _rss_kb(pid)
        async with httpx.AsyncClient(base_url=url) as client:
            probe = await client.get(
                "/api/conversations",
                params={"token": API_TOKEN, "contact": "whatsapp:+5215512345678"},
            )
    assert (streamed, declared, relentless, probe.status_code) == (413, 413, 413, 401)
    assert written < 300 * MB  # the answer came long before the end of the body
    assert after - before < 8 * 1024, f"RSS grew from {before} kB to {after} kB"
    # uvicorn's access log, configured by `frontdesk serve` itself, keeps paths, not queries.
    log = log_path.read_text()
    assert '"GET /api/conversations HTTP/1.1" 401' in log
    for secret in (API_TOKEN, "5512345678", "never-logged", "4155238886"):
        assert secret not in log
