"""frontdesk served with the inbox, and two staff accounts, for the inbox's HTTP tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Engine

from bots.service import Service
from tests.inbox import ANA, BRUNO, Running, add_staff, serve_inbox


@pytest.fixture
def running(engine: Engine, sqlite_url: str) -> Running:
    """Start frontdesk (offline model, recording `test` channel) with these settings."""
    return lambda **settings: serve_inbox(engine, sqlite_url, **settings)


@pytest.fixture
async def inbox(running: Running) -> AsyncIterator[tuple[Service, str]]:
    """frontdesk with default settings and two staff accounts, Ana and Bruno."""
    async with running() as (service, url):
        add_staff(service, ANA)
        add_staff(service, BRUNO)
        yield service, url
