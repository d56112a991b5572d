"""Slack end to end, set-up and conversations: signed requests to a real server."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import Engine

from bots.app import create_app
from bots.service import build_service
from storage.store import Store
from tests.conftest import make_settings
from tests.fake_slack import BOT_ID, BOT_USER_ID, TEAM_ID, TOKEN, Failure, FakeSlack
from tests.models import EchoProvider
from tests.slack_requests import (
    ANA,
    DM,
    GENERAL,
    callback,
    channel_message,
    dm,
    mention,
    new_ts,
    running,
    settle,
    signed,
)

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
