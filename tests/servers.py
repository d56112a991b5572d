"""Serve the app on a real uvicorn server on 127.0.0.1, port 0, for the length of a test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from tests.waiting import wait_until


@asynccontextmanager
async def serving(app: FastAPI, *, access_log: bool = False) -> AsyncIterator[str]:
    """Run `app` (lifespan included) and yield its base URL; stop it on the way out."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan="on",
        log_config=None,
        access_log=access_log,
        ws="none",
        http="h11",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await wait_until(lambda: server.started or task.done(), what="uvicorn to start")
    if task.done():
        task.result()  # raises what stopped the server from starting
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
