"""Twilio's incoming-message form → one channel-neutral `InboundMessage`.

Fields read: From, WaId, MessageSid, Body, ButtonText, ProfileName, NumMedia, MediaUrlN,
MediaContentTypeN, Latitude, Longitude, Address, Label (To is checked by the caller; ButtonPayload
and OriginalRepliedMessageSid are only logged for now). Attachments become `Media` with a sentence
the agent reads ("[the customer sent a photo]"); the files stay at Twilio's URLs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import replace

from bots.whatsapp.phones import PREFIX, canonical_e164, parse_address
from handoffs.channels import InboundMessage, Media
from storage.models import utcnow

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
MAX_MEDIA = 10  # Twilio sends at most ten attachments per message.


def parse_inbound(form: Mapping[str, str]) -> InboundMessage:
    """Read one incoming WhatsApp message; raises ValueError for a form that is not one."""
    sid = form.get("MessageSid") or form.get("SmsMessageSid") or ""
    raw_from = form.get("From") or ""
    if not sid:
        raise ValueError("MessageSid is missing")
    if not raw_from.startswith(PREFIX):
        raise ValueError(f"From {raw_from!r} is not a WhatsApp address")
    address = parse_address(raw_from)
    wa_id = form.get("WaId") or ""
    if address.phone is None and wa_id.isdigit():
        # A sender known by a business-scoped id keeps it as identity; WaId may still say the
        # number, which business systems look customers up by.
        address = replace(address, phone=canonical_e164("+" + wa_id))
    for field in ("ButtonPayload", "OriginalRepliedMessageSid"):
        if form.get(field):
            log.debug("WhatsApp %s: %s=%s (not used yet)", sid, field, form[field])
    message = InboundMessage(
        channel=CHANNEL,
        channel_message_id=sid,
        sender=address.identity,
        thread_key=address.identity,
        text=form.get("ButtonText") or form.get("Body") or "",
        sender_name=(form.get("ProfileName") or "").strip() or None,
        phone=address.phone,
        reply_address=address.raw,
        locale=address.locale,
        media=tuple(_media(form)),
        received_at=utcnow(),
    )
    return message


def _media(form: Mapping[str, str]) -> Iterator[Media]:
    count = form.get("NumMedia") or "0"
    for index in range(min(int(count), MAX_MEDIA) if count.isdigit() else 0):
        url = form.get(f"MediaUrl{index}") or None
        content_type = form.get(f"MediaContentType{index}") or None
        kind, description = describe(content_type)
        yield Media(kind=kind, url=url, content_type=content_type, description=description)
    latitude, longitude = form.get("Latitude"), form.get("Longitude")
    if latitude and longitude:
        place = ", ".join(p for p in (form.get("Label"), form.get("Address")) if p)
        where = f"{place} ({latitude}, {longitude})" if place else f"{latitude}, {longitude}"
        yield Media(
            kind="location",
            url=f"https://maps.google.com/?q={latitude},{longitude}",
            description=f"[the customer shared a location: {where}]",
        )


def describe(content_type: str | None) -> tuple[str, str]:
    """The media kind and the sentence the agent reads, from a MIME type."""
    main = (content_type or "").split(";")[0].strip().lower()
    if main == "image/webp":
        return "image", "[the customer sent a sticker]"
    if main.startswith("image/"):
        return "image", "[the customer sent a photo]"
    if main.startswith("audio/"):
        return "audio", "[the customer sent a voice message]"
    if main.startswith("video/"):
        return "video", "[the customer sent a video]"
    if main in ("text/vcard", "text/x-vcard"):
        return "document", "[the customer shared a contact card]"
    return "document", f"[the customer sent a document ({main or 'unknown type'})]"
