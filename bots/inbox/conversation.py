"""A conversation's page (`/inbox/conversations/{id}`): who holds it, the timeline, the context
packet, WhatsApp's 24-hour window, and by state Claim, Reply, Add note and Resolve.

Two parts refresh themselves every two seconds: the transcript and the owner panel. Each poll
says which version it shows and gets 204 while nothing changed, so an open page costs one small
query per part; after a lost connection the next poll brings the whole current state.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from bots.inbox.formatting import aware, contact_label, since, until
from bots.inbox.saved_replies import DEFAULTS, personal
from bots.inbox.transcript import timeline
from bots.inbox.web import Inbox, PageError, SignedIn, Staff, unchanged
from storage.models import Contact, Conversation, Escalation

# WhatsApp lets a business write freely for 24 hours after the customer's last message.
WHATSAPP_WINDOW = timedelta(hours=24)
ESCALATED = ("waiting_human", "with_human")


@dataclass(frozen=True, slots=True, kw_only=True)
class Owner:
    """Who holds the conversation and what the signed-in member may do about it."""

    status: str
    escalation: Escalation | None
    holder: str | None
    mine: bool
    can_claim: bool
    can_resolve: bool
    window_closes_at: datetime | None

    @property
    def box_version(self) -> str:
        """Changes when the reply box would change: the owner, or who may reply."""
        escalation = self.escalation
        holder_ref = escalation.claimed_by_ref if escalation is not None else None
        return "|".join(str(part) for part in (self.status, self.holder, holder_ref, self.mine))

    @property
    def version(self) -> str:
        """Changes when the panel would show something else (waits to the minute); the part
        before "~" is the reply box's, so a draft survives a mere minute ticking by."""
        escalation = self.escalation
        parts: list[Any] = [self.can_claim, until(self.window_closes_at)]
        if escalation is not None:
            parts += [escalation.id, escalation.status]
            if self.status == "waiting_human":
                parts.append(since(escalation.created_at))
        return self.box_version + "~" + "|".join(str(part) for part in parts)


def owner_of(conversation: Conversation, escalation: Escalation | None, staff: Staff) -> Owner:
    """The owner panel's state for `staff`."""
    status = conversation.status
    held = status == "with_human" and escalation is not None
    window = None
    if conversation.channel == "whatsapp" and conversation.last_inbound_at is not None:
        window = aware(conversation.last_inbound_at) + WHATSAPP_WINDOW
    return Owner(
        status=status,
        escalation=escalation,
        holder=escalation.claimed_by if held and escalation else None,
        mine=held and escalation is not None and escalation.claimed_by_ref == staff.actor.ref,
        can_claim=status == "waiting_human"
        and escalation is not None
        and escalation.status == "open",
        can_resolve=status in ESCALATED,
        window_closes_at=window,
    )


class ConversationPages:
    """Renders the page and its live parts; the actions render it again with their outcome."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self.store = inbox.store

    async def require(self, conversation_id: int) -> None:
        """Refuse (404) a conversation that does not exist."""
        if await self.store.run(self.store.status, conversation_id) is None:
            raise PageError(404, f"There is no conversation {conversation_id}.")

    async def _load(self, conversation_id: int) -> tuple[Conversation, Contact, Escalation | None]:
        try:
            conversation, contact = await self.store.run(
                self.store.conversation_and_contact, conversation_id
            )
        except LookupError:
            raise PageError(404, f"There is no conversation {conversation_id}.") from None
        escalation = await self.store.run(self.store.latest_escalation, conversation_id)
        return conversation, contact, escalation

    async def _entries(self, conversation_id: int, contact: Contact) -> dict[str, Any]:
        store = self.store
        mark = await store.run(store.transcript_mark, conversation_id)
        entries = timeline(
            contact_name=contact.display_name,
            messages=await store.run(store.messages, conversation_id),
            notes=await store.run(store.notes, conversation_id),
            events=await store.run(store.ownership_events, conversation_id),
            handoffs=await store.run(store.handoffs, conversation_id),
            steps=await store.run(store.run_steps, conversation_id),
        )
        return {"entries": entries, "mark": mark or ""}

    async def page(
        self,
        request: Request,
        staff: Staff,
        conversation_id: int,
        *,
        error: str | None = None,
        reply_text: str = "",
        note_text: str = "",
        status: int = 200,
    ) -> Response:
        """The whole page, optionally with an error and the text the member had typed."""
        conversation, contact, escalation = await self._load(conversation_id)
        owner = owner_of(conversation, escalation, staff)
        context = {
            "c": conversation,
            "contact": contact,
            "title": contact_label(contact.display_name, contact.phone or contact.external_id),
            "owner": owner,
            "packet": (escalation.packet or {}) if escalation is not None else {},
            "error": error,
            "reply_text": reply_text,
            "note_text": note_text,
            "note_key": secrets.token_urlsafe(16),
            **await self._reply_box(conversation, contact, staff),
            **await self._entries(conversation_id, contact),
        }
        return self.inbox.render(request, "conversation.html", context, staff=staff, status=status)

    async def _reply_box(
        self, conversation: Conversation, contact: Contact, staff: Staff
    ) -> dict[str, Any]:
        store = self.store
        replies = await store.run(store.saved_replies, conversation.language or "en")
        if not replies and not await store.run(store.saved_replies):
            await store.run(store.seed_saved_replies, DEFAULTS)
            replies = await store.run(store.saved_replies, conversation.language or "en")
        saved = [
            (reply.title, personal(reply.text, customer=contact.display_name, me=staff.name))
            for reply in replies
        ]
        return {"saved": saved, "reply_key": secrets.token_urlsafe(16)}

    async def transcript(self, request: Request, staff: Staff, conversation_id: int) -> Response:
        """The transcript alone, or 204 when the poll already shows the newest."""
        mark = await self.store.run(self.store.transcript_mark, conversation_id)
        if mark is None:
            raise PageError(404, f"There is no conversation {conversation_id}.")
        if unchanged(request, mark):
            return Response(status_code=204)
        conversation, contact, _ = await self._load(conversation_id)
        context = {"c": conversation, **await self._entries(conversation_id, contact)}
        return self.inbox.render(request, "_transcript.html", context, staff=staff)

    async def owner(self, request: Request, staff: Staff, conversation_id: int) -> Response:
        """The owner panel with the reply box (swapped out of band), or 204 if unchanged."""
        conversation, contact, escalation = await self._load(conversation_id)
        owner = owner_of(conversation, escalation, staff)
        if unchanged(request, owner.version):
            return Response(status_code=204)
        shown = request.query_params.get("v", "").split("~", 1)[0]
        context = {
            "c": conversation,
            "owner": owner,
            # The reply box is swapped only when who may reply changed, keeping a draft.
            "oob": shown != owner.box_version,
            "reply_text": "",
            **await self._reply_box(conversation, contact, staff),
        }
        return self.inbox.render(request, "_owner.html", context, staff=staff)


def conversation_routes(pages: ConversationPages) -> APIRouter:
    """GET the page and its two live parts."""
    router = APIRouter(prefix="/inbox/conversations/{conversation_id}")

    @router.get("")
    async def conversation_page(
        request: Request, conversation_id: int, staff: SignedIn
    ) -> Response:
        return await pages.page(request, staff, conversation_id)

    @router.get("/transcript")
    async def transcript(request: Request, conversation_id: int, staff: SignedIn) -> Response:
        return await pages.transcript(request, staff, conversation_id)

    @router.get("/owner")
    async def owner(request: Request, conversation_id: int, staff: SignedIn) -> Response:
        return await pages.owner(request, staff, conversation_id)

    return router
