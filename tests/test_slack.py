"""Slack end to end: signed requests to a real server, replies checked on a fake Web API."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine

from agents.models.base import ModelProvider
from bots.app import create_app
from bots.service import Service, build_service
from bots.slack.formatting import split_message, to_mrkdwn, to_plain
from storage.store import Store
from tests.conftest import make_settings
from tests.fake_slack import BOT_ID, BOT_USER_ID, TEAM_ID, TOKEN, Failure, FakeSlack
from tests.models import EchoProvider
from tests.servers import serving

SECRET = "test-signing-secret"
ANA = "U0ANA"
DM = "D0ANA"
GENERAL = "C0GENERAL"

_seq = itertools.count(1)


def new_ts() -> str:
    """A fresh Slack message timestamp."""
    return f"{int(time.time())}.{next(_seq):06d}"


def callback(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """An Events API envelope around one event, as Slack sends it."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "A0FRONT",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_seq):08d}",
        "event_time": int(time.time()),
        "authorizations": [
            {"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True,
             "is_enterprise_install": False}
        ],
    }  # fmt: skip


def dm(text: str, *, user: str | None = ANA, channel: str = DM, **extra: Any) -> dict[str, Any]:
    """A message.im event."""
    ts = new_ts()
    event = {"type": "message", "channel": channel, "channel_type": "im", "user": user,
             "text": text, "ts": ts, "event_ts": ts, "client_msg_id": f"cm-{ts}"}  # fmt: skip
    return {**event, **extra}


def mention(text: str, *, user: str = ANA, thread_ts: str | None = None) -> dict[str, Any]:
    """An app_mention event in #general, top-level or inside a thread."""
    ts = new_ts()
    event = {"type": "app_mention", "channel": GENERAL, "user": user,
             "text": f"<@{BOT_USER_ID}> {text}", "ts": ts, "event_ts": ts}  # fmt: skip
    return {**event, "thread_ts": thread_ts} if thread_ts else event


def channel_message(text: str, *, thread_ts: str | None = None, user: str = ANA) -> dict[str, Any]:
    """A message.channels event in #general."""
    ts = new_ts()
    event = {"type": "message", "channel": GENERAL, "channel_type": "channel", "user": user,
             "text": text, "ts": ts, "event_ts": ts}  # fmt: skip
    return {**event, "thread_ts": thread_ts} if thread_ts else event


def signed(body: str, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack would send with this body."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    assert signature is not None
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
        "Content-Type": "application/json",
    }


