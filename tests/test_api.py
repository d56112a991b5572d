"""The operator JSON API and health endpoints over real HTTP semantics (ASGI transport)."""

from __future__ import annotations

import httpx
from sqlalchemy import Engine

from bots.app import create_app
from bots.service import build_service
from storage.store import Store
from tests.channels import RecordingSender, inbound
from tests.conftest import make_settings

TOKEN = "test-api-token"


async def _client(engine: Engine, url: str, **settings: object) -> httpx.AsyncClient:
    service = build_service(make_settings(url, **settings), store=Store(engine))
    service.switchboard.add_sender(RecordingSender())
    app = create_app(service=service)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    client.app_service = service  # type: ignore[attr-defined]
    return client


async def test_health_and_readiness(engine: Engine, sqlite_url: str) -> None:
    async with await _client(engine, sqlite_url) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        assert (await client.get("/readyz")).json() == {"status": "ok", "database": "ok"}
        metrics = await client.get("/metrics")
        assert "frontdesk_inbound_messages_total" in metrics.text


async def test_readiness_fails_when_the_database_is_unreachable(sqlite_url: str) -> None:
    from storage.db import make_engine

    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    async with await _client(engine, sqlite_url) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


async def test_api_is_absent_without_a_token(engine: Engine, sqlite_url: str) -> None:
    async with await _client(engine, sqlite_url) as client:
        response = await client.get("/api/conversations")
    assert response.status_code == 404


async def test_api_rejects_missing_or_wrong_tokens(engine: Engine, sqlite_url: str) -> None:
    async with await _client(engine, sqlite_url, api_token=TOKEN) as client:
        assert (await client.get("/api/conversations")).status_code == 401
        wrong = await client.get("/api/conversations", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401


async def test_api_lists_and_shows_conversations(engine: Engine, sqlite_url: str) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with await _client(engine, sqlite_url, api_token=TOKEN) as client:
        service = client.app_service  # type: ignore[attr-defined]
        await service.switchboard.receive(inbound("quiero saber el saldo de mi factura"))
        await service.switchboard.receive(inbound("hi", sender="test:+14155550100", phone=None))
        await service.switchboard.drain()

        listing = await client.get(
            "/api/conversations", params={"contact": "test:+5215512345678"}, headers=auth
        )
        [summary] = listing.json()["conversations"]
        assert summary["contact"] == "test:+5215512345678"
        assert summary["language"] == "es"
        assert summary["active_agent"] == "billing"

        detail = (await client.get(f"/api/conversations/{summary['id']}", headers=auth)).json()
        assert detail["status"] == "bot"
        first, reply = detail["messages"]
        assert (first["direction"], first["author"], first["language"]) == ("in", "customer", "es")
        assert (reply["direction"], reply["author"], reply["agent"]) == ("out", "agent", "billing")
        assert reply["language"] == "es"

        everything = (await client.get("/api/conversations", headers=auth)).json()
        assert [c["contact"] for c in everything["conversations"]] == [
            "test:+14155550100",
            "test:+5215512345678",
        ]
        assert (await client.get("/api/conversations/999", headers=auth)).status_code == 404
        bad = await client.get("/api/conversations", params={"channel": "fax"}, headers=auth)
        assert bad.status_code == 422
