"""Twilio's incoming-message form → one channel-neutral `InboundMessage`.

Fields read: From, WaId, MessageSid, Body, ButtonText, ProfileName, NumMedia, MediaUrlN,
MediaContentTypeN, Latitude, Longitude, Address, Label (To is checked by the caller; ButtonPayload
and OriginalRepliedMessageSid are only noted for now). Each is checked first (`forms.py`).
Attachments become `Media` with a sentence the agent reads ("[the customer sent a photo]"); the
files stay at Twilio's URLs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import replace

from bots.limits import clip_name
from bots.whatsapp.forms import Expected, FormError, InboundFields, read_inbound
from bots.whatsapp.phones import PREFIX, canonical_e164, parse_address
from handoffs.channels import InboundMessage, Media
from storage.models import utcnow

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"


def parse_inbound(form: Mapping[str, str], expected: Expected) -> InboundMessage:
    """Read one incoming WhatsApp message; raises FormError (a ValueError) for a form that is
    not one Twilio would send this deployment, with a reason that quotes no value."""
    fields = read_inbound(form, expected)
    if not fields.sender.startswith(PREFIX):
        raise FormError("From is not a WhatsApp address")
    address = parse_address(fields.sender)
    if address.phone is None and address.country is None:
        # Neither a number (ASCII digits, after normalisation) nor a business-scoped id: keying
        # a contact on it would make up a person.
        raise FormError("From is neither a phone number nor a WhatsApp user id")
    if address.phone is None and fields.wa_id:
        # A sender known by a business-scoped id keeps it as identity; WaId may still say the
        # number, which business systems look customers up by.
        address = replace(address, phone=canonical_e164("+" + fields.wa_id))
    for name in ("ButtonPayload", "OriginalRepliedMessageSid"):
        if form.get(name):
            log.debug("WhatsApp %s: %s present (not used yet)", fields.sid, name)
    return InboundMessage(
        channel=CHANNEL,
        channel_message_id=fields.sid,
        sender=address.identity,
        thread_key=address.identity,
        text=fields.text,
        sender_name=clip_name(fields.profile_name),
        phone=address.phone,
        reply_address=address.raw,
        locale=address.locale,
        media=tuple(_media(fields)),
        received_at=utcnow(),
    )


def _media(fields: InboundFields) -> Iterator[Media]:
    for url, content_type in fields.media:
        kind, description = describe(content_type)
        yield Media(kind=kind, url=url, content_type=content_type, description=description)
    if fields.location is not None:
        latitude, longitude = fields.location
        place = fields.place
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
