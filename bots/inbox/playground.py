"""The playground (`/playground`): staff write as a customer would, through the same pipeline as
a real channel. Its channel is "playground"; its sender only acknowledges, since the page shows
the stored replies. Its escalations reach the inbox like any other."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bots.inbox.transcript import timeline
from bots.inbox.web import Inbox, SignedIn, Staff, StaffForm, form_text, unchanged
from bots.whatsapp.phones import canonical_e164
from handoffs.channels import InboundMessage, OutboundMessage, SendReceipt

CHANNEL = "playground"
PAGE = "/playground"
DEFAULT_PHONE = "+5215512345678"
EXAMPLES = (
    "hola, quiero ver mi factura, mi cliente es C-1001",
    "oi, minha internet está muito lenta, meu cliente é C-1002",
    "necesito un reembolso de INV-1042, mi cliente es C-1001",
    "quiero hablar con una persona",
)
MAX_TEXT = 4000


class PlaygroundSender:
    """Delivers playground replies by acknowledging them: they are stored, and the page reads
    them from there."""

    channel = CHANNEL

    async def send(self, message: OutboundMessage) -> SendReceipt:
        """Accept the reply."""
        return SendReceipt(channel_message_id=f"playground-{message.message_id}")


def _thread(phone: str) -> str:
    return f"{CHANNEL}:{phone}"


def playground_routes(inbox: Inbox) -> APIRouter:
    """GET the playground and its live chat, POST a customer message."""
    router = APIRouter()
    store = inbox.store

    async def chat(phone: str | None) -> dict[str, object]:
        conversation_id = None
        if phone is not None:
            conversation_id = await store.run(store.latest_conversation_id, CHANNEL, _thread(phone))
        if conversation_id is None:
            return {"conversation": None, "contact": None, "entries": [], "mark": "none"}
        conversation, contact = await store.run(store.conversation_and_contact, conversation_id)
        entries = timeline(
            contact_name=contact.display_name,
            messages=await store.run(store.messages, conversation_id),
            notes=(),
            events=await store.run(store.ownership_events, conversation_id),
            handoffs=(),
            steps=(),
        )
        mark = await store.run(store.transcript_mark, conversation_id)
        return {
            "conversation": conversation,
            "contact": contact,
            "entries": entries,
            "mark": mark or "",
        }

    async def page(
        request: Request,
        staff: Staff,
        *,
        phone: str | None,
        name: str,
        error: str | None = None,
        text: str = "",
        status: int = 200,
    ) -> Response:
        shown = await chat(phone or DEFAULT_PHONE)
        contact = shown["contact"]
        if not name and contact is not None:
            name = getattr(contact, "display_name", None) or ""
        context = {
            "nav": "playground",
            "phone": phone or DEFAULT_PHONE,
            "name": name,
            "text": text,
            "error": error,
            "key": secrets.token_urlsafe(16),
            "examples": EXAMPLES,
            "chat_query": urlencode({"phone": phone or DEFAULT_PHONE}),
            **shown,
        }
        return inbox.render(request, "playground.html", context, staff=staff, status=status)

    @router.get(PAGE)
    async def playground(request: Request, staff: SignedIn) -> Response:
        asked = request.query_params
        phone = canonical_e164(asked.get("phone", "")) or DEFAULT_PHONE
        return await page(request, staff, phone=phone, name=asked.get("name", "")[:100])

    @router.get(f"{PAGE}/chat")
    async def live_chat(request: Request, staff: SignedIn) -> Response:
        phone = canonical_e164(request.query_params.get("phone", "")) or DEFAULT_PHONE
        context = {**await chat(phone), "chat_query": urlencode({"phone": phone})}
        if unchanged(request, str(context["mark"])):
            return Response(status_code=204)
        return inbox.render(request, "_chat.html", context, staff=staff)

    @router.post(PAGE)
    async def send(request: Request, staff_and_form: StaffForm) -> Response:
        staff, form = staff_and_form
        raw_phone = form_text(form, "phone", limit=40)
        name = form_text(form, "name", limit=100).strip()
        text = form_text(form, "text", limit=MAX_TEXT + 1).strip()
        phone = canonical_e164(raw_phone)
        error = None
        if phone is None:
            error = "The phone number needs a + and the country code, e.g. +5215512345678."
        elif not text:
            error = "The message is empty."
        elif len(text) > MAX_TEXT:
            error = f"The message is longer than {MAX_TEXT} characters."
        live = bool(request.headers.get("hx-request"))
        if error is not None or phone is None:
            if live:
                return await sent(request, staff, phone or DEFAULT_PHONE, error=error)
            return await page(
                request, staff, phone=phone, name=name, error=error, text=text, status=422
            )
        # The form's one-time key is the message id, so a double submit is stored once.
        key = form_text(form, "key", limit=64) or secrets.token_urlsafe(16)
        await inbox.service.switchboard.receive(
            InboundMessage(
                channel=CHANNEL,
                channel_message_id=f"{CHANNEL}-{key}",
                sender=_thread(phone),
                thread_key=_thread(phone),
                text=text,
                phone=phone,
                sender_name=name or None,
            )
        )
        query = urlencode({"phone": phone, **({"name": name} if name else {})})
        if live:
            headers = {"HX-Trigger": "playground-sent", "HX-Replace-Url": f"{PAGE}?{query}"}
            return await sent(request, staff, phone, headers=headers)
        return RedirectResponse(f"{PAGE}?{query}", status_code=303)

    async def sent(
        request: Request,
        staff: Staff,
        phone: str,
        *,
        error: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """What a message sent from the page (htmx) gets: the chat, a fresh one-time key and
        the error line, without reloading the page."""
        context = {
            **await chat(phone),
            "chat_query": urlencode({"phone": phone}),
            "key": secrets.token_urlsafe(16),
            "error": error,
            "oob": True,
        }
        return inbox.render(request, "_playground_sent.html", context, staff=staff, headers=headers)

    return router
