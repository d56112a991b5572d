"""WhatsApp through Twilio, end to end over loopback.

A real uvicorn server runs the app; requests are signed with twilio's RequestValidator for the
public URL (as behind a TLS-terminating proxy); replies go through the real twilio SDK to a fake
Twilio REST API that records them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from twilio.request_validator import RequestValidator

from agents.models.base import ModelRequest, ModelResponse
from bots.app import create_app
from bots.service import Service, build_service
from bots.whatsapp import WhatsAppChannel
from bots.whatsapp.forms import Expected
from bots.whatsapp.http import rewrite_url
from bots.whatsapp.inbound import parse_inbound
from bots.whatsapp.sender import load_template, split_message
from handoffs.channels import OutboundMessage
from storage.models import Message, utcnow
from storage.store import Store
from tests.conftest import make_settings
from tests.fake_twilio import (
    ACCEPT,
    HANG,
    INVALID_NUMBER,
    OUTSIDE_WINDOW,
    RATE_LIMITED,
    SERVER_ERROR,
    FakeTwilio,
    SentMessage,
)
from tests.models import EchoProvider, ScriptedProvider, text, tool_call
from tests.servers import serving

ACCOUNT = "AC" + "0123456789abcdef" * 2  # a SID as Twilio writes them
TOKEN = "test-token"
SENDER = "whatsapp:+14155238886"
PUBLIC = "https://frontdesk.example.com"
MARIA = "whatsapp:+5215512345678"  # as WhatsApp sends a Mexican mobile: with the old "1"
JOAO = "whatsapp:+551187654321"  # a Brazilian mobile registered before the ninth digit
EXPECTED = Expected(account_sid=ACCOUNT, api_url=None, max_text=40_000)


@dataclass
class WhatsApp:
    """The running app, its service, and the fake Twilio it sends to."""

    service: Service
    fake: FakeTwilio
    http: httpx.AsyncClient
    engine: Engine

    @property
    def channel(self) -> WhatsAppChannel:
        channel = self.http.app_state.whatsapp  # type: ignore[attr-defined]
        assert isinstance(channel, WhatsAppChannel)
        return channel

    async def post(
        self,
        path: str,
        params: dict[str, str],
        *,
        signature: str | None = None,
        signed_url: str | None = None,
    ) -> httpx.Response:
        """POST a form as Twilio does, signed for the public URL unless told otherwise."""
        if signature is None:
            signature = sign(signed_url or PUBLIC + path, params)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature:
            headers["X-Twilio-Signature"] = signature
        return await self.http.post(path, content=urlencode(params), headers=headers)

    async def message(self, body: str, *, sender: str = MARIA, **fields: str) -> httpx.Response:
        """A customer's message, with the fields Twilio sends."""
        return await self.post("/whatsapp/inbound", inbound_form(body, sender=sender, **fields))

    async def callback(self, sent: SentMessage, status: str, **fields: str) -> httpx.Response:
        """Twilio's status callback for `sent`, to the URL the reply asked for."""
        assert sent.status_callback is not None
        parts = urlsplit(sent.status_callback)
        params = {
            "MessageSid": sent.sid, "SmsSid": sent.sid, "MessageStatus": status,
            "SmsStatus": status, "AccountSid": ACCOUNT, "From": SENDER, "To": sent.to,
            "ApiVersion": "2010-04-01", "ChannelPrefix": "whatsapp", **fields,
        }  # fmt: skip
        return await self.post(
            f"{parts.path}?{parts.query}", params, signed_url=sent.status_callback
        )

    async def settle(self) -> None:
        """Wait until every conversation's work (turns, sends, retries) is done."""
        await self.service.switchboard.drain()

    def replies(self) -> list[Message]:
        """Every outbound message row, oldest first."""
        with Session(self.engine, expire_on_commit=False) as session:
            query = select(Message).where(Message.direction == "out").order_by(col(Message.id))
            return list(session.exec(query).all())


