"""Slack replies: retries, failures, splitting, restarts, and how text is converted."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from bots.slack.formatting import split_message, to_mrkdwn, to_plain
from tests.fake_slack import Failure, FakeSlack
from tests.models import EchoProvider
from tests.slack_requests import (
    DM,
    dm,
    mention,
    running,
    settle,
    signed,
)

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
