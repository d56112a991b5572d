"""Correctly signed but arbitrary payloads on every channel endpoint: never a 5xx, nothing
half-stored.

Hypothesis mutates real payloads (a Slack DM event, a block_actions payload, a Twilio incoming
message and status callback) field by field with values of any JSON type or any text, signs each
as the vendor would, and posts it to the app running on uvicorn on 127.0.0.1. A refused request
(4xx) stores nothing; an accepted one stores a whole message or none. Answers are held back (a
long burst window) so the run measures the edge, not the agents.
"""

from __future__ import annotations

import copy
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bots.app import create_app
from bots.service import Service, build_service
from storage.store import Store
from tests.background import in_background
from tests.conftest import make_settings
from tests.fake_slack import TEAM_ID, TOKEN, FakeSlack
from tests.fake_twilio import FakeTwilio
from tests.servers import serving
from tests.slack_requests import ANA, SECRET, callback, dm, signed
from tests.twilio_requests import ACCOUNT, MARIA, PUBLIC, SENDER, inbound_form, sign
from tests.twilio_requests import TOKEN as TWILIO_TOKEN

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DELETE = object()

SLACK_WORDS = ["", "U0ANA", "D0ANA", "C0GENERAL", "message", "app_mention", "im", "file_share",
               "event_callback", "block_actions", "view_submission", "1700000000.000100", "x" * 70,
               "٣", "１", "\x00", "<@U0BOT>", "&amp;"]  # fmt: skip
KEYS = ["type", "id", "user", "channel", "team", "text", "ts", "event", "actions",
        "action_id", "callback_id", "view", "message", "files", "authorizations",
        "response_urls", "item"]  # fmt: skip
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(SLACK_WORDS)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)

EVENT_PATHS = [
    ("event",), ("event", "type"), ("event", "subtype"), ("event", "user"), ("event", "channel"),
    ("event", "text"), ("event", "ts"), ("event", "thread_ts"), ("event", "files"),
    ("event", "files", 0), ("event", "files", 0, "mimetype"), ("event", "files", 0, "url_private"),
    ("event", "channel_type"), ("event", "bot_id"), ("event", "message"), ("event", "item"),
    ("event", "team"), ("event", "user_team"), ("event", "function"), ("authorizations",),
    ("authorizations", 0), ("authorizations", 0, "team_id"), ("authorizations", 0, "enterprise"),
    ("type",), ("team_id",), ("enterprise_id",), ("user",), ("channel",), ("team",),
    ("enterprise",), ("actions",), ("view",), ("response_urls",), ("is_ext_shared_channel",),
    ("challenge",),
]  # fmt: skip
ACTION_PATHS = [
    ("type",), ("actions",), ("actions", 0), ("actions", 0, "action_id"), ("actions", 0, "value"),
    ("user",), ("user", "id"), ("team",), ("team", "id"), ("channel",), ("container",),
    ("message",), ("message", "user"), ("view",), ("view", "callback_id"),
    ("view", "app_installed_team_id"), ("response_url",), ("response_urls",), ("callback_id",),
    ("action_id",), ("function_data",), ("enterprise",), ("trigger_id",), ("event",),
]  # fmt: skip
INTERACTIVE_TYPES = ["block_actions", "view_submission", "view_closed", "shortcut",
                     "message_action", "interactive_message", "block_suggestion",
                     "dialog_submission", "workflow_step_edit"]  # fmt: skip


def edits(paths: list[tuple[Any, ...]]) -> st.SearchStrategy[list[tuple[tuple[Any, ...], Any]]]:
    """Up to three (path, new value or DELETE) changes."""
    change = st.tuples(st.sampled_from(paths), json_values | st.just(DELETE))
    return st.lists(change, min_size=1, max_size=3)


def apply(document: dict[str, Any], changes: list[tuple[tuple[Any, ...], Any]]) -> Any:
    """`document` with each change made where its path still leads somewhere."""
    result: Any = copy.deepcopy(document)
    for path, value in changes:
        node = result
        for step in path[:-1]:
            node = _child(node, step)
        last = path[-1]
        if isinstance(node, dict) and isinstance(last, str):
            if value is DELETE:
                node.pop(last, None)
            else:
                node[last] = value
        elif isinstance(node, list) and isinstance(last, int) and last < len(node):
            if value is DELETE:
                del node[last]
            else:
                node[last] = value
    return result


def _child(node: Any, step: Any) -> Any:
    if isinstance(node, dict) and isinstance(step, str):
        return node.get(step)
    if isinstance(node, list) and isinstance(step, int) and step < len(node):
        return node[step]
    return None