def sign(url: str, params: dict[str, str]) -> str:
    return str(RequestValidator(TOKEN).compute_signature(url, params))


def inbound_form(body: str, *, sender: str = MARIA, **fields: str) -> dict[str, str]:
    sid = f"SM{uuid.uuid4().hex}"
    form = {
        "SmsMessageSid": sid, "NumMedia": "0", "ProfileName": "María G", "MessageType": "text",
        "SmsSid": sid, "WaId": sender.removeprefix("whatsapp:+"), "SmsStatus": "received",
        "Body": body, "To": SENDER, "NumSegments": "1", "ReferralNumMedia": "0",
        "MessageSid": sid, "AccountSid": ACCOUNT, "From": sender, "ApiVersion": "2010-04-01",
    }  # fmt: skip
    form.update(fields)
    return form


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    server = await FakeTwilio(account_sid=ACCOUNT, auth_token=TOKEN).start()
    yield server
    await server.stop()


@asynccontextmanager
async def running(
    engine: Engine, url: str, fake: FakeTwilio, *, provider: Any = None, **settings: Any
) -> AsyncIterator[WhatsApp]:
    """The app on a real uvicorn server on 127.0.0.1, port 0, configured for the fake."""
    values: dict[str, Any] = {
        "twilio_account_sid": ACCOUNT,
        "twilio_auth_token": TOKEN,
        "twilio_whatsapp_from": SENDER,
        "twilio_api_url": fake.url,
        "public_url": PUBLIC,
        **settings,
    }
    service = build_service(make_settings(url, **values), store=Store(engine), provider=provider)
    app = create_app(service=service)
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as http:
        http.app_state = app.state  # type: ignore[attr-defined]
        yield WhatsApp(service=service, fake=fake, http=http, engine=engine)


