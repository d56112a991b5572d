"""What the store's query groups share: the engine, sessions, and calls from async code.

Methods are synchronous (async callers go through `run`); rows come back detached, readable after
their session closed (`expire_on_commit=False`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Self, TypeVar

from sqlalchemy import Engine, text
from sqlmodel import Session

from storage.db import make_engine

T = TypeVar("T")


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
    def open(cls, url: str) -> Self:
        """A store on the database at `url`; `close()` releases its connections."""
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
        """Run one of this store's methods from async code."""
        if self.inline:
            return call(*args, **kwargs)
        return await asyncio.to_thread(call, *args, **kwargs)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """A session whose rows stay readable after commit."""
        with Session(self._engine, expire_on_commit=False) as session:
            yield session

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self._engine.connect() as connection:
            connection.execute(text("SELECT 1"))
