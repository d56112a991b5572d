"""Shared fixtures: a clean environment, loopback-only network, a migrated database."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from agents.demo_backend import DemoBackend
from agents.desks import AgentSpec, build_agents
from agents.knowledge import KnowledgeBase, default_knowledge_dir
from bots.service import Service, build_service
from bots.settings import Settings
from storage.db import make_engine
from storage.migrate import upgrade
from storage.store import Store
from tests.channels import RecordingSender
from tests.desks import NOW

ENV_PREFIXES = ("FRONTDESK_", "SLACK_", "TWILIO_", "ANTHROPIC_", "OPENAI_", "DATABASE_URL")
LOOPBACK = ("127.0.0.1", "::1", "localhost")
ALWAYS_OPEN = '{"default": "UTC mon-sun 00:00-24:00"}'
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _postgres_url() -> tuple[str, str]:
    """The PostgreSQL server storage tests also run on, and why that one (or none)."""
    configured = os.environ.get("FRONTDESK_TEST_POSTGRES_URL")
    if configured is not None:
        return configured, "FRONTDESK_TEST_POSTGRES_URL" if configured else "disabled (empty)"
    engine = create_engine(DEFAULT_POSTGRES_URL, connect_args={"connect_timeout": 2})
    try:
        with engine.connect():
            return DEFAULT_POSTGRES_URL, "found on 127.0.0.1:5432"
    except Exception:
        return "", "none on 127.0.0.1:5432; set FRONTDESK_TEST_POSTGRES_URL to use one"
    finally:
        engine.dispose()


POSTGRES_URL, POSTGRES_SOURCE = _postgres_url()


def pytest_report_header() -> str:
    """Say which databases the storage tests run on."""
    return f"databases: SQLite, PostgreSQL: {POSTGRES_SOURCE}"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting leaks in from the machine, and no `.env` is found."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection beyond this machine fails the test."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOOPBACK:
            raise AssertionError(f"test tried to reach {address!r}; only loopback is allowed")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


def _postgres_database() -> Iterator[str]:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"frontdesk_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


DATABASES = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: SQLite in a temp folder, and PostgreSQL when configured."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'frontdesk.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file for tests that need not run on both databases."""
    return f"sqlite:///{tmp_path / 'frontdesk.db'}"


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    """A migrated SQLite engine."""
    engine = make_engine(sqlite_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def any_engine(database_url: str) -> Iterator[Engine]:
    """A migrated engine on each database the suite tests (SQLite, and PostgreSQL if found)."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def make_settings(database_url: str, **overrides: Any) -> Settings:
    """Test settings: no debounce, fast retries, everything else default."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "debounce_seconds": 0.0,
        "send_retry_base_seconds": 0.01,
        "send_retry_max_seconds": 0.05,
        # The team is always in, so escalation notices do not depend on when tests run.
        "business_hours": ALWAYS_OPEN,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def service(engine: Engine, sqlite_url: str) -> AsyncIterator[Service]:
    """A wired service with the offline model and a recording `test` channel."""
    service = build_service(make_settings(sqlite_url), store=Store(engine))
    service.switchboard.add_sender(RecordingSender())
    yield service
    await service.switchboard.close()


@pytest.fixture
def sender(service: Service) -> RecordingSender:
    """The recording sender behind the `test` channel."""
    sender = service.switchboard.senders["test"]
    assert isinstance(sender, RecordingSender)
    return sender


@pytest.fixture
def backend() -> DemoBackend:
    """The demo business with its clock stopped at NOW."""
    return DemoBackend(clock=lambda: NOW)


@pytest.fixture(scope="session")
def knowledge() -> KnowledgeBase:
    """The knowledge base that ships with frontdesk."""
    return KnowledgeBase.load(default_knowledge_dir())


@pytest.fixture
def agents(backend: DemoBackend, knowledge: KnowledgeBase) -> dict[str, AgentSpec]:
    """The three desks over the demo backend."""
    return build_agents(backend, knowledge)
