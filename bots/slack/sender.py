"""Delivers replies to Slack: into the DM or the thread, as mrkdwn, split and paced per channel."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from slack_sdk.errors import SlackApiError

from agents.errors import PermanentSendError
from bots.slack.client import SlackConnection, send_error
from bots.slack.formatting import split_message, to_mrkdwn
from handoffs.channels import OutboundMessage, SendReceipt

log = logging.getLogger(__name__)

CHANNEL = "slack"


@dataclass(frozen=True, slots=True, kw_only=True)
class SlackTarget:
    """Where a conversation lives in Slack: a DM, or one thread in a channel."""

    channel: str
    thread_ts: str | None = None

    @property
    def thread_key(self) -> str:
        """The conversation's key: `slack:<DM>` or `slack:<channel>:<thread ts>`."""
        if self.thread_ts is None:
            return f"{CHANNEL}:{self.channel}"
        return f"{CHANNEL}:{self.channel}:{self.thread_ts}"

    @classmethod
    def parse(cls, thread_key: str) -> SlackTarget:
        """Read a thread key back; raises ValueError for one that is not ours."""
        prefix, _, rest = thread_key.partition(":")
        channel, _, thread_ts = rest.partition(":")
        if prefix != CHANNEL or not channel:
            raise ValueError(f"not a Slack thread key: {thread_key!r}")
        return cls(channel=channel, thread_ts=thread_ts or None)


class SlackSender:
    """The ChannelSender for `slack`: chat.postMessage through the shared client."""

    channel = CHANNEL

    def __init__(self, connection: SlackConnection, *, interval_seconds: float = 1.0) -> None:
        self._connection = connection
        self._interval = interval_seconds
        self._locks: dict[str, asyncio.Lock] = {}
        self._last_sent: dict[str, float] = {}
        # Pieces of a split reply already posted, by message id, so that a retry after a failure
        # half-way does not post the first pieces twice (kept in memory: best effort).
        self._posted: dict[int, list[str]] = {}

    async def send(self, message: OutboundMessage) -> SendReceipt:
        """Post one reply, split into as many Slack messages as its length needs."""
        try:
            target = SlackTarget.parse(message.thread_key)
        except ValueError as exc:
            raise PermanentSendError(str(exc)) from exc
        pieces = split_message(to_mrkdwn(message.text)) or ["…"]
        posted = self._posted.setdefault(message.message_id, [])
        try:
            for piece in pieces[len(posted) :]:
                async with self._paced(target.channel):
                    posted.append(await self._post(target, piece))
        except PermanentSendError:
            del self._posted[message.message_id]  # no retry will come
            raise
        del self._posted[message.message_id]
        return SendReceipt(channel_message_id=f"{target.channel}:{posted[0]}")

    async def _post(self, target: SlackTarget, text: str) -> str:
        client = self._connection.open()
        try:
            response = await client.chat_postMessage(
                channel=target.channel,
                text=text,
                thread_ts=target.thread_ts,
                unfurl_links=False,
                unfurl_media=False,
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            raise send_error(exc) from exc
        return str(response.get("ts") or "")

    @asynccontextmanager
    async def _paced(self, channel: str) -> AsyncIterator[None]:
        # Slack allows about one message per second per channel; bursts beyond that get 429s.
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            wait = self._last_sent.get(channel, float("-inf")) + self._interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._last_sent[channel] = time.monotonic()
