"""Signed Twilio requests that Twilio would not send: refused with a one-line reason and one log
line that never names the sender, nothing stored; odd but harmless fields are cut to size."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine

from tests.fake_twilio import FakeTwilio
from tests.twilio_requests import (
    ACCOUNT,
    MARIA,
    PUBLIC,
    SENDER,
    TOKEN,
    WhatsApp,
    inbound_form,
    running,
    sign,
)

OTHER_ACCOUNT = "AC" + "f" * 32
MARIA_DIGITS = "5512345678"  # in every form of María's number
NOT_AN_ID = "From is neither a phone number nor a WhatsApp user id"
SID = "'^[A-Z]{2}[0-9a-fA-F]{32}$'"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    server = await FakeTwilio(account_sid=ACCOUNT, auth_token=TOKEN).start()
    yield server
    await server.stop()


def _refused(
    wa: WhatsApp, response: Any, caplog: pytest.LogCaptureFixture, status: int = 400
) -> str:
    assert response.status_code == status, response.text
    assert "\n" not in response.text and "Traceback" not in response.text
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("bots.whatsapp")]
    assert len(lines) == 1, lines
    assert MARIA_DIGITS not in lines[0]  # a rejected request never logs the sender's number
    assert wa.service.store.count_messages() == 0
    assert wa.service.store.list_conversations() == []
    return lines[0]


async def test_a_captured_webhook_re_split_into_other_fields_is_not_stored_again(
    engine: Engine, sqlite_url: str, fake: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    form = inbound_form("hola")
    signature = sign(PUBLIC + "/whatsapp/inbound", form)
    # Twilio's signature joins names and values with nothing between them, so MessageType can
    # be folded into the MessageSid before it and the signature still holds.
    replay = {k: v for k, v in form.items() if k != "MessageType"}
    replay["MessageSid"] = form["MessageSid"] + "MessageType" + form["MessageType"]
    assert sign(PUBLIC + "/whatsapp/inbound", replay) == signature
    async with running(engine, sqlite_url, fake, debounce_seconds=10) as wa:
        assert (await wa.post("/whatsapp/inbound", form, signature=signature)).status_code == 200
        caplog.set_level(logging.WARNING, logger="bots.whatsapp")
        response = await wa.post("/whatsapp/inbound", replay, signature=signature)
        assert response.status_code == 400
        assert response.text.startswith("bad request: MessageSid: String should match pattern")
        assert wa.service.store.count_messages() == 1


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"From": "whatsapp:"}, NOT_AN_ID),
        ({"From": "whatsapp:+"}, NOT_AN_ID),
        ({"From": "whatsapp:+٥٢١٥٥١٢٣٤٥٦٧٨"}, NOT_AN_ID),
        ({"From": "whatsapp:+５２１５５１２３４５６７８"}, NOT_AN_ID),
        ({"From": "+5215512345678"}, "From is not a WhatsApp address"),
        ({"WaId": "５２１５５１２３４５６７８"},
         "WaId: String should match pattern '^[0-9]{0,15}$'"),
        ({"NumMedia": "٣"}, "NumMedia: String should match pattern '^[0-9]{1,2}$'"),
        ({"NumMedia": "99"}, "NumMedia is more than 10"),
        ({"NumMedia": "999"}, "NumMedia: String should match pattern '^[0-9]{1,2}$'"),
        ({"NumMedia": "1"}, "MediaUrl0 is missing or not a Twilio media URL"),
        ({"NumMedia": "1", "MediaUrl0": "https://evil.example/x.jpg"},
         "MediaUrl0 is missing or not a Twilio media URL"),
        ({"NumMedia": "1", "MediaUrl0": "http://api.twilio.com/x.jpg"},
         "MediaUrl0 is missing or not a Twilio media URL"),
        ({"NumMedia": "1", "MediaUrl0": "https://api.twilio.com.evil.example/x"},
         "MediaUrl0 is missing or not a Twilio media URL"),
        ({"MessageSid": "SM1"}, f"MessageSid: String should match pattern {SID}"),
        ({"MessageSid": "SM" + "a" * 100_000},
         f"MessageSid: String should match pattern {SID}"),
        ({"SmsMessageSid": "SM" + "b" * 32}, "MessageSid, SmsMessageSid and SmsSid differ"),
        ({"AccountSid": "ACtest"}, "AccountSid: String should match pattern '^AC[0-9a-fA-F]{32}$'"),
        ({"Body": "a" * 40_001}, "Body is longer than 40000 characters"),
        ({"Latitude": "91", "Longitude": "10"}, "Latitude or Longitude is out of range"),
        ({"Latitude": "1&q=evil", "Longitude": "10"},
         "Latitude: String should match pattern '^-?[0-9]{1,3}(\\.[0-9]{1,15})?$'"),
    ],
    ids=["empty From", "bare plus", "Arabic-Indic digits", "full-width digits", "not whatsapp:",
         "full-width WaId", "NumMedia Arabic-Indic", "NumMedia 99", "NumMedia 999",
         "media URL missing", "media on another host", "media over http", "look-alike host",
         "short MessageSid", "100,000-character MessageSid", "SIDs differ", "AccountSid format",
         "Body over the cap", "latitude out of range", "latitude not a number"],
)  # fmt: skip
async def test_a_message_twilio_would_not_send_is_a_400_and_stores_nothing(
    engine: Engine,
    sqlite_url: str,
    fake: FakeTwilio,
    caplog: pytest.LogCaptureFixture,
    fields: dict[str, str],
    reason: str,
) -> None:
    async with running(engine, sqlite_url, fake) as wa:
        caplog.set_level(logging.WARNING, logger="bots.whatsapp")
        response = await wa.message("hola", **fields)
        await wa.settle()
        line = _refused(wa, response, caplog)
    assert response.text == f"bad request: {reason}"
    assert line == f"WhatsApp inbound rejected: {reason}"
    assert fake.attempts == 0


async def test_a_repeated_field_is_a_400(
    engine: Engine, sqlite_url: str, fake: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    form = inbound_form("hola")
    pairs = [*form.items(), ("Body", "otra cosa")]
    signature = str(_validator_signature(PUBLIC + "/whatsapp/inbound", pairs))
    async with running(engine, sqlite_url, fake) as wa:
        caplog.set_level(logging.WARNING, logger="bots.whatsapp")
        response = await wa.http.post(
            "/whatsapp/inbound",
            content=urlencode(pairs),
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "X-Twilio-Signature": signature},
        )  # fmt: skip
        _refused(wa, response, caplog)
    assert response.text == "bad request: field 'Body' is repeated"


def _validator_signature(url: str, pairs: list[tuple[str, str]]) -> str:
    # Twilio signs repeated keys one after another, in order (RequestValidator reads getall).
    from twilio.request_validator import RequestValidator

    class Pairs(dict[str, str]):
        def getall(self, key: str) -> list[str]:
            return [v for k, v in pairs if k == key]

    return str(RequestValidator(TOKEN).compute_signature(url, Pairs(pairs)))


async def test_another_accounts_message_is_forbidden(
    engine: Engine, sqlite_url: str, fake: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(engine, sqlite_url, fake) as wa:
        caplog.set_level(logging.WARNING, logger="bots.whatsapp")
        response = await wa.message("hola", AccountSid=OTHER_ACCOUNT)
        line = _refused(wa, response, caplog, status=403)
    reason = "AccountSid is not this deployment's TWILIO_ACCOUNT_SID"
    assert (response.text, line) == (f"forbidden: {reason}", f"WhatsApp inbound rejected: {reason}")


async def test_odd_but_harmless_fields_are_cut_to_size_and_kept(
    engine: Engine, sqlite_url: str, fake: FakeTwilio
) -> None:
    media = f"{fake.url}/2010-04-01/Accounts/{ACCOUNT}/Messages/MM1/Media/ME1"  # TWILIO_API_URL
    async with running(engine, sqlite_url, fake, debounce_seconds=10) as wa:
        response = await wa.message(
            "a" * 40_000,
            ProfileName=" María\n" + "x" * 1_000_000,
            NumMedia="1",
            MediaUrl0=media,
            MediaContentType0="image/jpeg",
        )
        assert response.status_code == 200
        [(conversation, contact)] = wa.service.store.list_conversations()
        [stored] = wa.service.store.messages(conversation.id or 0)
    assert contact.display_name == "María" + "x" * 195
    assert stored.text == "a" * 40_000
    assert [m["url"] for m in stored.media or ()] == [media]


STATUS = {"MessageStatus": "delivered", "SmsStatus": "delivered", "AccountSid": ACCOUNT,
          "From": SENDER, "To": MARIA, "ApiVersion": "2010-04-01"}  # fmt: skip


@pytest.mark.parametrize(
    ("query", "fields", "status", "reason"),
    [
        ("message=99999999999999999999999", {}, 400,
         "query message: String should match pattern '^[0-9]{1,19}$'"),
        ("message=9999999999999999999", {}, 400, "message is not a positive 64-bit integer"),
        ("message=0", {}, 400, "message is not a positive 64-bit integer"),
        ("message=-1", {}, 400, "query message: String should match pattern '^[0-9]{1,19}$'"),
        ("message=1&part=%D9%A3", {}, 400,
         "query part: String should match pattern '^[0-9]{1,4}$'"),
        ("message=1&first=SMfake", {}, 400,
         f"query first: String should match pattern {SID}"),
        ("message=1&message=2", {}, 400, "field 'message' is repeated"),
        ("message=1", {"MessageSid": "SMnope"}, 400,
         f"MessageSid: String should match pattern {SID}"),
        ("message=1", {"AccountSid": OTHER_ACCOUNT}, 403,
         "AccountSid is not this deployment's TWILIO_ACCOUNT_SID"),
    ],
    ids=["message beyond 64 bits", "message just beyond 64 bits", "message zero",
         "message negative", "part Arabic-Indic", "first not a SID", "message twice",
         "MessageSid not a SID", "another account"],
)  # fmt: skip
async def test_a_status_callback_twilio_would_not_send_is_refused(
    engine: Engine,
    sqlite_url: str,
    fake: FakeTwilio,
    caplog: pytest.LogCaptureFixture,
    query: str,
    fields: dict[str, str],
    status: int,
    reason: str,
) -> None:
    sid = "SM" + "c" * 32
    form = {"MessageSid": sid, "SmsSid": sid, **STATUS, **fields}
    async with running(engine, sqlite_url, fake) as wa:
        caplog.set_level(logging.WARNING, logger="bots.whatsapp")
        response = await wa.post(f"/whatsapp/status?{query}", form)
        line = _refused(wa, response, caplog, status=status)
    assert response.text.endswith(f": {reason}")
    assert line == f"WhatsApp status callback rejected: {reason}"
