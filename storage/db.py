"""Engines and sessions: SQLite (WAL, busy timeout, immediate writes) or PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import create_engine

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Inside the server a locked SQLite database must not hold the event loop: each try waits this
# long at most, and `StoreBase.run` retries with asyncio sleeps in between.
SQLITE_SERVING_BUSY_TIMEOUT_MS = 25
# A PostgreSQL server that does not answer (a network partition) fails the connection attempt
# after this long instead of hanging the request.
POSTGRES_CONNECT_TIMEOUT_SECONDS = 5


def make_engine(
    url: str, *, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS, **kwargs: Any
) -> Engine:
    """Build the engine for `url`; for a file SQLite database, create its folder first.

    `busy_timeout_ms` is how long one SQLite statement waits for another writer's lock.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        connect_args = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS}
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={
            "check_same_thread": False,
            "timeout": busy_timeout_ms / 1000,
        },
        **kwargs,
    )
    _tune_sqlite(engine, busy_timeout_ms)
    return engine


def _tune_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    # pysqlite's own transaction handling starts transactions lazily and as DEFERRED: a reader
    # that later writes can then fail with "database is locked" without waiting. Taking the write
    # lock up front (BEGIN IMMEDIATE) lets the busy timeout queue writers instead.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def is_sqlite(engine: Engine) -> bool:
    """Whether the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"
