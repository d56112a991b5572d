"""The app factory's guards: API docs only when asked for, and an unexpected failure answered
with a bare 500 whose request id matches one error log line."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import Engine, text

from bots.app import create_app
from bots.service import build_service
from storage.store import Store
from tests.conftest import make_settings
from tests.servers import serving

API_TOKEN = "api-test-token"
DOC_PATHS = ("/docs", "/redoc", "/openapi.json")


@pytest.mark.parametrize("enabled", [False, True])
async def test_api_docs_are_served_only_when_enabled(
    engine: Engine, sqlite_url: str, enabled: bool
) -> None:
    settings = make_settings(sqlite_url, api_token=API_TOKEN, api_docs=enabled)
    app = create_app(service=build_service(settings, store=Store(engine)))
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as client:
        statuses = [(await client.get(path)).status_code for path in DOC_PATHS]
        schema = await client.get("/openapi.json")
    assert statuses == ([200, 200, 200] if enabled else [404, 404, 404])
    if enabled:
        assert "/api/conversations" in schema.json()["paths"]


async def test_an_unexpected_failure_is_a_bare_500_with_a_request_id_in_the_log(
    engine: Engine, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(
        service=build_service(make_settings(sqlite_url, api_token=API_TOKEN), store=Store(engine))
    )
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as client:
        # A real fault, not a mock: the table the API reads disappears under the running app.
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE conversations RENAME TO conversations_gone"))
        caplog.set_level(logging.ERROR)
        response = await client.get(
            "/api/conversations",
            params={"contact": "whatsapp:+5215512345678"},
            headers={"Authorization": f"Bearer {API_TOKEN}"},
        )
        healthy = await client.get("/healthz")
    assert response.status_code == 500
    body = response.json()
    assert set(body) == {"error", "request_id"} and body["error"] == "internal error"
    assert response.headers["x-request-id"] == body["request_id"]
    assert "conversations" not in response.text and "Traceback" not in response.text
    [record] = [r for r in caplog.records if r.name == "bots.error_boundary"]
    line = record.getMessage()
    assert line.startswith(f"request {body['request_id']}: GET /api/conversations failed: ")
    assert "OperationalError" in line and "bots/api.py" in line
    # The exception's text (the SQL and its parameters) stays out of the log line.
    assert "SELECT" not in line and "5512345678" not in line
    assert healthy.status_code == 200  # and the server goes on
