"""Migrations and the store's guarantees, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from storage.db import make_engine
from storage.migrate import _config, pending_revisions, upgrade
from storage.models import utcnow
from storage.records import InboundRecord
from storage.store import Store

TABLES = {
    "contacts", "conversations", "messages", "outbox", "handoffs", "escalations", "run_steps",
    "staff_members", "ownership_events", "staff_notes", "saved_replies", "staff_inputs",
}  # fmt: skip


@pytest.fixture
def migrated(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _record(message_id: str, *, sender: str = "whatsapp:+5215512345678") -> InboundRecord:
    return InboundRecord(
        channel="whatsapp",
        channel_message_id=message_id,
        sender=sender,
        thread_key=sender,
        text="hola",
        received_at=utcnow(),
        phone=sender.removeprefix("whatsapp:"),
        sender_name="Ana",
    )


def test_migrations_build_every_table_on_an_empty_database(database_url: str) -> None:
    engine = make_engine(database_url)
    assert pending_revisions(engine)
    upgrade(engine)
    assert not pending_revisions(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
    upgrade(engine)  # a second upgrade is a no-op
    engine.dispose()


def test_the_migrations_build_exactly_what_the_models_describe(migrated: Engine) -> None:
    with migrated.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []


def test_sqlite_runs_in_wal_mode(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    engine.dispose()


def test_same_channel_message_id_is_stored_once(migrated: Engine) -> None:
    store = Store(migrated)
    first = store.store_inbound(_record("SM1"))
    second = store.store_inbound(_record("SM1"))
    assert not first.duplicate and second.duplicate
    assert second.message_id == first.message_id
    assert store.count_messages() == 1


def test_concurrent_duplicates_and_new_threads_do_not_double(migrated: Engine) -> None:
    store = Store(migrated)
    # 30 deliveries of 5 messages from 3 senders (each message always from the same sender).
    records = [_record(f"SM{i % 5}", sender=f"whatsapp:+52155{i % 5 % 3}") for i in range(30)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(store.store_inbound, records))
    assert sum(not r.duplicate for r in results) == 5
    assert store.count_messages() == 5
    # One open conversation per thread, however the threads raced.
    assert len(store.list_conversations()) == 3


def test_contact_keeps_identity_name_and_phone(migrated: Engine) -> None:
    store = Store(migrated)
    stored = store.store_inbound(_record("SM9"))
    conversation, contact = store.conversation_and_contact(stored.conversation_id)
    assert (contact.external_id, contact.phone, contact.display_name) == (
        "whatsapp:+5215512345678",
        "+5215512345678",
        "Ana",
    )
    assert conversation.status == "bot" and conversation.last_inbound_at is not None


def test_migrations_accept_urls_with_encoded_passwords() -> None:
    engine = make_engine("postgresql+psycopg://frontdesk:S3cret%40PW@127.0.0.1:1/frontdesk")
    url = _config(engine).get_main_option("sqlalchemy.url")
    assert url == "postgresql+psycopg://frontdesk:S3cret%40PW@127.0.0.1:1/frontdesk"
    engine.dispose()
