"""The FastAPI app factory: health, metrics, the operator API, and each enabled channel."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bots.api import api_router
from bots.inbox import mount_inbox
from bots.service import Service, build_service
from bots.settings import Settings, load_settings
from bots.slack import mount_slack
from bots.whatsapp import mount_whatsapp

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

    app = FastAPI(title="frontdesk", lifespan=lifespan)
    app.state.service = service

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> Response:
        try:
            await service.store.run(service.store.ping)
        except Exception as exc:
            log.warning("readyz: database unreachable: %s", type(exc).__name__)
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
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