class GatedProvider(EchoProvider):
    """Echoes, but only once `gate` is opened: shows the webhook does not wait for the model."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()

    async def respond(self, request: ModelRequest) -> ModelResponse:
        if request.agent != "router":
            await self.gate.wait()
        return await super().respond(request)


# -- answering ---------------------------------------------------------------------------------


async def test_spanish_from_mexico_is_answered_in_spanish_by_billing(
    engine: Engine, sqlite_url: str, fake: FakeTwilio
) -> None:
    async with running(engine, sqlite_url, fake) as wa:
        response = await wa.message("quiero saber el saldo de mi factura")
        await wa.settle()
        again = await wa.message("gracias", sender="whatsapp:+525512345678")
        await wa.settle()

    assert response.status_code == 200
    assert response.text == "<Response/>"
    assert response.headers["content-type"].startswith("application/xml")
    assert again.status_code == 200
    first, second = fake.messages
    assert (first.to, first.from_) == (MARIA, SENDER)  # replies go where WhatsApp wrote from
    assert second.to == "whatsapp:+525512345678"
    assert first.status_callback and first.status_callback.startswith(f"{PUBLIC}/whatsapp/status?")
    # Both forms of María's number are one contact and one conversation, keyed canonically.
    [(conversation, contact)] = wa.service.store.list_conversations(channel="whatsapp")
    assert contact.external_id == conversation.thread_key == "whatsapp:+525512345678"
    assert (contact.phone, contact.display_name) == ("+525512345678", "María G")
    reply = wa.replies()[0]
    assert (reply.agent, reply.language, reply.status) == ("billing", "es", "sent")
    assert reply.text == first.body
    assert reply.channel_message_id == first.sid
    assert "María González" in first.body and "499.00 MXN" in first.body  # her account, found


async def test_the_api_finds_a_customer_by_either_form_of_their_number(
    engine: Engine, sqlite_url: str, fake: FakeTwilio
) -> None:
    async with running(engine, sqlite_url, fake, api_token="api-test-token") as wa:
        await wa.message("hola")
        await wa.settle()
        auth = {"Authorization": "Bearer api-test-token"}
        found = [
            (
                await wa.http.get(
                    "/api/conversations",
                    params={"channel": "whatsapp", "contact": contact},
                    headers=auth,
                )
            ).json()["conversations"]
            for contact in ("whatsapp:+5215512345678", "whatsapp:+525512345678")
        ]
        detail = (await wa.http.get(f"/api/conversations/{found[0][0]['id']}", headers=auth)).json()
    assert found[0] == found[1] and len(found[0]) == 1
    assert (detail["channel"], detail["language"], detail["status"]) == ("whatsapp", "es", "bot")
    assert [m["direction"] for m in detail["messages"]] == ["in", "out"]


async def test_portuguese_from_brazil_is_answered_in_portuguese(
    engine: Engine, sqlite_url: str, fake: FakeTwilio
) -> None:
    async with running(engine, sqlite_url, fake) as wa:
        await wa.message("Oi, qual o valor da minha fatura?", sender=JOAO)
        await wa.settle()

    [sent] = fake.messages
    [reply] = wa.replies()
    assert (reply.agent, reply.language) == ("billing", "pt")
    # The number gained its ninth digit, so the business backend recognised João.
    assert "João Silva" in sent.body
    assert sent.to == JOAO


async def test_webhook_stores_then_answers_without_waiting_for_the_reply(
    engine: Engine, sqlite_url: str, fake: FakeTwilio
) -> None:
    provider = GatedProvider()
    async with running(engine, sqlite_url, fake, provider=provider) as wa:
        response = await wa.message("hola")
        assert response.status_code == 200
        assert wa.service.store.count_messages(direction="in") == 1
        assert fake.messages == []
        provider.gate.set()
        await wa.settle()
    assert [m.body for m in fake.messages] == ["echo: hola"]


async def test_redelivered_message_sid_is_answered_once(
    engine: Engine, sqlite_url: str, fake: FakeTwilio
) -> None:
    form = inbound_form("hola, ¿siguen abiertos?")
    async with running(engine, sqlite_url, fake, provider=EchoProvider()) as wa:
        first, second = await asyncio.gather(
            wa.post("/whatsapp/inbound", form), wa.post("/whatsapp/inbound", form)
        )
        await wa.settle()
        third = await wa.post("/whatsapp/inbound", form)
        await wa.settle()
    assert [r.status_code for r in (first, second, third)] == [200, 200, 200]
    assert wa.service.store.count_messages(direction="in") == 1
    assert [m.body for m in fake.messages] == ["echo: hola, ¿siguen abiertos?"]


@pytest.mark.parametrize(
    "forge",
    ["missing", "wrong token", "tampered body", "local url", "blank field dropped"],
)
async def test_forged_or_tampered_signature_is_refused_and_nothing_stored(
    engine: Engine, sqlite_url: str, fake: FakeTwilio, forge: str
) -> None:
    form = inbound_form("", NumMedia="1", MediaUrl0="https://api.twilio.com/m/1",
                        MediaContentType0="image/jpeg")  # fmt: skip
    signature = sign(PUBLIC + "/whatsapp/inbound", form)
    sent = dict(form)
    if forge == "missing":
        signature = ""
    elif forge == "wrong token":
        signature = RequestValidator("not-the-token").compute_signature(
            PUBLIC + "/whatsapp/inbound", form
        )
    elif forge == "tampered body":
        sent["Body"] = "send me a refund"
    elif forge == "local url":
        signature = sign("http://127.0.0.1/whatsapp/inbound", form)
    else:
        signature = sign(PUBLIC + "/whatsapp/inbound", {k: v for k, v in form.items() if v})
    async with running(engine, sqlite_url, fake) as wa:
        response = await wa.post("/whatsapp/inbound", sent, signature=signature)
        await wa.settle()
    assert response.status_code == 403
    assert wa.service.store.count_messages() == 0
    assert wa.service.store.list_conversations() == []
    assert fake.attempts == 0


async def test_media_only_message_is_accepted_and_the_agent_told(
    engine: Engine, sqlite_url: str, fake: FakeTwilio
) -> None:
    media_url = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages/MM1/Media/ME1"
    fake.media["ME1"] = (b"\xff\xd8jpeg bytes", "image/jpeg")
    form = inbound_form("", NumMedia="1", MediaUrl0=media_url, MediaContentType0="image/jpeg",
                        MessageType="image")  # fmt: skip
    async with running(engine, sqlite_url, fake, provider=EchoProvider()) as wa:
        response = await wa.post("/whatsapp/inbound", form)
        await wa.settle()
        downloaded = await wa.channel.download(media_url)
        [(conversation, _)] = wa.service.store.list_conversations()
        [inbound, _reply] = wa.service.store.messages(conversation.id or 0)

    assert response.status_code == 200
    assert [m.body for m in fake.messages] == ["echo: [the customer sent a photo]"]
    assert inbound.text == ""
    assert inbound.media == [
        {
            "kind": "image",
            "url": media_url,
            "content_type": "image/jpeg",
            "description": "[the customer sent a photo]",
        }
    ]
    # Media downloads carry the account's credentials (the fake refuses anything else).
    assert downloaded == (b"\xff\xd8jpeg bytes", "image/jpeg")


# -- delivery status ---------------------------------------------------------------------------


async def test_status_callbacks_out_of_order_leave_the_right_final_status(
    engine: Engine, sqlite_url: str, fake: FakeTwilio
) -> None:
    async with running(engine, sqlite_url, fake, provider=EchoProvider()) as wa:
        await wa.message("first")
        await wa.message("second", sender=JOAO)
        await wa.settle()
        read, failed = sorted(fake.messages, key=lambda m: m.to != MARIA)
        answers = [
            await wa.callback(read, status) for status in ("read", "sent", "queued", "delivered")
        ]
        answers += [
            await wa.callback(failed, "undelivered", ErrorCode="63024"),
            await wa.callback(failed, "delivered"),
            await wa.callback(failed, "failed", ErrorCode="30008"),
        ]
        forged = await wa.post(
            urlsplit(read.status_callback or "").path, {"MessageSid": read.sid,
            "MessageStatus": "failed", "ErrorCode": "30008"}, signature="forged",
        )  # fmt: skip
        await wa.settle()

    assert [a.status_code for a in answers] == [204] * 7
    assert forged.status_code == 403
    by_sid = {m.channel_message_id: m for m in wa.replies()}
    assert by_sid[read.sid].status == "read"
    assert (by_sid[failed.sid].status, by_sid[failed.sid].error) == (
        "undelivered",
        "Twilio error 63024: invalid recipient",
    )


async def test_long_reply_is_sent_as_ordered_parts_tracked_by_the_last(
    engine: Engine, sqlite_url: str, fake: FakeTwilio
) -> None:
    body = " ".join(
        f"Step {i:02d} of the guide: check the cable, wait a minute." for i in range(43)
    )
    long = f"{body} That is all" + "!" * (2500 - len(body) - len(" That is all"))
    provider = ScriptedProvider()
    provider.script(tool_call("transfer_to_support", reason="setup help"), text(long))
    async with running(engine, sqlite_url, fake, provider=provider) as wa:
        await wa.message("how do I set it up?")
        await wa.settle()
        first, second = fake.messages
        await wa.callback(first, "delivered")
        after_first = wa.replies()[0].status
        await wa.callback(second, "read")

    assert len(long) == 2500
    assert len(first.body) <= 1600 and len(second.body) <= 1600
    assert first.body.startswith("Step 00") and first.body.endswith(".")
    assert f"{first.body} {second.body}" == long
    assert second.to == first.to == MARIA
    assert parse_qs(urlsplit(second.status_callback or "").query)["first"] == [first.sid]
    [reply] = wa.replies()
    assert reply.channel_message_id == first.sid
    assert (after_first, reply.status) == ("sent", "read")


# -- the 24-hour window ------------------------------------------------------------------------


@asynccontextmanager
async def a_day_later(wa: WhatsApp) -> AsyncIterator[None]:
    """Replies are sent as if 25 hours had passed since the customer wrote."""
    wa.channel.sender.clock = lambda: utcnow() + timedelta(hours=25)
    yield


async def test_reply_after_24_hours_uses_the_template(
    engine: Engine, sqlite_url: str, fake: FakeTwilio
) -> None:
    async with (
        running(
            engine, sqlite_url, fake, provider=EchoProvider(), twilio_template_content_sid="HXtest"
        ) as wa,
        a_day_later(wa),
    ):
        await wa.message("are you\nthere?")
        await wa.settle()
    [sent] = fake.messages
    assert (sent.content_sid, sent.body) == ("HXtest", "")
    assert sent.content_variables == {"1": "echo: are you there?"}
    assert [r.status for r in wa.replies()] == ["sent"]


async def test_reply_after_24_hours_without_a_template_is_failed_for_staff(
    engine: Engine, sqlite_url: str, fake: FakeTwilio
) -> None:
    async with running(engine, sqlite_url, fake, provider=EchoProvider()) as wa, a_day_later(wa):
        await wa.message("are you there?")
        await wa.settle()
    assert fake.attempts == 0  # no free-form message was even tried
    [reply] = wa.replies()
    assert reply.status == "failed"
    assert "24-hour" in (reply.error or "") and "TWILIO_TEMPLATE_CONTENT_SID" in (reply.error or "")


@pytest.mark.parametrize("template", ["HXtest", None])
async def test_63016_is_handled_alike_at_once_and_in_a_status_callback(
    engine: Engine, sqlite_url: str, fake: FakeTwilio, template: str | None
) -> None:
    settings = {"twilio_template_content_sid": template} if template else {}
    async with running(engine, sqlite_url, fake, provider=EchoProvider(), **settings) as wa:
        fake.fail_next(OUTSIDE_WINDOW)
        await wa.message("at once")
        await wa.settle()
        await wa.message("later", sender=JOAO)
        await wa.settle()
        [refused] = [m for m in fake.messages if m.to == JOAO]
        await wa.callback(refused, "failed", ErrorCode="63016")
        await wa.settle()
        await wa.callback(refused, "failed", ErrorCode="63016")  # Twilio may call twice
        await wa.callback(refused, "delivered")  # and stragglers of the refused send
        await wa.settle()

    at_once, in_callback = wa.replies()
    templates = [m for m in fake.messages if m.content_sid]
    if template:
        assert sorted(m.to for m in templates) == sorted([JOAO, MARIA])
        assert [m.content_variables for m in templates] == [{"1": "echo: at once"},
                                                             {"1": "echo: later"}]  # fmt: skip
        assert (at_once.status, in_callback.status) == ("sent", "sent")
        assert in_callback.channel_message_id == templates[1].sid
    else:
        assert templates == []
        assert (at_once.status, in_callback.status) == ("failed", "failed")
        assert at_once.error == in_callback.error
        assert "outside WhatsApp's 24-hour customer-service window" in (at_once.error or "")


# -- sending errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "attempts"), [([RATE_LIMITED], 2), ([RATE_LIMITED, RATE_LIMITED], 3), ([HANG], 2)]
)
async def test_rate_limits_and_timeouts_are_retried_and_the_message_sent_once(
    engine: Engine, sqlite_url: str, fake: FakeTwilio, script: list[Any], attempts: int
) -> None:
    async with running(engine, sqlite_url, fake, provider=EchoProvider(),
                       twilio_timeout_seconds=0.3) as wa:  # fmt: skip
        fake.script(*script)
        await wa.message("hola")
        await wa.settle()
    assert fake.attempts == attempts
    assert [m.body for m in fake.messages] == ["echo: hola"]
    assert [r.status for r in wa.replies()] == ["sent"]


@pytest.mark.parametrize(("error", "code"), [(INVALID_NUMBER, "21211"), (SERVER_ERROR, "20500")])
async def test_permanent_errors_fail_the_reply_without_retry(
    engine: Engine, sqlite_url: str, fake: FakeTwilio, error: Any, code: str
) -> None:
    async with running(engine, sqlite_url, fake, provider=EchoProvider()) as wa:
        fake.fail_next(error)
        await wa.message("hola")
        await wa.settle()
    assert (fake.attempts, fake.messages) == (1, [])
    [reply] = wa.replies()
    assert reply.status == "failed"
    assert f"Twilio error {code}" in (reply.error or "")


async def test_a_retry_resumes_a_long_reply_at_the_part_that_failed(
    engine: Engine, sqlite_url: str, fake: FakeTwilio
) -> None:
    long = "Short sentence number one. " * 100
    provider = ScriptedProvider()
    provider.script(tool_call("transfer_to_support", reason="x"), text(long))
    async with running(engine, sqlite_url, fake, provider=provider) as wa:
        fake.script(ACCEPT, RATE_LIMITED)
        await wa.message("tell me everything")
        await wa.settle()
    assert fake.attempts == 3
    assert " ".join(m.body for m in fake.messages) == long.strip()


# -- configuration -----------------------------------------------------------------------------


async def test_without_twilio_settings_the_routes_are_absent(
    engine: Engine, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bots.whatsapp")
    service = build_service(
        make_settings(sqlite_url, twilio_account_sid=ACCOUNT), store=Store(engine)
    )
    app = create_app(service=service)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/whatsapp/inbound", data={"Body": "hola"})
    assert response.status_code == 404
    assert "WhatsApp: disabled (TWILIO_AUTH_TOKEN, TWILIO_WHATSAPP_FROM not set)" in caplog.text


async def test_a_business_scoped_id_is_kept_and_answered_in_its_country_language(
    engine: Engine, sqlite_url: str, fake: FakeTwilio
) -> None:
    scoped = "whatsapp:BR.1234567890123456789"
    async with running(engine, sqlite_url, fake, provider=EchoProvider()) as wa:
        await wa.message("ok", sender=scoped, WaId="")
        await wa.settle()
    [(conversation, contact)] = wa.service.store.list_conversations()
    assert (contact.external_id, contact.phone, contact.locale) == (scoped, None, "pt-BR")
    assert conversation.language == "pt"
    assert [m.to for m in fake.messages] == [scoped]


# -- parsing and splitting ---------------------------------------------------------------------


def test_locations_buttons_and_attachments_are_described_for_the_agent() -> None:
    form = inbound_form(
        "",
        NumMedia="3",
        MediaUrl0="https://api.twilio.com/m/0",
        MediaContentType0="audio/ogg",
        MediaUrl1="https://api.twilio.com/m/1",
        MediaContentType1="application/pdf",
        MediaUrl2="https://api.twilio.com/m/2",
        MediaContentType2="image/webp",
        Latitude="-23.5505",
        Longitude="-46.6333",
        Address="Av. Paulista, 1000",
    )
    message = parse_inbound(form, EXPECTED)
    assert [(m.kind, m.description) for m in message.media] == [
        ("audio", "[the customer sent a voice message]"),
        ("document", "[the customer sent a document (application/pdf)]"),
        ("image", "[the customer sent a sticker]"),
        ("location", "[the customer shared a location: Av. Paulista, 1000 (-23.5505, -46.6333)]"),
    ]
    button = parse_inbound(
        inbound_form("Sí", ButtonText="Sí, pagar", ButtonPayload="pay"), EXPECTED
    )
    assert button.text == "Sí, pagar"


@pytest.mark.parametrize(
    "form",
    [{"From": MARIA}, {"MessageSid": "SM1", "From": "+5215512345678"}, {"MessageSid": "SM1"}],
)
def test_forms_that_are_not_whatsapp_messages_are_refused(form: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        parse_inbound(form, EXPECTED)


def test_splitting_prefers_sentence_ends_and_counts_like_twilio() -> None:
    assert split_message("Short. Reply.") == ["Short. Reply."]
    parts = split_message("One two. " * 300, limit=100)
    assert all(len(p) <= 100 and p.endswith(".") for p in parts)
    assert " ".join(parts) == ("One two. " * 300).strip()
    # A sentence longer than the limit is cut between words; a word longer than it anywhere.
    assert split_message("word " * 30, limit=20)[0] == "word word word word"
    assert split_message("x" * 45, limit=20) == ["x" * 20, "x" * 20, "x" * 5]
    # Twilio counts UTF-16 units: an emoji is two.
    assert split_message("😀" * 15, limit=20) == ["😀" * 10, "😀" * 5]


def test_templates_can_be_chosen_by_language() -> None:
    template = load_template('{"es": "HXes", "default": "HXen"}', '{"1": "{text}", "2": "x"}')
    assert template is not None
    assert (template.sid("es"), template.sid("pt")) == ("HXes", "HXen")
    assert template.render("a\n\tb   c") == '{"1": "a b c", "2": "x"}'
    assert load_template(None, "{}") is None


def test_twilio_api_url_replaces_every_twilio_host_and_only_those() -> None:
    base = "http://127.0.0.1:9000/"
    assert rewrite_url("https://api.twilio.com/2010-04-01/A.json?x=1", base) == (
        "http://127.0.0.1:9000/2010-04-01/A.json?x=1"
    )
    assert rewrite_url("https://content.twilio.com/v1/Content", base).startswith(base)
    assert rewrite_url("https://eviltwilio.com/x", base) == "https://eviltwilio.com/x"
    assert rewrite_url("https://api.twilio.com/x", None) == "https://api.twilio.com/x"


async def test_a_reply_can_carry_media(engine: Engine, sqlite_url: str, fake: FakeTwilio) -> None:
    async with running(engine, sqlite_url, fake) as wa:
        receipt = await wa.channel.sender.send(
            OutboundMessage(
                message_id=99,
                conversation_id=1,
                channel="whatsapp",
                thread_key="whatsapp:+525512345678",
                recipient="whatsapp:+525512345678",
                text="Here is your invoice.",
                language="en",
                author="staff",
                last_inbound_at=utcnow(),
                media_urls=("https://files.example.com/invoice.pdf",),
            )
        )
    text_part, media_part = fake.messages
    assert (text_part.body, text_part.media_urls) == ("Here is your invoice.", [])
    assert (media_part.body, media_part.media_urls) == (
        "",
        ["https://files.example.com/invoice.pdf"],
    )
    assert receipt.channel_message_id == text_part.sid


async def test_the_reply_address_survives_a_restart(
    engine: Engine, sqlite_url: str, fake: FakeTwilio
) -> None:
    async with running(engine, sqlite_url, fake, provider=GatedProvider()) as wa:
        response = await wa.message("hola, ¿cuánto debo?")  # stored, then the server stops
    assert response.status_code == 200 and fake.messages == []
    async with running(engine, sqlite_url, fake) as wa:
        await wa.settle()
    [sent] = fake.messages
    # Stored on the contact, not only in memory: the exact +521 address María wrote from.
    assert sent.to == MARIA == "whatsapp:+5215512345678"
    [(_, contact)] = wa.service.store.list_conversations(channel="whatsapp")
    assert (contact.external_id, contact.reply_address) == ("whatsapp:+525512345678", MARIA)
