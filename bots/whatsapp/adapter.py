"""WhatsApp through Twilio: POST /whatsapp/inbound, POST /whatsapp/status, and the sender.

Every request must carry a valid X-Twilio-Signature over the URL Twilio called
(`FRONTDESK_PUBLIC_URL` + path + query when set, so it holds behind a TLS-terminating proxy)
and every form field, blank ones included. Anything else gets 403 and changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from twilio.request_validator import (
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)
from twilio.rest import Client

from bots.service import Service
from bots.settings import Settings
from bots.whatsapp.forms import Expected, ForeignAccount, FormError, read_pairs, unique_fields
from bots.whatsapp.http import TwilioHttp
from bots.whatsapp.inbound import parse_inbound
from bots.whatsapp.phones import PREFIX, mask
from bots.whatsapp.sender import TEMPLATE_PENDING, Template, WhatsAppSender, load_template
from bots.whatsapp.status import Outcome, apply_status, parse_status

log = logging.getLogger(__name__)

EMPTY_TWIML = "<Response/>"
REQUIRED = {
    "TWILIO_ACCOUNT_SID": "twilio_account_sid",
    "TWILIO_AUTH_TOKEN": "twilio_auth_token",
    "TWILIO_WHATSAPP_FROM": "twilio_whatsapp_from",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class WhatsAppConfig:
    """What the WhatsApp channel needs from the settings."""

    account_sid: str
    auth_token: str = field(repr=False)
    sender: str
    api_url: str | None
    public_url: str | None
    timeout: float
    template: Template | None
    max_text: int

    @classmethod
    def from_settings(cls, settings: Settings) -> WhatsAppConfig:
        """Read the Twilio settings (all three required ones must be set)."""
        token = settings.twilio_auth_token
        sender = (settings.twilio_whatsapp_from or "").strip()
        return cls(
            account_sid=settings.twilio_account_sid or "",
            auth_token=token.get_secret_value() if token else "",
            sender=sender if sender.startswith(PREFIX) else PREFIX + sender,
            api_url=settings.twilio_api_url,
            public_url=settings.public_url,
            timeout=settings.twilio_timeout_seconds,
            template=load_template(
                settings.twilio_template_content_sid, settings.twilio_template_variables
            ),
            max_text=settings.max_message_chars,
        )

    @property
    def expected(self) -> Expected:
        """What a genuine Twilio request for this configuration carries."""
        return Expected(account_sid=self.account_sid, api_url=self.api_url, max_text=self.max_text)


def mount_whatsapp(app: FastAPI, service: Service) -> None:
    """Add POST /whatsapp/inbound and /whatsapp/status when Twilio is configured."""
    missing = [name for name, field in REQUIRED.items() if not getattr(service.settings, field)]
    if missing:
        log.info("WhatsApp: disabled (%s not set)", ", ".join(missing))
        return
    channel = WhatsAppChannel(service, WhatsAppConfig.from_settings(service.settings))
    service.switchboard.add_sender(channel.sender)
    service.closers.append(channel.close)
    app.state.whatsapp = channel
    app.add_api_route("/whatsapp/inbound", channel.inbound, methods=["POST"])
    app.add_api_route("/whatsapp/status", channel.status, methods=["POST"])
    if not channel.config.public_url:
        log.warning(
            "WhatsApp: FRONTDESK_PUBLIC_URL is not set; signatures are checked against the "
            "URL as received and delivery status callbacks are off"
        )
    log.info("WhatsApp: enabled for %s", mask(channel.config.sender))


class WhatsAppChannel:
    """The Twilio webhooks and the reply sender, sharing one HTTP session."""

    def __init__(self, service: Service, config: WhatsAppConfig) -> None:
        self.service = service
        self.config = config
        self.validator = RequestValidator(config.auth_token)
        self.expected = config.expected
        self.http = TwilioHttp(timeout=config.timeout, api_url=config.api_url)
        client = Client(config.account_sid, config.auth_token, http_client=self.http)
        self.sender = WhatsAppSender(
            client,
            sender=config.sender,
            public_url=config.public_url,
            template=config.template,
            template_pending=self._template_pending,
        )

    async def inbound(self, request: Request) -> Response:
        """Twilio's incoming-message webhook: verify, store, answer empty TwiML at once."""
        form = await self._verified_form(request)
        if isinstance(form, Response):
            return form
        try:
            message = parse_inbound(form, self.expected)
        except FormError as exc:
            return _refused("WhatsApp inbound", exc)
        if form.get("To") and form["To"] != self.config.sender:
            log.warning(
                "WhatsApp: message to %s; replies come from %s",
                mask(form["To"]),
                mask(self.config.sender),
            )
        await self.service.switchboard.receive(message)
        return Response(EMPTY_TWIML, media_type="application/xml")

    async def status(self, request: Request) -> Response:
        """Twilio's status callback: record the reply's delivery status."""
        form = await self._verified_form(request)
        if isinstance(form, Response):
            return form
        try:
            query = unique_fields(read_pairs(request.url.query))
            update = parse_status(form, query, self.expected)
        except FormError as exc:
            return _refused("WhatsApp status callback", exc)
        outcome, conversation_id = await asyncio.to_thread(
            apply_status,
            self.service.store,
            update,
            template_configured=self.config.template is not None,
        )
        if outcome is Outcome.REQUEUED and conversation_id is not None:
            self.service.switchboard.wake(conversation_id, outbox=True)
        return Response(status_code=204)

    async def download(self, url: str) -> tuple[bytes, str | None]:
        """Fetch an inbound media URL with the account's credentials."""
        return await self.http.download(url, (self.config.account_sid, self.config.auth_token))

    async def close(self) -> None:
        """Release the HTTP session."""
        await self.http.close()

    async def _verified_form(self, request: Request) -> dict[str, str] | Response:
        """The signed form's fields, or the response refusing the request."""
        # The body is parsed by hand: blank fields (Body="" on media-only messages) are signed
        # too, and form parsers may drop them.
        body = (await request.body()).decode("utf-8", "replace")
        try:
            pairs = read_pairs(body)
        except FormError as exc:
            return _refused("WhatsApp request", exc)
        signature = request.headers.get("X-Twilio-Signature", "")
        algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
        url = self._called_url(request)
        if not signature or not self.validator.validate(url, _Form(pairs), signature, algorithm):
            # The path only: the sender's number is in the form, never in this line.
            log.warning(
                "WhatsApp: rejected %s with a missing or invalid signature", request.url.path
            )
            return PlainTextResponse("invalid Twilio signature", status_code=403)
        try:
            return unique_fields(pairs)
        except FormError as exc:
            return _refused("WhatsApp request", exc)

    def _called_url(self, request: Request) -> str:
        if not self.config.public_url:
            return str(request.url)
        query = request.url.query
        base = self.config.public_url.rstrip("/") + request.url.path
        return f"{base}?{query}" if query else base

    async def _template_pending(self, message_id: int) -> bool:
        message = await asyncio.to_thread(self.service.store.message, message_id)
        return message is not None and message.error == TEMPLATE_PENDING


def _refused(what: str, exc: FormError) -> Response:
    # One line, the reason only: reasons name fields, never their values (a sender's number).
    log.warning("%s rejected: %s", what, exc)
    status = 403 if isinstance(exc, ForeignAccount) else 400
    return PlainTextResponse(f"{'forbidden' if status == 403 else 'bad request'}: {exc}", status)


class _Form(dict[str, str]):
    """Form fields for RequestValidator, repeated keys included (it calls `getall`)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__(pairs)
        self._all: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in pairs:
            self._all[key].append(value)

    def getall(self, key: str) -> list[str]:
        return self._all[key]
