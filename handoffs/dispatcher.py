"""One worker per busy conversation: turns in arrival order, conversations in parallel."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

RETRY_AFTER_ERROR_SECONDS = 5.0
RETRY_AFTER_ERROR_MAX_SECONDS = 300.0


class Dispatcher:
    """Runs `work(conversation_id)` for each woken conversation, never twice at once.

    A wake-up while the conversation's worker runs makes it go round once more, so nothing that
    arrived during a turn waits for the next message to be noticed.
    """

    def __init__(self, work: Callable[[int], Awaitable[None]]) -> None:
        self._work = work
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._again: set[int] = set()
        self._locks: dict[int, asyncio.Lock] = {}
        self._failures: dict[int, int] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False

    def lock(self, conversation_id: int) -> asyncio.Lock:
        """The conversation's lock: held for each model call, send and staff action."""
        return self._locks.setdefault(conversation_id, asyncio.Lock())

    def wake(self, conversation_id: int) -> None:
        """Make sure the conversation's pending work gets done."""
        if self._closed:
            return
        if conversation_id in self._tasks:
            self._again.add(conversation_id)
            return
        self._idle.clear()
        task = asyncio.create_task(
            self._run(conversation_id), name=f"conversation-{conversation_id}"
        )
        self._tasks[conversation_id] = task

    async def _run(self, conversation_id: int) -> None:
        try:
            while True:
                self._again.discard(conversation_id)
                try:
                    await self._work(conversation_id)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    self._failed(conversation_id)
                    return
                self._failures.pop(conversation_id, None)
                if conversation_id not in self._again:
                    return
        finally:
            self._tasks.pop(conversation_id, None)
            if not self._tasks:
                self._idle.set()

    def _failed(self, conversation_id: int) -> None:
        # Retry with a doubling delay: a passing fault (a database failover) heals on its own,
        # and a fault that keeps coming back costs one attempt per few minutes, not a loop.
        failures = self._failures[conversation_id] = self._failures.get(conversation_id, 0) + 1
        delay = min(RETRY_AFTER_ERROR_SECONDS * 2 ** (failures - 1), RETRY_AFTER_ERROR_MAX_SECONDS)
        log.exception(
            "conversation %s: work failed (%d in a row); retrying in %.0f s",
            conversation_id,
            failures,
            delay,
        )
        asyncio.get_running_loop().call_later(delay, self.wake, conversation_id)

    async def drain(self) -> None:
        """Wait until no conversation has work under way."""
        await self._idle.wait()

    async def close(self) -> None:
        """Stop every worker; unfinished work stays in the database for the next start."""
        self._closed = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
