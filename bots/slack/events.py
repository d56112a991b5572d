"""Which Slack events are people talking to the agents, and the InboundMessage each becomes.

Conversations: one per DM (`slack:<D…>`, replies top-level) and one per thread in a channel
(`slack:<C…>:<thread ts>`, replies in the thread). A channel message counts when it mentions the
bot (app_mention) or is a reply in a thread that already has a conversation.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext

from bots.slack.client import ProfileDirectory
from bots.slack.formatting import to_plain
from bots.slack.sender import CHANNEL, SlackTarget
from handoffs.channels import InboundMessage, Media
from handoffs.switchboard import Switchboard
from storage.store import Store

log = logging.getLogger(__name__)

# Message subtypes that are still a person writing; edits, deletes, joins and the rest are not.
PERSON_SUBTYPES = frozenset({"file_share", "thread_broadcast"})


@dataclass(frozen=True, slots=True, kw_only=True)
class SlackPost:
    """A person's Slack message the agents may answer."""

    user: str
    channel: str
    ts: str
    text: str
    target: SlackTarget
    follow_up: bool = False
    media: tuple[Media, ...] = ()

    @property
    def message_id(self) -> str:
        """The idempotency key: a message's ts is unique within its channel.

        Slack retries carry the same ts, and so does the second event (message.channels next to
        app_mention) that one message in a thread can produce; an event_id would differ there.
        """
        return f"{self.channel}:{self.ts}"


def read_event(event: dict[str, Any], *, bot_user_id: str | None) -> SlackPost | None:
    """The post inside a message or app_mention event, or None when it is not for the agents."""
    kind, subtype = event.get("type"), event.get("subtype")
    if kind not in ("message", "app_mention") or (subtype and subtype not in PERSON_SUBTYPES):
        return None
    user, channel, ts = event.get("user"), event.get("channel"), event.get("ts")
    if event.get("bot_id") or not user or user == bot_user_id or not channel or not ts:
        return None
    thread_ts = event.get("thread_ts")
    follow_up = False
    if event.get("channel_type") == "im" or str(channel).startswith("D"):
        target = SlackTarget(channel=channel)
    elif kind == "app_mention":
        target = SlackTarget(channel=channel, thread_ts=thread_ts or ts)
    elif thread_ts and thread_ts != ts:
        target = SlackTarget(channel=channel, thread_ts=thread_ts)
        follow_up = True
    else:
        # A top-level channel message without a mention is people talking among themselves.
        return None
    return SlackPost(
        user=user,
        channel=channel,
        ts=ts,
        text=to_plain(event.get("text") or "", bot_user_id=bot_user_id),
        target=target,
        follow_up=follow_up,
        media=tuple(_media(item) for item in event.get("files") or ()),
    )


def _media(file: dict[str, Any]) -> Media:
    mimetype = str(file.get("mimetype") or "")
    kind = mimetype.split("/", 1)[0] if mimetype.startswith(("image/", "audio/", "video/")) else ""
    return Media(
        kind=kind or "document",
        url=file.get("url_private"),
        content_type=mimetype or None,
        description=file.get("title") or file.get("name"),
    )


class SlackInbox:
    """Bolt's listener for message and app_mention events: store the post, then acknowledge."""

    def __init__(self, switchboard: Switchboard, store: Store, profiles: ProfileDirectory) -> None:
        self._switchboard = switchboard
        self._store = store
        self._profiles = profiles

    async def on_event(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        """Store what a person wrote; the dispatcher answers it after the 200 went back."""
        post = read_event(event, bot_user_id=context.bot_user_id)
        if post is None:
            log.debug("Slack %s event (%s) ignored", event.get("type"), event.get("subtype"))
            return
        if post.follow_up and not await asyncio.to_thread(
            self._store.has_conversation, CHANNEL, post.target.thread_key
        ):
            return
        profile = await self._profiles.lookup(post.user)
        # Awaited here, before Bolt answers: with process_before_response the HTTP 200 goes back
        # only after this returns, so an acknowledged event is always in the database.
        await self._switchboard.receive(
            InboundMessage(
                channel=CHANNEL,
                channel_message_id=post.message_id,
                sender=post.user,
                thread_key=post.target.thread_key,
                text=post.text,
                sender_name=profile.name,
                locale=profile.locale,
                timezone=profile.timezone,
                media=post.media,
            )
        )
