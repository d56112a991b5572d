"""Signed but malformed Slack requests: each gets a 400 with a one-line reason and one log line,
stores nothing, and never shows a traceback. (Each used to be a 500.)"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import Engine

from tests.fake_slack import TEAM_ID, FakeSlack
from tests.slack_requests import ANA, callback, dm, running, settle, signed

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = await FakeSlack().start()
    slack.add_user(ANA, "Ana Smith", locale="en-US", tz="America/New_York")
    yield slack
    await slack.close()


def with_event(**fields: Any) -> dict[str, Any]:
    """A DM event callback with some of its event's fields replaced."""
    return callback({**dm("hello"), **fields})


def block_actions(**fields: Any) -> dict[str, Any]:
    payload = {"type": "block_actions", "team": {"id": TEAM_ID}, "user": {"id": ANA},
               "api_app_id": "A0FRONT", "container": {"type": "message"}, "trigger_id": "1.2.3",
               "actions": [{"action_id": "frontdesk_claim", "value": "1"}]}  # fmt: skip
    return {**payload, **fields}


JSON_CASES = {
    "event is a list": {**callback(dm("hi")), "event": [dm("hi")]},
    "event is a string": {**callback(dm("hi")), "event": "message"},
    "event is null": {**callback(dm("hi")), "event": None},
    "event is a number": {**callback(dm("hi")), "event": 42},
    "event.text is a list": with_event(text=["hi"]),
    "event.text is an object": with_event(text={"t": "hi"}),
    "event.user is a list": with_event(user=["U0ANA"]),
    "event.user is a number": with_event(user=7),
    "event.channel is a list": with_event(channel=["D0ANA"]),
    "event.channel is an object": with_event(channel={"id": 1}),
    "event.subtype is a list": with_event(subtype=["file_share"]),
    "event.subtype is a number": with_event(subtype=1),
    "event.files is a string": with_event(subtype="file_share", files="report.pdf"),
    "event.files holds numbers": with_event(subtype="file_share", files=[1, 2]),
    "event.files[0].mimetype is a list": with_event(files=[{"mimetype": ["image/png"]}]),
    "authorizations is a string": {**callback(dm("hi")), "authorizations": "T0FRONT"},
    "authorizations holds a string": {**callback(dm("hi")), "authorizations": ["T0FRONT"]},
    "event.user is 100,000 characters": with_event(user="U" * 100_000),
    "event.ts is not a Slack timestamp": with_event(ts="yesterday"),
}


async def _post(slack: Any, body: str, content_type: str) -> Any:
    headers = {**signed(body), "Content-Type": content_type}
    return await slack.http.post("/slack/events", content=body, headers=headers)


def _assert_refused(response: Any, caplog: pytest.LogCaptureFixture, slack: Any) -> str:
    assert response.status_code == 400, response.text
    reason = response.json()["error"]
    assert reason and "\n" not in reason and "Traceback" not in response.text
    lines = [r.getMessage() for r in caplog.records if r.name == "bots.slack.adapter"]
    assert lines == [f"Slack request rejected: {reason}"]
    assert slack.service.store.count_messages() == 0
    return str(reason)


@pytest.mark.parametrize("case", list(JSON_CASES))
async def test_signed_event_of_the_wrong_shape_is_a_400(
    engine: Engine, sqlite_url: str, fake: FakeSlack, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    async with running(engine, sqlite_url, fake) as slack:
        caplog.set_level(logging.WARNING, logger="bots.slack.adapter")
        response = await _post(slack, json.dumps(JSON_CASES[case]), "application/json")
        await settle(slack)
        _assert_refused(response, caplog, slack)
    assert fake.posts() == []


async def test_a_body_nested_100000_deep_is_refused_without_recursion(
    engine: Engine, sqlite_url: str, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    deep = '{"type": "event_callback", "event": ' + "[" * 100_000 + "]" * 100_000 + "}"
    form = "payload=" + quote('{"type": "block_actions", "x": ' + "{" * 50_000)
    async with running(engine, sqlite_url, fake) as slack:
        caplog.set_level(logging.WARNING, logger="bots.slack.adapter")
        response = await _post(slack, deep, "application/json")
        assert _assert_refused(response, caplog, slack) == "JSON nested deeper than 64 levels"
        caplog.clear()
        response = await _post(slack, form, FORM)
        assert _assert_refused(response, caplog, slack) == "JSON nested deeper than 64 levels"


@pytest.mark.parametrize(
    "body",
    [
        "payload=" + quote(json.dumps(block_actions(actions=[]))),
        "payload=" + quote(json.dumps(block_actions(actions=None))),
        "payload=" + quote(json.dumps(block_actions(view=None, type="view_submission"))),
        # The same field twice: Bolt reads the last one, a check of the first would check another.
        "payload=" + quote(json.dumps(block_actions())) + "&payload=" + quote('{"event": []}'),
        "command=%2Fhelp&text=a&text=b",
    ],
    ids=["actions empty", "actions null", "view null", "payload repeated", "command field twice"],
)
async def test_signed_interactivity_of_the_wrong_shape_is_a_400(
    engine: Engine, sqlite_url: str, fake: FakeSlack, caplog: pytest.LogCaptureFixture, body: str
) -> None:
    async with running(engine, sqlite_url, fake) as slack:
        caplog.set_level(logging.WARNING, logger="bots.slack.adapter")
        response = await _post(slack, body, FORM)
        _assert_refused(response, caplog, slack)


async def test_a_form_body_starting_with_a_brace_is_read_as_bolt_reads_it(
    engine: Engine, sqlite_url: str, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    # Bolt parses a body that starts with "{" as JSON whatever its Content-Type says.
    body = json.dumps({**callback(dm("hi")), "event": []})
    async with running(engine, sqlite_url, fake) as slack:
        caplog.set_level(logging.WARNING, logger="bots.slack.adapter")
        _assert_refused(await _post(slack, body, FORM), caplog, slack)


async def test_text_is_stored_whole_up_to_the_cap_and_refused_beyond(
    engine: Engine, sqlite_url: str, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    at_cap = "a" * 40_000
    async with running(engine, sqlite_url, fake, debounce_seconds=10) as slack:
        caplog.set_level(logging.WARNING, logger="bots.slack.adapter")
        response = await _post(slack, json.dumps(callback(dm(at_cap + "a"))), "application/json")
        assert _assert_refused(response, caplog, slack) == (
            "event.text: text is longer than 40000 characters"
        )
        await slack.event(dm(at_cap))
        [(conversation, _)] = slack.service.store.list_conversations(channel="slack")
        [stored] = slack.service.store.messages(conversation.id or 0)
    assert stored.text == at_cap


async def test_unknown_event_types_and_fields_are_still_acknowledged(
    engine: Engine, sqlite_url: str, fake: FakeSlack
) -> None:
    # Slack adds event types and fields without notice; only the fields read are checked.
    future = {"type": "brand_new_event", "user": {"id": ANA, "shiny": [1, 2]}, "anything": {}}
    async with running(engine, sqlite_url, fake) as slack:
        await slack.event(future)
        await slack.event({**dm("hello"), "new_field": {"nested": [None]}})
        await settle(slack)
        assert slack.service.store.count_messages(direction="in") == 1
