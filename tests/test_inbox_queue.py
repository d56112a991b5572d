"""The inbox's reads, on SQLite and on PostgreSQL: the queue (filters, views, order, holder and
waiting time), the transcript's change mark, seeding saved replies; and the sign-in throttle and
Origin rules the inbox's forms rest on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Engine
from starlette.requests import Request

from bots.inbox.guard import bad_token, cross_site, origin_of
from bots.inbox.saved_replies import DEFAULTS, personal
from bots.inbox.throttle import SignInThrottle
from bots.service import Service, build_service
from storage.queue import QueueFilter
from storage.staff import Actor
from storage.store import Store
from tests.channels import RecordingSender, inbound
from tests.conftest import make_settings
from tests.inbox import customer_asks_for_person

ANA = Actor(ref="staff:1", name="Ana Souza")
MARIA = "test:+5215512345678"
JOAO = "test:+5511987654321"
LUCAS = "test:+5215587654321"


@pytest.fixture
async def desk(any_engine: Engine, database_url: str) -> AsyncIterator[Service]:
    """A running switchboard (offline model, `test` channel) on each database."""
    service = build_service(make_settings(database_url), store=Store(any_engine))
    service.switchboard.add_sender(RecordingSender())
    await service.switchboard.start(resume=False)
    yield service
    await service.close()


async def test_the_queue_filters_by_owner_channel_desk_language_and_holder(desk: Service):
    store = desk.store
    maria = await customer_asks_for_person(desk, sender=MARIA)
    joao = await customer_asks_for_person(desk, sender=JOAO, text="quero falar com um atendente")
    await desk.switchboard.receive(
        inbound("quiero ver mi factura, mi cliente es C-1001", sender=LUCAS, phone="+5215587654321")
    )
    await desk.switchboard.drain()
    lucas = store.latest_conversation_id("test", LUCAS)
    assert lucas is not None
    escalation = store.latest_escalation(maria)
    assert escalation is not None and escalation.id is not None
    assert (await desk.switchboard.ownership.claim(escalation.id, ANA)).won

    def ids(**wanted: object) -> list[int]:
        return [row.conversation_id for row in store.inbox_queue(QueueFilter(**wanted))]  # type: ignore[arg-type]

    assert ids() == [maria, lucas, joao]  # the claim is María's newest activity
    assert ids(status="waiting_human") == [joao]
    assert ids(status="escalated") == [maria, joao]
    assert ids(holder_ref=ANA.ref) == [maria]
    assert ids(holder_ref="staff:99") == []
    assert ids(language="pt") == [joao]
    assert ids(desk="billing") == [lucas]
    assert ids(channel="whatsapp") == []
    assert ids(limit=1) == [maria]
    assert store.inbox_counts(ANA.ref) == {"unclaimed": 1, "mine": 1}

    rows = {row.conversation_id: row for row in store.inbox_queue(QueueFilter())}
    held, waiting, bot = rows[maria], rows[joao], rows[lucas]
    assert (held.status, held.holder, held.holder_ref) == ("with_human", "Ana Souza", ANA.ref)
    assert held.contact_number == "+5215512345678"
    assert waiting.holder is None and waiting.escalated_at is not None
    assert waiting.reason == "customer asked for a person"
    assert waiting.last_author == "system" and waiting.last_text
    assert bot.escalated_at is None and bot.last_author == "agent" and bot.desk == "billing"
    assert bot.activity_at.tzinfo is not None


async def test_the_transcript_mark_changes_with_messages_notes_and_owner(desk: Service):
    store = desk.store
    conversation_id = await customer_asks_for_person(desk, sender=MARIA)
    marks = [store.transcript_mark(conversation_id)]
    assert marks[0] is not None and store.transcript_mark(conversation_id + 1000) is None
    store.add_note(conversation_id, ANA, "una nota", source="inbox")
    marks.append(store.transcript_mark(conversation_id))
    escalation = store.latest_escalation(conversation_id)
    assert escalation is not None and escalation.id is not None
    await desk.switchboard.ownership.claim(escalation.id, ANA)
    marks.append(store.transcript_mark(conversation_id))
    await desk.switchboard.ownership.reply(conversation_id, ANA, "hola", key="k1")
    await desk.switchboard.drain()
    marks.append(store.transcript_mark(conversation_id))
    assert len(set(marks)) == len(marks)
    assert store.transcript_mark(conversation_id) == marks[-1]


def test_saved_replies_are_seeded_once_and_made_personal(any_engine: Engine):
    store = Store(any_engine)
    assert store.seed_saved_replies(DEFAULTS) == len(DEFAULTS)
    assert store.seed_saved_replies(DEFAULTS) == 0
    assert {reply.language for reply in store.saved_replies()} == {"en", "es", "pt"}
    assert personal("Hola {name}, soy {me}.", customer="María González", me="Ana") == (
        "Hola María, soy Ana."
    )
    assert personal("Hola {name}, soy {me}.", customer=None, me="Ana") == "Hola, soy Ana."


def test_the_throttle_counts_failures_per_account_and_address_within_a_window():
    now = [1000.0]
    throttle = SignInThrottle(
        account_failures=2, address_failures=3, window_seconds=60, max_keys=4, clock=lambda: now[0]
    )
    throttle.failed("Ana@Example.com", "10.0.0.1")
    assert throttle.wait_seconds("ana@example.com", "10.0.0.2") == 0
    throttle.failed("ana@example.com ", "10.0.0.2")
    assert throttle.wait_seconds("ana@example.com", "10.0.0.9") == 60
    now[0] += 30
    assert throttle.wait_seconds("ana@example.com", "10.0.0.9") == 30
    throttle.failed("bruno@example.com", "10.0.0.2")
    throttle.failed("carla@example.com", "10.0.0.2")
    assert throttle.wait_seconds("dora@example.com", "10.0.0.2") == 30  # the oldest of three
    now[0] += 31
    assert throttle.wait_seconds("ana@example.com", "10.0.0.1") == 0
    throttle.failed("ana@example.com", "10.0.0.5")
    throttle.failed("ana@example.com", "10.0.0.5")
    throttle.succeeded("ANA@example.com")
    assert throttle.wait_seconds("ana@example.com", "10.0.0.6") == 0
    for number in range(10):  # memory stays bounded
        throttle.failed(f"user{number}@example.com", f"10.1.0.{number}")
    assert len(throttle._failures) <= 4


def _request(headers: dict[str, str], *, scheme: str = "http") -> Request:
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    return Request(
        {"type": "http", "method": "POST", "scheme": scheme, "path": "/", "headers": raw}
    )


def test_same_origin_means_this_host_or_the_public_url():
    public = origin_of("https://frontdesk.example.com/")
    assert public == "https://frontdesk.example.com"
    here = {"Host": "127.0.0.1:8000"}
    assert cross_site(_request({**here, "Origin": "http://127.0.0.1:8000"}), None) is None
    assert cross_site(_request({**here, "Origin": "http://127.0.0.1:8001"}), None)
    assert cross_site(_request({**here, "Referer": "http://127.0.0.1:8000/inbox"}), None) is None
    assert cross_site(_request({**here, "Origin": "https://frontdesk.example.com"}), public) is None
    assert cross_site(_request({**here, "Origin": "https://frontdesk.example.com"}), None)
    # Behind a TLS proxy the app sees http and the proxy's Host; the browser says https.
    proxied = {"Host": "frontdesk.example.com", "Origin": "https://frontdesk.example.com"}
    assert cross_site(_request(proxied), None) is None
    assert cross_site(_request({"Host": "[::1]:8000", "Origin": "http://[::1]:8000"}), None) is None
    assert "no Origin or Referer" in (cross_site(_request(here), None) or "")
    assert cross_site(_request({**here, "Origin": "null"}), None)
    assert origin_of("javascript:alert(1)") is None and origin_of("http://") is None
    assert bad_token("abc", "abc") is None
    assert bad_token("abc", None) and bad_token("abc", "abd")
