"""A SQLite database another process holds locked: the server keeps answering, says 503 where
it cannot store, and stores nothing twice once the lock is gone."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

import httpx
from sqlalchemy import Engine

from bots.app import create_app
from bots.service import build_service
from storage.store import Store
from tests.conftest import make_settings
from tests.fake_twilio import FakeTwilio
from tests.servers import serving
from tests.twilio_requests import ACCOUNT, PUBLIC, SENDER, TOKEN, inbound_form, sign


@contextmanager
def write_locked(sqlite_url: str) -> Iterator[None]:
    """Another process's transaction holds the database's write lock."""
    connection = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        connection.execute("ROLLBACK")
        connection.close()


async def test_a_locked_database_gives_503s_then_everything_is_stored_once(
    engine: Engine, sqlite_url: str
) -> None:
    twilio = await FakeTwilio(ACCOUNT, TOKEN).start()
    settings = make_settings(
        sqlite_url,
        twilio_account_sid=ACCOUNT, twilio_auth_token=TOKEN, twilio_whatsapp_from=SENDER,
        twilio_api_url=twilio.url, public_url=PUBLIC,
    )  # fmt: skip
    store = Store.open(sqlite_url, serving=True)
    service = build_service(settings, store=store)
    form = inbound_form("hola, ¿siguen ahí?")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": sign(PUBLIC + "/whatsapp/inbound", form),
    }
    try:
        async with (
            serving(create_app(service=service)) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as http,
        ):
            with write_locked(sqlite_url):
                assert (await http.get("/healthz")).status_code == 200
                assert (await http.get("/readyz")).status_code == 503
                refused = await http.post(
                    "/whatsapp/inbound", content=urlencode(form), headers=headers
                )
                assert refused.status_code == 503
                assert refused.headers["retry-after"] == "5"
                assert (await http.get("/healthz")).status_code == 200
            # Twilio delivers the same webhook again; now it is stored, once.
            for _ in range(2):
                accepted = await http.post(
                    "/whatsapp/inbound", content=urlencode(form), headers=headers
                )
                assert accepted.status_code == 200
            assert (await http.get("/readyz")).status_code == 200
            await service.switchboard.drain()
    finally:
        await twilio.stop()
        store.close()
    assert service.store.count_messages(direction="in") == 1
    assert len(twilio.messages) == 1
