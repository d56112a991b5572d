"""Sends WhatsApp replies with twilio's REST client: split, windowed, retried by the outbox.

Errors map to the outbox's two kinds. Transient (retried with backoff): 429 / 20429 and
connection errors or timeouts. A timeout after Twilio accepted the POST cannot be told apart
from one before, so that retry may (rarely) send a message twice; Twilio offers no idempotency
key for messages. 5xx answers are not retried for the same reason, and twilio's own retrying
client is not used because it resends POSTs on 5xx. Everything else (21211 invalid number, ...)
is permanent. 63016 (outside the 24-hour window) switches to the template, if one is configured.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from twilio.base.exceptions import TwilioException

from agents.errors import ConfigurationError, PermanentSendError, SendError, TransientSendError
from bots.whatsapp.http import TwilioHttp
from handoffs.channels import OutboundMessage, SendReceipt
from storage.models import utcnow

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
# Replies this close to the window's end are sent as templates, as Twilio would refuse them
# by the time they arrive.
WINDOW_MARGIN = timedelta(minutes=1)
MAX_CHARS = 1600
MAX_RESUMABLE = 10_000
TEMPLATE_TEXT_CHARS = 900
OUTSIDE_WINDOW = "63016"
# Written on a reply whose free-form send Twilio refused with 63016; its next send is a template.
TEMPLATE_PENDING = "outside the 24-hour window (Twilio 63016): sending the template instead"

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n\s*")


def window_reason(detail: str) -> str:
    """Why a reply outside the 24-hour window was not sent (shown to staff)."""
    return (
        f"outside WhatsApp's 24-hour customer-service window ({detail}) and no template "
        "is configured (TWILIO_TEMPLATE_CONTENT_SID)"
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Template:
    """The WhatsApp template sent outside the window: Content SIDs by language, variables."""

    sids: dict[str, str]
    variables: dict[str, str]

    def sid(self, language: str) -> str | None:
        """The Content SID for `language`, else the default one."""
        return self.sids.get(language) or self.sids.get("default")

    def render(self, text: str) -> str:
        """The ContentVariables JSON; WhatsApp refuses newlines and long runs of spaces."""
        flat = " ".join(text.split())
        if len(flat) > TEMPLATE_TEXT_CHARS:
            flat = flat[: TEMPLATE_TEXT_CHARS - 1].rstrip() + "…"
        return json.dumps({k: v.replace("{text}", flat) for k, v in self.variables.items()})


def load_template(content_sid: str | None, variables: str) -> Template | None:
    """The template from its settings: one Content SID, or JSON by language (with "default")."""
    if not content_sid:
        return None
    try:
        sids = json.loads(content_sid) if content_sid.lstrip().startswith("{") else {}
        values = json.loads(variables)
    except ValueError as exc:
        raise ConfigurationError(f"TWILIO_TEMPLATE_*: not valid JSON: {exc}") from exc
    sids = sids or {"default": content_sid.strip()}
    if not _str_map(sids) or not _str_map(values):
        raise ConfigurationError(
            'TWILIO_TEMPLATE_CONTENT_SID / TWILIO_TEMPLATE_VARIABLES: expected {"name": "text"}'
        )
    return Template(sids=sids, variables=values)


def _str_map(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Part:
    """One Twilio message of a reply."""

    body: str = ""
    media_url: str | None = None


class WhatsAppSender:
    """The ChannelSender for `whatsapp`."""

    channel = "whatsapp"

    def __init__(
        self,
        client: Any,
        *,
        sender: str,
        public_url: str | None,
        template: Template | None,
        template_pending: Callable[[int], Awaitable[bool]],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.client = client
        self.sender = sender
        self.public_url = public_url.rstrip("/") if public_url else None
        self.template = template
        self.template_pending = template_pending
        self.clock = clock
        # SIDs of the parts already accepted, so a retry resumes instead of repeating them.
        self._accepted: dict[int, list[str]] = {}

    async def send(self, message: OutboundMessage) -> SendReceipt:
        """Send one reply: as parts inside the window, as the template outside it."""
        to = message.recipient  # the exact address the customer last wrote from
        silence = self._silence(message.last_inbound_at)
        if silence is not None:
            return await self._send_template(message, to, silence)
        if message.attempt > 1 and await self.template_pending(message.message_id):
            return await self._send_template(message, to, "Twilio error 63016")
        try:
            return await self._send_parts(message, to)
        except _OutsideWindow:
            self._accepted.pop(message.message_id, None)
            return await self._send_template(message, to, "Twilio error 63016")
        except PermanentSendError:
            self._accepted.pop(message.message_id, None)
            raise

    def _silence(self, last_inbound_at: datetime | None) -> str | None:
        if last_inbound_at is None:
            return "the customer never wrote"
        elapsed = self.clock() - last_inbound_at
        if elapsed < WINDOW - WINDOW_MARGIN:
            return None
        return f"the customer last wrote {elapsed.total_seconds() / 3600:.0f} h ago"

    async def _send_parts(self, message: OutboundMessage, to: str) -> SendReceipt:
        parts = [Part(body=chunk) for chunk in split_message(message.text)]
        parts += [Part(media_url=url) for url in message.media_urls]
        if not parts:
            raise PermanentSendError("empty reply: nothing to send")
        if len(self._accepted) > MAX_RESUMABLE:
            # Replies whose retries ran out leave their entry behind; forget the oldest.
            self._accepted.pop(next(iter(self._accepted)))
        accepted = self._accepted.setdefault(message.message_id, [])
        for number, part in enumerate(parts, start=1):
            if number <= len(accepted):
                continue
            first = accepted[0] if accepted else None
            callback = self._callback(message.message_id, number, len(parts), first)
            fields: dict[str, Any] = {"body": part.body} if part.body else {}
            if part.media_url:
                fields["media_url"] = [part.media_url]
            accepted.append(await self._create(to, callback, **fields))
        self._accepted.pop(message.message_id, None)
        return SendReceipt(channel_message_id=accepted[0])

    async def _send_template(self, message: OutboundMessage, to: str, why: str) -> SendReceipt:
        sid = self.template.sid(message.language) if self.template else None
        if self.template is None or sid is None:
            raise PermanentSendError(window_reason(why), code=OUTSIDE_WINDOW)
        log.info("message %s: %s; sending template %s", message.message_id, why, sid)
        callback = self._callback(message.message_id, 1, 1, None, template=True)
        try:
            created = await self._create(
                to, callback, content_sid=sid, content_variables=self.template.render(message.text)
            )
        except _OutsideWindow as exc:
            raise PermanentSendError("Twilio refused the template (63016)", code="63016") from exc
        return SendReceipt(channel_message_id=created)

    def _callback(
        self, message_id: int, part: int, parts: int, first: str | None, *, template: bool = False
    ) -> str | None:
        # The callback names the reply, the part and the send's first SID: Twilio signs the URL,
        # so the status route can trust them, and tell stale sends of the same reply apart.
        if self.public_url is None:
            return None
        query: dict[str, str | int] = {"message": message_id, "part": part, "parts": parts}
        if first:
            query["first"] = first
        if template:
            query["template"] = 1
        return f"{self.public_url}/whatsapp/status?{urlencode(query)}"

    async def _create(self, to: str, callback: str | None, **fields: Any) -> str:
        if callback:
            fields["status_callback"] = callback
        try:
            created = await self.client.messages.create_async(to=to, from_=self.sender, **fields)
        except TwilioException as exc:
            raise _send_error(exc) from exc
        except TwilioHttp.CONNECTION_ERRORS as exc:
            raise TransientSendError(f"Twilio unreachable: {type(exc).__name__}: {exc}") from exc
        return str(created.sid)


class _OutsideWindow(PermanentSendError):
    """Twilio answered 63016 at once."""


def _send_error(exc: Exception) -> SendError:
    status = getattr(exc, "status", None)
    code = str(getattr(exc, "code", None) or status or "")
    detail = getattr(exc, "msg", None) or getattr(exc, "detail", None) or str(exc)
    reason = f"Twilio error {code}: {detail}"
    if status == 429 or code == "20429":
        return TransientSendError(reason, code=code)
    if code == OUTSIDE_WINDOW:
        return _OutsideWindow(reason, code=code)
    return PermanentSendError(reason, code=code)


def utf16_len(text: str) -> int:
    """Length as Twilio counts it (UTF-16 code units: an emoji may count as two)."""
    return len(text.encode("utf-16-le")) // 2


def split_message(text: str, limit: int = MAX_CHARS) -> list[str]:
    """Cut `text` into parts of at most `limit` characters, on sentence boundaries if possible."""
    text = text.strip()
    if utf16_len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for sentence in _sentences(text):
        if utf16_len((current + sentence).rstrip()) <= limit:
            current += sentence
            continue
        if current.strip():
            parts.append(current.strip())
        pieces = _hard_split(sentence.strip(), limit)
        parts.extend(pieces[:-1])
        current = pieces[-1] + sentence[len(sentence.rstrip()) :]
    if current.strip():
        parts.append(current.strip())
    return parts


def _sentences(text: str) -> list[str]:
    """`text` cut after each sentence end or line break; each piece keeps its trailing space."""
    cuts = [0, *(match.end() for match in _SENTENCE_END.finditer(text)), len(text)]
    return [text[start:end] for start, end in itertools.pairwise(cuts) if end > start]


def _hard_split(sentence: str, limit: int) -> list[str]:
    """A sentence longer than `limit`: cut between words, or anywhere if it has no spaces."""
    pieces: list[str] = []
    rest = sentence
    while utf16_len(rest) > limit:
        cut = limit
        while utf16_len(rest[:cut]) > limit:
            cut -= 1
        space = rest.rfind(" ", 0, cut + 1)
        cut = space if space > 0 else cut
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    pieces.append(rest)
    return pieces
