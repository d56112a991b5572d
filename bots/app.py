"""The FastAPI app factory: health, metrics, the operator API, and each enabled channel."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bots.api import api_router
from bots.body_limit import BodyLimit
from bots.error_boundary import ErrorBoundary
from bots.inbox import mount_inbox
from bots.log_privacy import protect_logs
from bots.service import Service, build_service
from bots.settings import Settings, load_settings
from bots.slack import mount_slack
from bots.whatsapp import mount_whatsapp
from storage.base import DatabaseUnavailable

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, service: Service | None = None) -> FastAPI:
    """Build the app; the switchboard starts (and resumes pending work) with the server."""
    settings = settings or (service.settings if service else load_settings())
    service = service or build_service(settings)
    switchboard = service.switchboard

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await switchboard.start()
        try:
            yield
        finally:
            await service.close()

    protect_logs(settings)
    docs = settings.api_docs
    app = FastAPI(
        title="frontdesk",
        lifespan=lifespan,
        # The schema and its pages describe the operator API; off unless FRONTDESK_API_DOCS.
        openapi_url="/openapi.json" if docs else None,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
    )
    app.state.service = service
    # The last one added runs first: the boundary wraps the body limit, which wraps the routes.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(ErrorBoundary)

    @app.exception_handler(DatabaseUnavailable)
    async def database_unavailable(_request: Request, exc: DatabaseUnavailable) -> Response:
        # Nothing was stored: a 503 makes Slack and Twilio deliver the request again later.
        log.warning("request refused, the database is unavailable: %s", exc)
        return JSONResponse(
            {"error": "the database is unavailable; try again shortly"},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> Response:
        if not await service.store.ready(timeout=1.0):
            log.warning("readyz: the database is unreachable or locked")
            return JSONResponse({"status": "unavailable", "database": "unavailable"}, 503)
        return JSONResponse({"status": "ok", "database": "ok"})

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    token = settings.api_token.get_secret_value() if settings.api_token else None
    app.include_router(api_router(service.store, token))
    mount_slack(app, service)
    mount_whatsapp(app, service)
    mount_inbox(app, service)
    return app
