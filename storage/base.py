"""What the store's query groups share: the engine, sessions, and calls from async code.

Methods are synchronous (async callers go through `run`); rows come back detached, readable after
their session closed (`expire_on_commit=False`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Self, TypeVar

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

from storage.db import SQLITE_SERVING_BUSY_TIMEOUT_MS, make_engine

T = TypeVar("T")

# How long an async caller keeps retrying a locked SQLite database before giving up with
# DatabaseUnavailable (a webhook then answers 503, and the vendor retries later).
BUSY_BUDGET_SECONDS = 3.0


class DatabaseUnavailable(Exception):
    """The database is locked, unreachable or refusing connections right now; try again later."""


def storable(text: str) -> str:
    """Make any text storable: no lone surrogates (bad UTF-8), no NUL (PostgreSQL refuses it)."""
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


class StoreBase:
    """The engine and the session factory the store's query groups build on."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # A SQLite statement takes about 0.1 ms, less than handing it to a worker thread and back
        # (measured: 4.6 ms against 9.8 ms of engine overhead per message); a networked database
        # waits on I/O, so its calls go to threads and the event loop stays free.
        self.inline = engine.dialect.name == "sqlite"

    @classmethod
    def open(cls, url: str, *, serving: bool = False) -> Self:
        """A store on the database at `url`; `close()` releases its connections. A `serving`
        store never lets SQLite hold the event loop waiting for a lock (see `run`)."""
        if serving:
            return cls(make_engine(url, busy_timeout_ms=SQLITE_SERVING_BUSY_TIMEOUT_MS))
        return cls(make_engine(url))

    @property
    def url(self) -> str:
        """The database URL with its password hidden, for messages and logs."""
        return self._engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        """Close the pooled connections; the store opens new ones if used again."""
        self._engine.dispose()

    def migrate(self) -> None:
        """Bring the schema up to the newest migration (`frontdesk db upgrade`)."""
        # Imported here so that only the commands that migrate load Alembic.
        from storage.migrate import upgrade

        upgrade(self._engine)

    def needs_migration(self) -> bool:
        """Whether the database lacks migrations this code expects."""
        from storage.migrate import pending_revisions

        return pending_revisions(self._engine)

    async def run(self, call: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run one of this store's methods from async code; raise DatabaseUnavailable when the
        database is locked for longer than `BUSY_BUDGET_SECONDS` or cannot be reached."""
        if not self.inline:
            try:
                return await asyncio.to_thread(call, *args, **kwargs)
            except (OperationalError, PoolTimeout) as exc:
                raise DatabaseUnavailable(_reason(exc)) from exc
        # Each method is one transaction that starts with BEGIN IMMEDIATE, so a "locked" failure
        # happened before it changed anything, and trying the whole call again is safe. The
        # waiting happens here, in asyncio sleeps, not in SQLite's busy handler on the loop.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BUSY_BUDGET_SECONDS
        pause = 0.005
        while True:
            try:
                return call(*args, **kwargs)
            except OperationalError as exc:
                if not _locked(exc):
                    raise  # a broken schema or a bad statement is a bug, not an outage
                if loop.time() >= deadline:
                    raise DatabaseUnavailable("the database is locked") from exc
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.1)

    async def ready(self, *, timeout: float = 1.0) -> bool:
        """Whether the database would take a write now, answered within `timeout` seconds."""
        try:
            if self.inline:
                # A write lock, taken and given back: reads succeed even while another process
                # holds the lock, but messages could not be stored.
                with self._engine.begin() as connection:
                    connection.execute(text("SELECT 1"))
                return True
            await asyncio.wait_for(asyncio.to_thread(self.ping), timeout)
        except (OperationalError, PoolTimeout, TimeoutError):
            return False
        return True

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """A session whose rows stay readable after commit."""
        with Session(self._engine, expire_on_commit=False) as session:
            yield session

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self._engine.connect() as connection:
            connection.execute(text("SELECT 1"))


def _locked(exc: OperationalError) -> bool:
    message = str(exc.orig).lower()
    return "locked" in message or "busy" in message


def _reason(exc: Exception) -> str:
    """A short reason without the statement or its parameters (they may hold personal data)."""
    origin = getattr(exc, "orig", None) or exc
    return f"{type(origin).__name__}: {str(origin).splitlines()[0][:200] if str(origin) else ''}"