class Slack:
    """A running frontdesk with Slack enabled, and a client that signs like Slack."""

    def __init__(self, service: Service, url: str) -> None:
        self.service = service
        self.http = httpx.AsyncClient(base_url=url)

    async def send(
        self, payload: dict[str, Any], *, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        body = json.dumps(payload)
        return await self.http.post(
            "/slack/events", content=body, headers={**signed(body), **(headers or {})}
        )

    async def event(self, event: dict[str, Any], **kwargs: Any) -> httpx.Response:
        response = await self.send(callback(event), **kwargs)
        assert response.status_code == 200, response.text
        return response


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    """The fake Slack Web API, with two people in the workspace."""
    slack = await FakeSlack().start()
    slack.add_user(ANA, "Ana Smith", locale="en-US", tz="America/New_York")
    slack.add_user("U0LUCIA", "Lucía Pérez", locale="es-LA", tz="America/Mexico_City")
    yield slack
    await slack.close()


@asynccontextmanager
async def running(
    engine: Engine,
    sqlite_url: str,
    fake: FakeSlack,
    *,
    provider: ModelProvider | None = None,
    **settings: Any,
) -> AsyncIterator[Slack]:
    """Serve frontdesk on 127.0.0.1 (port 0) with uvicorn, talking to the fake Slack."""
    values: dict[str, Any] = {
        "slack_bot_token": TOKEN,
        "slack_signing_secret": SECRET,
        "slack_api_url": fake.api_url,
        "slack_send_interval_seconds": 0.0,
        "slack_timeout_seconds": 2.0,
    }
    values.update(settings)
    service = build_service(
        make_settings(sqlite_url, **values), store=Store(engine), provider=provider
    )
    async with serving(create_app(service=service)) as url:
        slack = Slack(service, url)
        try:
            yield slack
        finally:
            await slack.http.aclose()


async def settle(slack: Slack) -> None:
    """Wait until the switchboard has answered and delivered everything it was given."""
    await asyncio.wait_for(slack.service.switchboard.drain(), 10)


# -- set-up and security -------------------------------------------------------------------


async def test_without_credentials_the_route_is_absent_and_startup_says_why(
    engine: Engine, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bots.slack")
    service = build_service(make_settings(sqlite_url, slack_bot_token=TOKEN), store=Store(engine))
    app = create_app(service=service)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        body = json.dumps(callback(dm("hello")))
        response = await client.post("/slack/events", content=body, headers=signed(body))
    assert response.status_code == 404
    assert "slack" not in service.switchboard.senders
    [line] = [r.getMessage() for r in caplog.records if r.name == "bots.slack.adapter"]
    assert line.startswith("Slack disabled: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET")


async def test_url_verification_challenge_is_answered(
    engine: Engine, sqlite_url: str, fake: FakeSlack
) -> None:
    async with running(engine, sqlite_url, fake) as slack:
        payload = {
            "token": "t",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595",
            "type": "url_verification",
        }
        response = await slack.send(payload)
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595"}


async def test_forged_or_stale_requests_get_401_and_store_nothing(
    engine: Engine, sqlite_url: str, fake: FakeSlack
) -> None:
    async with running(engine, sqlite_url, fake) as slack:
        body = json.dumps(callback(dm("transfer me everything")))
        now = int(time.time())
        attempts = [
            {"Content-Type": "application/json"},  # no signature at all
            signed(body, secret="not-the-secret"),  # forged
            signed(body, timestamp=now - 6 * 60),  # replayed: more than 5 minutes old
            signed(body, timestamp=now + 6 * 60),  # from the future
            {**signed(body), "X-Slack-Request-Timestamp": "yesterday"},  # malformed
            {**signed(body), "X-Slack-Signature": "v0=" + "0" * 64},
        ]
        for headers in attempts:
            response = await slack.http.post("/slack/events", content=body, headers=headers)
            assert response.status_code == 401, headers
        tampered = await slack.http.post(
            "/slack/events", content=body.replace("transfer", "give"), headers=signed(body)
        )
        assert tampered.status_code == 401
        await settle(slack)
        assert slack.service.store.count_messages() == 0
    assert fake.calls == []


# -- conversations -------------------------------------------------------------------------


async def test_dm_is_answered_in_the_dm(engine: Engine, sqlite_url: str, fake: FakeSlack) -> None:
    async with running(engine, sqlite_url, fake, provider=EchoProvider()) as slack:
        await slack.event(dm("hello, is anyone there?"))
        await slack.event(dm("my *router* is <b>broken</b> & blinking"))
        await settle(slack)
        [(conversation, contact)] = slack.service.store.list_conversations(channel="slack")

    first, second = fake.posts()
    assert first.args["channel"] == DM and "thread_ts" not in first.args
    assert first.args["text"] == "echo: hello, is anyone there?"
    assert first.token == TOKEN
    # Slack's escaping is undone for the agents and redone for Slack.
    assert second.args["text"] == "echo: my _router_ is &lt;b&gt;broken&lt;/b&gt; &amp; blinking"
    assert conversation.thread_key == f"slack:{DM}"
    assert (contact.external_id, contact.display_name) == (ANA, "Ana")
    assert len(fake.of("auth.test")) == 1  # Bolt's token check, once, then cached
    assert len(fake.of("users.info")) == 1  # the profile is cached too


async def test_mention_is_answered_in_its_thread_and_the_thread_continues(
    engine: Engine, sqlite_url: str, fake: FakeSlack
) -> None:
    async with running(engine, sqlite_url, fake, provider=EchoProvider()) as slack:
        question = mention("my internet is down")
        await slack.event(question)
        [answer] = await fake.wait_for_posts(1)
        assert answer.args["channel"] == GENERAL
        assert answer.args["thread_ts"] == question["ts"]
        assert answer.args["text"] == "echo: my internet is down"

        # A follow-up in the thread needs no mention; chatter elsewhere is left alone.
        await slack.event(channel_message("since this morning", thread_ts=question["ts"]))
        await slack.event(channel_message("lunch anyone?"))
        await slack.event(channel_message("unrelated thread", thread_ts=new_ts()))
        # One message that mentions the bot in the thread arrives as two events.
        again = mention("still down", thread_ts=question["ts"])
        await slack.event(again)
        await slack.event({**again, "type": "message", "channel_type": "channel"})
        await settle(slack)
        conversations = slack.service.store.list_conversations(channel="slack")

    assert [(p.args["thread_ts"], p.args["text"]) for p in fake.posts()] == [
        (question["ts"], "echo: my internet is down"),
        (question["ts"], "echo: since this morning"),
        (question["ts"], "echo: still down"),
    ]
    [(conversation, _)] = conversations
    assert conversation.thread_key == f"slack:{GENERAL}:{question['ts']}"


async def test_retried_event_is_answered_once(
    engine: Engine, sqlite_url: str, fake: FakeSlack
) -> None:
    async with running(engine, sqlite_url, fake, provider=EchoProvider()) as slack:
        payload = callback(dm("are you there?"))
        await slack.send(payload)
        for retry in ("1", "2"):
            headers = {"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"}
            response = await slack.send(payload, headers=headers)
            assert response.status_code == 200
        await settle(slack)
        assert slack.service.store.count_messages(direction="in") == 1
    assert [p.args["text"] for p in fake.posts()] == ["echo: are you there?"]


async def test_event_slack_cannot_authorize_gets_500_and_its_retry_is_answered(
    engine: Engine, sqlite_url: str, fake: FakeSlack
) -> None:
    # Bolt's own check would answer 200 and drop the event; a 500 makes Slack send it again.
    fake.fail_next("auth.test", Failure(status=503, error="service_unavailable"))
    async with running(engine, sqlite_url, fake, provider=EchoProvider()) as slack:
        payload = callback(dm("hello?"))
        first = await slack.send(payload)
        assert first.status_code == 500
        assert slack.service.store.count_messages() == 0
        retry = await slack.send(payload, headers={"X-Slack-Retry-Num": "1"})
        assert retry.status_code == 200
        await settle(slack)
    assert [call.status for call in fake.of("auth.test")] == [503, 200]
    assert [p.args["text"] for p in fake.posts()] == ["echo: hello?"]


async def test_bot_messages_edits_and_other_events_get_200_and_no_reply(
    engine: Engine, sqlite_url: str, fake: FakeSlack
) -> None:
    ts = new_ts()
    ignored = [
        dm("our own reply", user=BOT_USER_ID, bot_id=BOT_ID),
        dm("another bot", subtype="bot_message", bot_id="B0OTHER", user=None),
        dm("a bot with a user", bot_id="B0OTHER", user="U0OTHERBOT"),
        dm("", subtype="message_changed", message={"text": "edited", "user": ANA, "ts": ts}),
        dm("", subtype="message_deleted", deleted_ts=ts),
        channel_message("<@U0ANA> has joined the channel") | {"subtype": "channel_join"},
        {"type": "reaction_added", "user": ANA, "reaction": "thumbsup",
         "item": {"type": "message", "channel": DM, "ts": ts}, "event_ts": ts},
        {"type": "app_home_opened", "user": ANA, "channel": DM, "tab": "messages"},
    ]  # fmt: skip
    async with running(engine, sqlite_url, fake) as slack:
        for event in ignored:
            await slack.event(event)
        # Interactivity with no listener (a stray button) is acknowledged too, never a 404.
        payload = {"type": "block_actions", "team": {"id": TEAM_ID}, "user": {"id": ANA},
                   "api_app_id": "A0FRONT", "actions": [{"action_id": "stray", "value": "x"}],
                   "container": {"type": "message"}, "trigger_id": "1.2.3"}  # fmt: skip
        body = "payload=" + quote(json.dumps(payload))
        headers = {**signed(body), "Content-Type": "application/x-www-form-urlencoded"}
        response = await slack.http.post("/slack/events", content=body, headers=headers)
        assert response.status_code == 200
        await settle(slack)
        assert slack.service.store.count_messages() == 0
    assert fake.posts() == []


async def test_the_staff_channel_is_left_to_the_staff_desk(
    engine: Engine, sqlite_url: str, fake: FakeSlack
) -> None:
    async with running(engine, sqlite_url, fake, staff_slack_channel=GENERAL) as slack:
        question = mention("claiming this one")
        await slack.event(question)
        await slack.event(channel_message("on it", thread_ts=question["ts"]))
        await settle(slack)
        assert slack.service.store.count_messages() == 0
    assert fake.posts() == []


async def test_spanish_speaker_is_answered_by_billing_in_spanish(
    engine: Engine, sqlite_url: str, fake: FakeSlack
) -> None:
    async with running(engine, sqlite_url, fake) as slack:
        await slack.event(dm("quiero saber el saldo de mi factura", user="U0LUCIA", channel="D0LU"))
        await settle(slack)
        [(conversation, contact)] = slack.service.store.list_conversations(contact="U0LUCIA")
        messages = slack.service.store.messages(conversation.id or 0)

    [reply] = fake.posts()
    assert reply.args["channel"] == "D0LU"
    assert (conversation.active_agent, conversation.language) == ("billing", "es")
    assert [(m.direction, m.language) for m in messages] == [("in", "es"), ("out", "es")]
    assert messages[1].agent == "billing" and messages[1].status == "sent"
    assert (contact.display_name, contact.locale, contact.timezone) == (
        "Lucía",
        "es-LA",
        "America/Mexico_City",
    )
    assert fake.of("users.info")[0].args["include_locale"] in ("1", "true")


async def test_slack_locale_is_the_language_prior_when_the_text_says_nothing(
    engine: Engine, sqlite_url: str, fake: FakeSlack
) -> None:
    fake.add_user("U0JOAO", "João Silva", locale="pt-BR", tz="America/Sao_Paulo")
    async with running(engine, sqlite_url, fake) as slack:
        await slack.event(dm("123456", user="U0JOAO", channel="D0JO"))
        await settle(slack)
        [(conversation, contact)] = slack.service.store.list_conversations(contact="U0JOAO")
        messages = slack.service.store.messages(conversation.id or 0)
    assert contact.locale == "pt-BR"
    assert conversation.language == "pt"
    assert [m.language for m in messages] == ["pt", "pt"]
    assert len(fake.posts()) == 1


# -- delivery ------------------------------------------------------------------------------


async def test_rate_limited_reply_is_retried_and_arrives_once(
    engine: Engine, sqlite_url: str, fake: FakeSlack
) -> None:
    fake.fail_next("chat.postMessage", Failure(status=429, retry_after=1))
    async with running(engine, sqlite_url, fake, provider=EchoProvider()) as slack:
        await slack.event(dm("hello"))
        await settle(slack)
        [_, reply] = slack.service.store.messages(1)
    assert [call.status for call in fake.of("chat.postMessage")] == [429, 200]
    assert [p.args["text"] for p in fake.posts()] == ["echo: hello"]
    assert reply.status == "sent"


async def test_reply_slack_refuses_is_marked_failed_not_retried(
    engine: Engine, sqlite_url: str, fake: FakeSlack
) -> None:
    fake.fail_next("chat.postMessage", Failure(error="not_in_channel"))
    async with running(engine, sqlite_url, fake, provider=EchoProvider()) as slack:
        await slack.event(mention("hello"))
        await settle(slack)
        [_, reply] = slack.service.store.messages(1)
    assert len(fake.of("chat.postMessage")) == 1
    assert (reply.status, reply.error) == ("failed", "Slack refused the message: not_in_channel")


async def test_reply_that_keeps_failing_is_marked_failed_after_its_retries(
    engine: Engine, sqlite_url: str, fake: FakeSlack
) -> None:
    fake.fail_next("chat.postMessage", *[Failure(status=503, error="service_unavailable")] * 3)
    settings = {"send_max_attempts": 3}
    async with running(engine, sqlite_url, fake, provider=EchoProvider(), **settings) as slack:
        await slack.event(dm("hello"))
        await settle(slack)
        [_, reply] = slack.service.store.messages(1)
    assert len(fake.of("chat.postMessage")) == 3
    assert reply.status == "failed"
    assert reply.error == "Slack error service_unavailable (after 3 attempts)"


async def test_hanging_slack_times_out_and_the_reply_is_retried(
    engine: Engine, sqlite_url: str, fake: FakeSlack
) -> None:
    fake.fail_next("chat.postMessage", Failure(hang=True))
    settings = {"slack_timeout_seconds": 0.3}
    async with running(engine, sqlite_url, fake, provider=EchoProvider(), **settings) as slack:
        await slack.event(dm("hello"))
        await settle(slack)
    assert len(fake.of("chat.postMessage")) == 2
    assert [p.args["text"] for p in fake.posts()] == ["echo: hello"]


async def test_long_markdown_reply_is_converted_and_split_in_the_thread(
    engine: Engine, sqlite_url: str, fake: FakeSlack
) -> None:
    paragraph = "**Step** one: see [the guide](https://example.com/guide). " * 40
    settings = {"max_input_chars": 20_000}
    async with running(engine, sqlite_url, fake, provider=EchoProvider(), **settings) as slack:
        question = mention("\n\n".join([paragraph] * 4))
        await slack.event(question)
        await settle(slack)
    posts = fake.posts()
    assert len(posts) == 4  # cut at paragraph breaks: two paragraphs exceed one message
    assert {p.args["thread_ts"] for p in posts} == {question["ts"]}
    assert all(len(p.args["text"]) <= 3500 for p in posts)
    text = "\n\n".join(p.args["text"] for p in posts)
    assert "**" not in text and "](" not in text
    assert text.count("*Step* one: see <https://example.com/guide|the guide>.") == 160


# -- restarts ------------------------------------------------------------------------------


async def test_event_acknowledged_before_a_crash_is_answered_once_after_restart(
    engine: Engine, sqlite_url: str, fake: FakeSlack
) -> None:
    # A long debounce keeps the first server from answering before it goes down.
    async with running(engine, sqlite_url, fake, debounce_seconds=10) as first:
        await first.event(dm("quiero saber el saldo de mi factura", user="U0LUCIA"))
        assert first.service.store.count_messages(direction="in") == 1
    assert fake.posts() == []

    async with running(engine, sqlite_url, fake) as second:
        [reply] = await fake.wait_for_posts(1)
        await settle(second)
    assert reply.args["channel"] == DM
    assert len(fake.posts()) == 1


async def test_a_split_reply_resumes_after_the_piece_that_failed(
    engine: Engine, sqlite_url: str, fake: FakeSlack
) -> None:
    paragraph = "word " * 600
    # The first piece goes through, the second fails once.
    fake.fail_next("chat.postMessage", None, Failure(status=503, error="service_unavailable"))
    settings = {"max_input_chars": 20_000}
    async with running(engine, sqlite_url, fake, provider=EchoProvider(), **settings) as slack:
        await slack.event(dm("\n\n".join(f"part {i} {paragraph.strip()}" for i in (1, 2, 3))))
        await settle(slack)
    assert [call.ok for call in fake.of("chat.postMessage")] == [True, False, True, True]
    assert [p.args["text"][:12] for p in fake.posts()] == [
        "echo: part 1",
        "part 2 word ",
        "part 3 word ",
    ]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
        ("payload=%7Bbroken", "application/x-www-form-urlencoded"),
    ],
)
async def test_a_signed_but_malformed_body_is_a_400_and_stores_nothing(
    engine: Engine, sqlite_url: str, fake: FakeSlack, body: str, content_type: str
) -> None:
    async with running(engine, sqlite_url, fake) as slack:
        headers = {**signed(body), "Content-Type": content_type}
        response = await slack.http.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 400
    assert "error" in response.json()
    assert slack.service.store.count_messages() == 0


