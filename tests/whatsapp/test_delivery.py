"""WhatsApp replies: delivery status, the 24-hour window, sending errors, parsing and splitting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine

from bots.whatsapp.http import rewrite_url
from bots.whatsapp.inbound import parse_inbound
from bots.whatsapp.sender import load_template, split_message
from handoffs.channels import OutboundMessage
from storage.models import utcnow
from tests.fake_twilio import (
    ACCEPT,
    HANG,
    INVALID_NUMBER,
    OUTSIDE_WINDOW,
    RATE_LIMITED,
    SERVER_ERROR,
    FakeTwilio,
)
from tests.models import EchoProvider, ScriptedProvider, text, tool_call
from tests.twilio_requests import (
    EXPECTED,
    JOAO,
    MARIA,
    GatedProvider,
    WhatsApp,
    inbound_form,
    running,
)

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
