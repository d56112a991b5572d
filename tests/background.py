"""Async fakes and the app on uvicorn, run on an event loop in a thread of their own.

Hypothesis's `@given` tests are synchronous: they drive the running server with a blocking
HTTP client while its loop (the fakes', uvicorn's, the switchboard's) runs beside them.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import AsyncExitStack, contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
TIMEOUT_SECONDS = 30


class Background:
    """An event loop running in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = TIMEOUT_SECONDS) -> T:
        """Run `coroutine` on the loop and wait (bounded) for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)


@contextmanager
def in_background(
    start: Callable[[AsyncExitStack], Awaitable[T]],
) -> Iterator[tuple[Background, T]]:
    """Run `start(stack)` on a background loop, yield what it returns, then unwind `stack`."""
    background = Background()
    background.thread.start()
    stack = AsyncExitStack()

    async def begin() -> T:
        return await start(stack)

    try:
        yield background, background.run(begin())
    finally:
        try:
            background.run(stack.aclose())
        finally:
            background.loop.call_soon_threadsafe(background.loop.stop)
            background.thread.join(TIMEOUT_SECONDS)
            background.loop.close()