async def test_an_error_that_may_have_posted_is_not_retried(
    engine: Engine, sqlite_url: str, fake: FakeSlack
) -> None:
    fake.fail_next("chat.postMessage", Failure(status=500, error="internal_error"))
    async with running(engine, sqlite_url, fake, provider=EchoProvider()) as slack:
        await slack.event(dm("hello"))
        await settle(slack)
    assert [call.ok for call in fake.of("chat.postMessage")] == [False]
    [reply] = [m for m in slack.service.store.messages(1) if m.direction == "out"]
    assert (reply.status, reply.error) == ("failed", "Slack refused the message: internal_error")


# -- text conversion -----------------------------------------------------------------------


def test_markdown_becomes_slack_mrkdwn() -> None:
    markdown = (
        "# Your plan\n"
        "**Fibra 300** costs *$25* & includes ~~nothing~~ everything.\n"
        "- see [pricing](https://example.com/p?a=1&b=2)\n"
        "* keep `a**b**c` and <tags>\n"
        "```\nx = 1 < 2\n**not bold**\n```"
    )
    assert to_mrkdwn(markdown) == (
        "*Your plan*\n"
        "*Fibra 300* costs _$25_ &amp; includes ~nothing~ everything.\n"
        "• see <https://example.com/p?a=1&amp;b=2|pricing>\n"
        "• keep `a**b**c` and &lt;tags&gt;\n"
        "```\nx = 1 &lt; 2\n**not bold**\n```"
    )


def test_long_text_is_split_at_breaks_and_code_blocks_stay_closed() -> None:
    words = " ".join(f"w{i}" for i in range(400))
    pieces = split_message(words, limit=100)
    assert all(len(piece) <= 100 for piece in pieces)
    assert " ".join(pieces) == words
    code = "```\n" + "\n".join(f"line {i}" for i in range(60)) + "\n```"
    pieces = split_message(code, limit=120)
    assert len(pieces) > 1
    assert all(piece.startswith("```") and piece.endswith("```") for piece in pieces)
    assert split_message("   ") == []


def test_slack_text_becomes_plain_text_for_the_agents() -> None:
    text = "<@U0BOT> hi <@U0ANA|ana>, see <https://x.io/a|the page> &amp; <mailto:a@b.co>"
    assert to_plain(text, bot_user_id="U0BOT") == "hi ana, see the page (https://x.io/a) & a@b.co"