def block_actions() -> dict[str, Any]:
    return {
        "type": "block_actions", "team": {"id": TEAM_ID, "domain": "front"},
        "user": {"id": ANA, "team_id": TEAM_ID}, "api_app_id": "A0FRONT", "token": "t",
        "container": {"type": "message", "channel_id": "C0STAFF", "message_ts": "1.2"},
        "trigger_id": "1.2.3", "channel": {"id": "C0STAFF", "name": "staff"},
        "message": {"type": "message", "user": "U0BOT", "ts": "1.2", "text": "escalated"},
        "response_url": "https://hooks.slack.com/actions/T/1/x",
        "actions": [{"action_id": "frontdesk_claim", "block_id": "b", "type": "button",
                     "value": "1", "action_ts": "1.3"}],
    }  # fmt: skip


class Consistency:
    """Counts before a request, and the checks after it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # Inbound only: on a long run the held-back answers start after the burst window.
        self.before = store.count_messages(direction="in")

    def check(self, response: httpx.Response) -> None:
        event(f"HTTP {response.status_code}")  # shown by --hypothesis-show-statistics
        assert response.status_code < 500, response.text
        after = self.store.count_messages(direction="in")
        if response.status_code >= 400:
            assert after == self.before, response.text
            assert "Traceback" not in response.text
        else:
            assert after - self.before in (0, 1)
        # Every stored message belongs to a conversation with a contact: nothing half-stored.
        listed = self.store.list_conversations(limit=10_000)
        inbound = [m for c, _ in listed for m in self.store.messages(c.id or 0)]
        assert sum(m.direction == "in" for m in inbound) == after


@pytest.fixture
def slack_app(engine: Engine, sqlite_url: str) -> Iterator[tuple[Service, httpx.Client]]:
    """frontdesk with Slack on a background loop, answers held back, and a blocking client."""

    async def start(stack: AsyncExitStack) -> tuple[Service, str]:
        fake = await FakeSlack().start()
        stack.push_async_callback(fake.close)
        fake.add_user(ANA, "Ana Smith", locale="en-US", tz="America/New_York")
        values = {"slack_bot_token": TOKEN, "slack_signing_secret": SECRET,
                  "slack_api_url": fake.api_url, "debounce_seconds": 30.0}  # fmt: skip
        service = build_service(make_settings(sqlite_url, **values), store=Store(engine))
        url = await stack.enter_async_context(serving(create_app(service=service)))
        return service, url

    with in_background(start) as (_, (service, url)), httpx.Client(base_url=url) as client:
        yield service, client


@pytest.fixture
def whatsapp_app(engine: Engine, sqlite_url: str) -> Iterator[tuple[Service, httpx.Client]]:
    """frontdesk with WhatsApp on a background loop, answers held back, and a blocking client."""

    async def start(stack: AsyncExitStack) -> tuple[Service, str]:
        fake = await FakeTwilio(account_sid=ACCOUNT, auth_token=TWILIO_TOKEN).start()
        stack.push_async_callback(fake.stop)
        values = {"twilio_account_sid": ACCOUNT, "twilio_auth_token": TWILIO_TOKEN,
                  "twilio_whatsapp_from": SENDER, "twilio_api_url": fake.url,
                  "public_url": PUBLIC, "debounce_seconds": 30.0}  # fmt: skip
        service = build_service(make_settings(sqlite_url, **values), store=Store(engine))
        url = await stack.enter_async_context(serving(create_app(service=service)))
        return service, url

    with in_background(start) as (_, (service, url)), httpx.Client(base_url=url) as client:
        yield service, client


CONTENT_TYPES = ["application/json", "application/json; charset=utf-8",
                 "application/x-www-form-urlencoded", "text/plain"]  # fmt: skip


@FUZZ
@given(
    changes=edits(EVENT_PATHS),
    whole=st.none() | json_values,
    content_type=st.sampled_from(CONTENT_TYPES),
)
def test_signed_slack_events_of_any_shape_never_get_a_5xx(
    slack_app: tuple[Service, httpx.Client],
    changes: list[tuple[tuple[Any, ...], Any]],
    whole: Any,
    content_type: str,
) -> None:
    service, client = slack_app
    document = whole if whole is not None else apply(callback(dm("hello there")), changes)
    body = json.dumps(document)
    check = Consistency(service.store)
    headers = {**signed(body), "Content-Type": content_type}
    check.check(client.post("/slack/events", content=body, headers=headers))


@FUZZ
@given(
    changes=edits(ACTION_PATHS),
    kind=st.sampled_from(INTERACTIVE_TYPES),
    extra=st.lists(
        st.tuples(
            st.sampled_from(["payload", "command", "text", "ssl_check"]), st.text(max_size=20)
        ),
        max_size=2,
    ),
)
def test_signed_interactivity_payloads_of_any_shape_never_get_a_5xx(
    slack_app: tuple[Service, httpx.Client],
    changes: list[tuple[tuple[Any, ...], Any]],
    kind: str,
    extra: list[tuple[str, str]],
) -> None:
    service, client = slack_app
    document = apply({**block_actions(), "type": kind}, changes)
    body = (
        "payload="
        + quote(json.dumps(document))
        + "".join(f"&{quote(name)}={quote(value)}" for name, value in extra)
    )
    check = Consistency(service.store)
    headers = {**signed(body), "Content-Type": "application/x-www-form-urlencoded"}
    check.check(client.post("/slack/events", content=body, headers=headers))


TWILIO_WORDS = ["", "0", "1", "3", "10", "11", "999", "٣", "３", "-1", "1e3", " 2",
                "whatsapp:", "whatsapp:+", "whatsapp:+٥٢١٥٥١٢٣٤٥٦٧٨", MARIA, "whatsapp:BR.12",
                "SM" + "a" * 32, "SM" + "a" * 31, "AC" + "0" * 32, ACCOUNT,
                "https://api.twilio.com/x",
                "https://evil.example/x", "http://api.twilio.com/x", "image/jpeg", "x" * 300,
                "-91.5", "45.0", "nan", "inf"]  # fmt: skip
twilio_values = st.text(max_size=30) | st.sampled_from(TWILIO_WORDS) | st.just(DELETE)
INBOUND_FIELDS = ["MessageSid", "SmsMessageSid", "SmsSid", "AccountSid", "From", "To", "WaId",
                  "Body", "NumMedia", "MediaUrl0", "MediaContentType0", "MediaUrl1",
                  "ProfileName", "Latitude", "Longitude", "Address", "Label", "ButtonText",
                  "ButtonPayload", "MessageType", "Unknown"]  # fmt: skip


def mutated(form: dict[str, str], changes: list[tuple[str, Any]]) -> dict[str, str]:
    result = dict(form)
    for name, value in changes:
        if value is DELETE:
            result.pop(name, None)
        else:
            result[name] = value
    return result


@FUZZ
@given(changes=st.lists(st.tuples(st.sampled_from(INBOUND_FIELDS), twilio_values), max_size=4))
def test_signed_twilio_messages_of_any_shape_never_get_a_5xx(
    whatsapp_app: tuple[Service, httpx.Client], changes: list[tuple[str, Any]]
) -> None:
    service, client = whatsapp_app
    form = mutated(inbound_form("hola", NumMedia="0"), changes)
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Twilio-Signature": sign(PUBLIC + "/whatsapp/inbound", form)}  # fmt: skip
    check = Consistency(service.store)
    check.check(client.post("/whatsapp/inbound", content=urlencode(form), headers=headers))


STATUS_FIELDS = ["MessageSid", "SmsSid", "MessageStatus", "SmsStatus", "AccountSid",
                 "ErrorCode", "From", "To"]  # fmt: skip
QUERY_FIELDS = ["message", "part", "parts", "first", "template"]
big_numbers = st.integers(min_value=-(2**80), max_value=2**80).map(str)


@FUZZ
@given(
    changes=st.lists(st.tuples(st.sampled_from(STATUS_FIELDS), twilio_values), max_size=3),
    query_changes=st.lists(
        st.tuples(st.sampled_from(QUERY_FIELDS), twilio_values | big_numbers), max_size=3
    ),
)
def test_signed_twilio_status_callbacks_of_any_shape_never_get_a_5xx(
    whatsapp_app: tuple[Service, httpx.Client],
    changes: list[tuple[str, Any]],
    query_changes: list[tuple[str, Any]],
) -> None:
    service, client = whatsapp_app
    sid = f"SM{uuid.uuid4().hex}"
    form = mutated({"MessageSid": sid, "SmsSid": sid, "MessageStatus": "delivered",
                    "SmsStatus": "delivered", "AccountSid": ACCOUNT, "From": SENDER, "To": MARIA,
                    "ApiVersion": "2010-04-01"}, changes)  # fmt: skip
    query = urlencode(mutated({"message": "1", "part": "1", "parts": "1"}, query_changes))
    path = f"/whatsapp/status?{query}"
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Twilio-Signature": sign(PUBLIC + path, form)}  # fmt: skip
    check = Consistency(service.store)
    check.check(client.post(path, content=urlencode(form), headers=headers))
