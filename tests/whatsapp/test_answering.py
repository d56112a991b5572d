"""WhatsApp through Twilio, end to end over loopback: answering customers, and configuration."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from sqlalchemy import Engine
from twilio.request_validator import RequestValidator

from bots.app import create_app
from bots.service import build_service
from storage.store import Store
from tests.conftest import make_settings
from tests.fake_twilio import (
    FakeTwilio,
)
from tests.models import EchoProvider
from tests.twilio_requests import (
    ACCOUNT,
    JOAO,
    MARIA,
    PUBLIC,
    SENDER,
    GatedProvider,
    inbound_form,
    running,
    sign,
)

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
