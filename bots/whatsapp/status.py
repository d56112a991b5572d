"""Twilio status callbacks → a reply's delivery status, never moving it backwards.

Rules (callbacks arrive late, twice, and out of order):
- Progress (queued < sent < delivered < read) only moves forward, and comes from a reply's last
  part: a long reply is delivered or read when its end is.
- failed / undelivered from any part is terminal; the first failure's error code is kept.
- A callback from an earlier send of the same reply (a retry after a timeout, or the free-form
  send a template replaced) is ignored: the callback URL names the send's first SID, which must
  match the reply's `channel_message_id` once that is known.
- 63016 (outside the 24-hour window) is treated as when Twilio answers it at once: with a
  template configured, the reply is queued again and the sender sends the template; without
  one, it is failed with the same reason.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from bots.whatsapp.forms import Expected, FormError, read_status
from bots.whatsapp.sender import OUTSIDE_WINDOW, TEMPLATE_PENDING, window_reason
from storage.outbox import Delivery, DeliveryChange
from storage.store import Store

log = logging.getLogger(__name__)

PROGRESS = {"accepted": 0, "scheduled": 0, "queued": 0, "sending": 0, "sent": 1,
            "delivered": 2, "read": 3}  # fmt: skip
FAILURES = frozenset({"failed", "undelivered"})
# Codes staff see most; the rest are shown by number (twilio.com/docs/api/errors).
_ERRORS = {
    "63016": "outside the 24-hour window",
    "63003": "the recipient is not reachable on WhatsApp",
    "63024": "invalid recipient",
    "30003": "unreachable destination",
    "30005": "unknown destination",
    "30008": "unknown error",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusUpdate:
    """One status callback, with what its (signed) URL says about the reply it belongs to."""

    sid: str
    status: str
    error_code: str | None = None
    message_id: int | None = None
    part: int = 1
    parts: int = 1
    first: str | None = None
    template: bool = False

    @property
    def send_id(self) -> str:
        """The first SID of the send this callback belongs to."""
        return self.first or self.sid


class Outcome(Enum):
    """What a callback did to its reply."""

    IGNORED = "ignored"
    UPDATED = "updated"
    REQUEUED = "requeued"


def parse_status(
    form: Mapping[str, str], query: Mapping[str, str], expected: Expected
) -> StatusUpdate:
    """Read a callback's form and query; raises FormError (a ValueError) with the reason when
    it is not a callback Twilio would send this deployment for one of our replies."""
    fields, where = read_status(form, query, expected)
    sid = fields.sid(fields.message_sid, fields.sms_sid)
    status = (fields.message_status or fields.sms_status or "").lower()
    if not status:
        raise FormError("MessageStatus is missing")
    part, parts = where.part_numbers()
    return StatusUpdate(
        sid=sid,
        status=status,
        error_code=fields.error_code or None,
        message_id=where.message_id(),
        part=part,
        parts=parts,
        first=where.first,
        template=where.template == "1",
    )


def apply_status(
    store: Store, update: StatusUpdate, *, template_configured: bool
) -> tuple[Outcome, int | None]:
    """Apply one callback; returns what happened and the reply's conversation id."""
    found = store.apply_delivery_status(
        "whatsapp",
        message_id=update.message_id,
        channel_message_id=update.sid,
        judge=lambda delivery: _decide(delivery, update, template_configured),
    )
    if found is None:
        log.info("status %s for unknown message %s", update.status, update.sid)
        return Outcome.IGNORED, None
    delivery, change = found
    if change is None:
        outcome = Outcome.IGNORED
    else:
        outcome = Outcome.REQUEUED if change.requeue else Outcome.UPDATED
    log.info(
        "message %s: %s %s (part %s/%s) → %s, now %s",
        delivery.message_id,
        update.sid,
        update.status,
        update.part,
        update.parts,
        outcome.value,
        delivery.status,
    )
    return outcome, delivery.conversation_id


def _decide(
    delivery: Delivery, update: StatusUpdate, template_configured: bool
) -> DeliveryChange | None:
    """What the callback changes on its reply per the module's rules; None when nothing."""
    if delivery.status == "cancelled":
        return None
    if delivery.channel_message_id and delivery.channel_message_id != update.send_id:
        return None
    if update.status in FAILURES:
        if update.error_code == OUTSIDE_WINDOW and not update.template:
            if delivery.error == TEMPLATE_PENDING:
                return None
            if template_configured:
                return DeliveryChange(status="queued", error=TEMPLATE_PENDING, requeue=True)
            return DeliveryChange(status="failed", error=window_reason("Twilio error 63016"))
        if delivery.status in FAILURES:
            return None
        return DeliveryChange(status=update.status, error=_error_text(update))
    rank = PROGRESS.get(update.status)
    if rank is None or delivery.status in FAILURES or update.part < update.parts:
        return None
    if rank <= PROGRESS.get(delivery.status, 0):
        return None
    return DeliveryChange(status="queued" if rank == 0 else update.status, error=delivery.error)


def _error_text(update: StatusUpdate) -> str:
    code = update.error_code or "unknown"
    text = f"Twilio error {code}"
    if code in _ERRORS:
        text += f": {_ERRORS[code]}"
    if update.parts > 1:
        text += f" (part {update.part} of {update.parts})"
    return text
