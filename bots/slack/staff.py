"""The Slack staff channel: escalations posted with Claim and Resolve, the customer's messages
in the escalation's thread, and the holder's thread replies sent to the customer.

Safe by default: only the person holding the conversation reaches the customer, and only with
a message that does not start with a note prefix; everything else in the thread stays internal.
In alerts mode the channel only announces, and people answer from the web inbox.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bots.slack.client import ProfileDirectory, SlackConnection
from bots.slack.formatting import to_plain
from bots.slack.staff_blocks import (
    CLAIM,
    RESOLVE,
    escalation_blocks,
    escalation_text,
)
from handoffs.channels import EscalationNotice, OwnerChange
from handoffs.ownership import Ownership
from handoffs.packet import notice_for
from storage.staff import Actor
from storage.store import Store

log = logging.getLogger(__name__)

SLACK_ERRORS = (SlackApiError, aiohttp.ClientError, TimeoutError)
MEMBERS_TTL_SECONDS = 60.0


class SlackStaffChannel:
    """The `StaffChannel` for a Slack channel, and the listeners for what staff do there."""

    def __init__(
        self,
        *,
        connection: SlackConnection,
        store: Store,
        ownership: Ownership,
        profiles: ProfileDirectory,
        channel: str,
        allowed_users: frozenset[str],
        note_prefixes: tuple[str, ...],
        console: bool,
    ) -> None:
        self.connection = connection
        self.store = store
        self.ownership = ownership
        self.profiles = profiles
        self.channel = channel
        self.allowed_users = allowed_users
        self.note_prefixes = tuple(prefix.lower() for prefix in note_prefixes if prefix)
        self.console = console
        self._members: tuple[float, frozenset[str]] = (0.0, frozenset())

    # -- what staff are shown ------------------------------------------------------------

    async def escalated(self, notice: EscalationNotice) -> None:
        """Post the packet with its buttons, and remember where, for the thread."""
        escalation = await self.store.run(self.store.escalation, notice.escalation_id)
        response = await self._client().chat_postMessage(
            channel=self.channel,
            text=escalation_text(notice),
            blocks=escalation_blocks(notice, escalation),
            unfurl_links=False,
        )
        await self.store.run(self.store.set_staff_ref, notice.escalation_id, str(response["ts"]))

    async def relayed(self, conversation_id: int, text: str) -> None:
        """Post what the customer wrote in the escalation's thread."""
        escalation = await self.store.run(self.store.latest_escalation, conversation_id)
        if escalation is None or escalation.staff_ref is None:
            return
        await self._client().chat_postMessage(
            channel=self.channel,
            thread_ts=escalation.staff_ref,
            text=f":speech_balloon: *Customer:* {text}"[:3900],
        )

    async def changed(self, change: OwnerChange) -> None:
        """Update the escalation's message; a reminder is posted in the channel again."""
        escalation = await self.store.run(self.store.escalation, change.escalation_id)
        if escalation is None or escalation.staff_ref is None:
            return
        notice = notice_for(escalation)
        client = self._client()
        await client.chat_update(
            channel=self.channel,
            ts=escalation.staff_ref,
            text=escalation_text(notice),
            blocks=escalation_blocks(notice, escalation),
        )
        if change.kind == "reminder":
            waited = int((change.at - escalation.created_at).total_seconds() // 60)
            await client.chat_postMessage(
                channel=self.channel,
                thread_ts=escalation.staff_ref,
                reply_broadcast=True,
                text=f":alarm_clock: Still waiting for someone after {waited} min: "
                f"{escalation_text(notice)}",
            )

    async def reply_failed(self, conversation_id: int, reason: str) -> None:
        """Tell the holder, privately, that their reply did not reach the customer."""
        escalation = await self.store.run(self.store.latest_escalation, conversation_id)
        if escalation is None or escalation.staff_ref is None:
            return
        text = f":warning: Your reply did not reach the customer: {reason}"
        holder = escalation.claimed_by_ref or ""
        user = await self._slack_user(holder)
        client = self._client()
        if user is not None:
            await client.chat_postEphemeral(
                channel=self.channel, user=user, thread_ts=escalation.staff_ref, text=text
            )
        else:
            await client.chat_postMessage(
                channel=self.channel, thread_ts=escalation.staff_ref, text=text
            )

    # -- what staff do -------------------------------------------------------------------

    def register(self, bolt: AsyncApp) -> None:
        """Listen for the buttons and for messages in the staff channel's threads."""
        bolt.action(CLAIM)(self._on_claim)
        bolt.action(RESOLVE)(self._on_resolve)

        async def in_staff_channel(event: dict[str, Any]) -> bool:
            return event.get("channel") == self.channel

        bolt.event("message", matchers=[in_staff_channel])(self._on_message)

    async def _on_claim(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        user, escalation_id = await self._acting(body, action)
        if user is None or escalation_id is None:
            return
        actor = await self._actor(user)
        claim = await self.ownership.claim(escalation_id, actor)
        if not claim.won:
            if claim.holder is None:
                why = "This escalation no longer exists."
            elif claim.escalation is not None and claim.escalation.claimed_by_ref == actor.ref:
                why = "You already have this conversation."
            elif claim.escalation is not None and claim.escalation.status == "resolved":
                why = f"{claim.holder} already resolved this conversation."
            else:
                why = f"{claim.holder} already has this conversation."
            await self._tell(user, why, thread_ts=_message_ts(body))

    async def _on_resolve(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        user, escalation_id = await self._acting(body, action)
        if user is None or escalation_id is None:
            return
        escalation = await self.store.run(self.store.escalation, escalation_id)
        if escalation is None:
            return
        resolved = await self.ownership.resolve(escalation.conversation_id, await self._actor(user))
        if resolved is None:
            await self._tell(user, "This conversation is already back with the bot.")

    async def _on_message(self, event: dict[str, Any]) -> None:
        thread_ts, user, ts = event.get("thread_ts"), event.get("user"), event.get("ts")
        if (
            not isinstance(thread_ts, str)
            or not isinstance(user, str)
            or not isinstance(ts, str)
            or thread_ts == ts
            or event.get("bot_id")
            or event.get("subtype") not in (None, "file_share", "thread_broadcast")
        ):
            return  # top-level chatter, the bot's own posts, edits and joins
        escalation = await self.store.run(self.store.escalation_by_staff_ref, thread_ts)
        if escalation is None:
            return
        text = to_plain(str(event.get("text") or ""), bot_user_id=None)
        actor = await self._actor(user)
        key = f"slack:{self.channel}:{ts}"
        conversation_id = escalation.conversation_id
        is_note = (
            text.strip().lower().startswith(self.note_prefixes) if self.note_prefixes else False
        )
        holder = escalation.status == "claimed" and escalation.claimed_by_ref == actor.ref
        if self.console and holder and not is_note and await self._is_staff(user):
            reply = await self.ownership.reply(conversation_id, actor, text, key=key)
            if reply.refusal:
                await self._tell(user, f"Not sent: {reply.refusal}.", thread_ts=thread_ts)
            return
        # Everything else stays between staff: notes, colleagues' remarks, alerts mode.
        await self.ownership.note(conversation_id, actor, text, source="slack", key=key)

    async def _acting(
        self, body: dict[str, Any], action: dict[str, Any]
    ) -> tuple[str | None, int | None]:
        """Who pressed the button and on which escalation, when they may; else tell them."""
        user = (body.get("user") or {}).get("id")
        if not isinstance(user, str):
            return None, None
        if not await self._is_staff(user):
            await self._tell(
                user, "Only members of the staff channel can take or resolve conversations."
            )
            return None, None
        value = str(action.get("value") or "")
        return user, int(value) if value.isdigit() and len(value) < 18 else None

    async def _is_staff(self, user: str) -> bool:
        if user in self.allowed_users:
            return True
        fetched_at, members = self._members
        if time.monotonic() - fetched_at > MEMBERS_TTL_SECONDS:
            members = await self._fetch_members()
        return user in members

    async def _fetch_members(self) -> frozenset[str]:
        client = self._client()
        members: set[str] = set()
        cursor: str | None = None
        try:
            for _ in range(50):  # 50 pages of 200 people is a very large staff channel
                response = await client.conversations_members(
                    channel=self.channel, limit=200, cursor=cursor
                )
                members.update(str(m) for m in response.get("members") or ())
                cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
                if not cursor:
                    break
        except SLACK_ERRORS as exc:
            log.warning("Slack conversations.members failed: %s", type(exc).__name__)
            return self._members[1]
        self._members = (time.monotonic(), frozenset(members))
        return self._members[1]

    async def _actor(self, user: str) -> Actor:
        """The staff account linked to this Slack user, else the Slack user by name."""
        member = await self.store.run(self.store.staff_by_slack_user, user)
        if member is not None:
            return Actor(ref=f"staff:{member.id}", name=member.name)
        profile = await self.profiles.lookup(user)
        return Actor(ref=f"slack:{user}", name=profile.name or user)

    async def _slack_user(self, ref: str) -> str | None:
        if ref.startswith("slack:"):
            return ref.removeprefix("slack:")
        if ref.startswith("staff:") and ref[6:].isdigit():
            member = await self.store.run(self.store.staff_member, int(ref[6:]))
            return member.slack_user_id if member is not None else None
        return None

    async def _tell(self, user: str, text: str, *, thread_ts: str | None = None) -> None:
        try:
            await self._client().chat_postEphemeral(
                channel=self.channel, user=user, text=text, thread_ts=thread_ts
            )
        except SLACK_ERRORS as exc:
            log.warning("Slack chat.postEphemeral failed: %s", type(exc).__name__)

    def _client(self) -> Any:
        return self.connection.open()


def _message_ts(body: dict[str, Any]) -> str | None:
    ts = (body.get("message") or {}).get("ts")
    return ts if isinstance(ts, str) else None
