"""The staff desk in Slack, end to end: a WhatsApp customer asks for a person, staff take the
conversation in the staff channel, answer through Twilio, and hand it back to the bot.

Requests are signed as Slack and Twilio sign them; replies are checked on the fake Slack Web API
and the fake Twilio REST API.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import Engine, update

from bots.app import create_app
from bots.service import Service, build_service
from storage.models import Conversation, Escalation, utcnow
from storage.store import Store
from tests.conftest import make_settings
from tests.fake_slack import BOT_ID, BOT_USER_ID, TEAM_ID, TOKEN, Call, FakeSlack
from tests.fake_twilio import FakeTwilio
from tests.servers import serving
from tests.slack_requests import SECRET, callback, new_ts, signed
from tests.twilio_requests import ACCOUNT, PUBLIC, SENDER, inbound_form, sign
from tests.twilio_requests import TOKEN as TWILIO_TOKEN

STAFF = "C0STAFF"
ANA, BRUNO, MALLORY = "U0ANA", "U0BRUNO", "U0MALLORY"  # Ana and Bruno are staff
LUCIA = "whatsapp:+5215512345678"


@dataclass
class Desk:
    """The running app with Slack (staff channel) and WhatsApp (customers) enabled."""

    service: Service
    slack: FakeSlack
    twilio: FakeTwilio
    http: httpx.AsyncClient
    engine: Engine

    async def customer(self, body: str) -> None:
        form = inbound_form(body, sender=LUCIA, ProfileName="Lucía")
        response = await self.http.post(
            "/whatsapp/inbound",
            content=urlencode(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": sign(PUBLIC + "/whatsapp/inbound", form),
            },
        )
        assert response.status_code == 200, response.text
        await self.settle()

    async def click(self, user: str, action_id: str, escalation_id: int) -> httpx.Response:
        """A person presses one of the escalation's buttons (Slack's block_actions payload)."""
        ts = self.packet().args.get("ts") or self.staff_ts()
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM_ID, "domain": "frontdesk-test"},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
            "api_app_id": "A0FRONT",
            "token": "legacy-verification-token",
            "container": {"type": "message", "message_ts": ts, "channel_id": STAFF},
            "trigger_id": f"{time.time()}.trigger",
            "channel": {"id": STAFF, "name": "staff"},
            "message": {"type": "message", "ts": ts, "bot_id": BOT_ID, "text": "escalation"},
            "response_url": "https://hooks.slack.com/actions/T0FRONT/1/abc",
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "frontdesk_staff",
                    "value": str(escalation_id),
                    "type": "button",
                    "action_ts": str(time.time()),
                }
            ],
        }
        body = urlencode({"payload": json.dumps(payload)})
        headers = {**signed(body), "Content-Type": "application/x-www-form-urlencoded"}
        response = await self.http.post("/slack/events", content=body, headers=headers)
        assert response.status_code == 200, response.text
        await self.settle()
        return response

    async def thread_message(self, user: str, text: str, *, ts: str | None = None) -> str:
        """A person writes in the escalation's thread in the staff channel."""
        ts = ts or new_ts()
        event = {
            "type": "message", "channel": STAFF, "channel_type": "channel", "user": user,
            "text": text, "ts": ts, "event_ts": ts, "thread_ts": self.staff_ts(),
        }  # fmt: skip
        body = json.dumps(callback(event))
        response = await self.http.post("/slack/events", content=body, headers=signed(body))
        assert response.status_code == 200, response.text
        await self.settle()
        return ts

    async def settle(self) -> None:
        await asyncio.wait_for(self.service.switchboard.drain(), 10)

    def packet(self) -> Call:
        [post] = [
            c for c in self.slack.posts() if c.args.get("channel") == STAFF and "blocks" in c.args
        ]
        return post

    def staff_ts(self) -> str:
        [escalation] = self.service.store.open_escalations()
        assert escalation.staff_ref is not None
        return escalation.staff_ref

    def escalation(self) -> Escalation:
        [escalation] = self.service.store.escalations()
        return escalation

    def in_thread(self) -> list[str]:
        return [
            str(c.args["text"])
            for c in self.slack.posts()
            if c.args.get("channel") == STAFF and c.args.get("thread_ts")
        ]

    def ephemeral(self, user: str) -> list[str]:
        calls = self.slack.of("chat.postEphemeral")
        return [str(c.args["text"]) for c in calls if c.args.get("user") == user]

    def updates(self) -> list[str]:
        return [
            json.dumps(c.args.get("blocks"), ensure_ascii=False)
            for c in self.slack.of("chat.update")
        ]


@asynccontextmanager
async def desk(engine: Engine, sqlite_url: str, **settings: Any) -> AsyncIterator[Desk]:
    slack = await FakeSlack().start()
    slack.add_user(ANA, "Ana Souza")
    slack.add_user(BRUNO, "Bruno Lima")
    slack.add_user(MALLORY, "Mallory Black")
    slack.members[STAFF] = [ANA, BOT_USER_ID]
    twilio = await FakeTwilio(ACCOUNT, TWILIO_TOKEN).start()
    values: dict[str, Any] = {
        "slack_bot_token": TOKEN, "slack_signing_secret": SECRET,
        "slack_api_url": slack.api_url, "slack_send_interval_seconds": 0.0,
        "staff_slack_channel": STAFF, "staff_slack_users": BRUNO,
        "twilio_account_sid": ACCOUNT, "twilio_auth_token": TWILIO_TOKEN,
        "twilio_whatsapp_from": SENDER, "twilio_api_url": twilio.url, "public_url": PUBLIC,
        **settings,
    }  # fmt: skip
    service = build_service(make_settings(sqlite_url, **values), store=Store(engine))
    try:
        async with (
            serving(create_app(service=service)) as url,
            httpx.AsyncClient(base_url=url) as http,
        ):
            yield Desk(service=service, slack=slack, twilio=twilio, http=http, engine=engine)
    finally:
        await slack.close()
        await twilio.stop()


async def test_a_whatsapp_customer_is_taken_answered_and_handed_back_from_slack(
    engine: Engine, sqlite_url: str
) -> None:
    async with desk(engine, sqlite_url) as d:
        await d.customer("hola, quiero hablar con una persona")

        # One Spanish notice, and the packet in the staff channel with both buttons.
        [notice] = d.twilio.messages
        assert "persona de nuestro equipo" in notice.body and "minutos" in notice.body
        packet = d.packet()
        blocks = json.dumps(packet.args["blocks"], ensure_ascii=False)
        assert '"frontdesk_claim"' in blocks and '"frontdesk_resolve"' in blocks
        escalation = d.escalation()
        assert f'"value": "{escalation.id}"' in blocks
        assert "Lucía (whatsapp:+525512345678)" in blocks  # one identity per person

        # Someone outside the staff channel is refused, and nothing changes.
        await d.click(MALLORY, "frontdesk_claim", escalation.id or 0)
        assert d.ephemeral(MALLORY) == [
            "Only members of the staff channel can take or resolve conversations."
        ]
        assert d.escalation().status == "open" and d.updates() == []

        # Ana claims it: the message shows who has it; a second click changes nothing.
        await d.click(ANA, "frontdesk_claim", escalation.id or 0)
        await d.click(ANA, "frontdesk_claim", escalation.id or 0)
        assert d.escalation().claimed_by == "Ana"
        [update_] = d.updates()
        assert "Claimed by *Ana*" in update_ and "frontdesk_claim" not in update_
        assert d.ephemeral(ANA) == ["You already have this conversation."]
        conversation = d.service.store.conversation(escalation.conversation_id)
        assert conversation is not None and conversation.status == "with_human"

        # Ana's thread reply reaches Lucía through Twilio, signed; a note and Bruno's remark
        # stay internal.
        await d.thread_message(ANA, "Hola Lucía, soy Ana. ¿En qué te ayudo?")
        await d.thread_message(ANA, "Nota: revisar su factura de octubre")
        await d.thread_message(BRUNO, "la conozco, es clienta desde 2019")
        assert [m.body for m in d.twilio.messages[1:]] == [
            "Hola Lucía, soy Ana. ¿En qué te ayudo?\n— Ana"
        ]
        notes = d.service.store.notes(escalation.conversation_id)
        assert [(n.author_name, n.text) for n in notes] == [
            ("Ana", "Nota: revisar su factura de octubre"),
            ("Bruno", "la conozco, es clienta desde 2019"),
        ]
        staff_reply = [
            m for m in d.service.store.messages(escalation.conversation_id) if m.author == "staff"
        ]
        assert [(m.author_name, m.status) for m in staff_reply] == [("Ana", "sent")]

        # Lucía's next message appears in the thread; the bot stays silent.
        await d.customer("mi factura de octubre vino doble")
        assert d.in_thread()[-1] == ":speech_balloon: *Customer:* mi factura de octubre vino doble"
        assert len(d.twilio.messages) == 2

        # Resolve hands back: the message says so, and the bot answers the next message.
        await d.click(ANA, "frontdesk_resolve", escalation.id or 0)
        assert "Resolved by *Ana*" in d.updates()[-1]
        await d.customer("gracias, ¿cuál es el horario de atención?")
        assert len(d.twilio.messages) == 3 and not d.twilio.messages[2].body.endswith("— Ana")
        events = d.service.store.ownership_events(escalation.conversation_id)
        assert [(e.from_status, e.to_status, e.actor_name) for e in events] == [
            ("bot", "waiting_human", None),  # asked for a person before any desk took it
            ("waiting_human", "with_human", "Ana"),
            ("with_human", "bot", "Ana"),
        ]


async def test_a_slack_retry_of_a_thread_reply_sends_it_once(
    engine: Engine, sqlite_url: str
) -> None:
    async with desk(engine, sqlite_url) as d:
        await d.customer("quiero hablar con un humano")
        await d.click(ANA, "frontdesk_claim", d.escalation().id or 0)
        ts = await d.thread_message(ANA, "Ya estoy contigo")
        await d.thread_message(ANA, "Ya estoy contigo", ts=ts)  # Slack delivers it again
        assert [m.body for m in d.twilio.messages[1:]] == ["Ya estoy contigo\n— Ana"]


async def test_a_late_reply_outside_the_window_is_refused_and_the_holder_told(
    engine: Engine, sqlite_url: str
) -> None:
    async with desk(engine, sqlite_url) as d:
        await d.customer("quiero hablar con una persona, por favor")
        escalation = d.escalation()
        await d.click(ANA, "frontdesk_claim", escalation.id or 0)
        with engine.begin() as connection:
            connection.execute(
                update(Conversation)
                .where(Conversation.id == escalation.conversation_id)  # type: ignore[arg-type]
                .values(last_inbound_at=utcnow() - timedelta(hours=25))
            )
        await d.thread_message(ANA, "¿Sigues ahí?")
        assert len(d.twilio.messages) == 1  # only the notice: the late reply never went out
        [reply] = [
            m for m in d.service.store.messages(escalation.conversation_id) if m.author == "staff"
        ]
        assert reply.status == "failed" and "24-hour" in (reply.error or "")
        [told] = d.ephemeral(ANA)
        assert told.startswith(":warning: Your reply did not reach the customer: outside")


async def test_an_unclaimed_escalation_is_announced_again_once_per_interval(
    engine: Engine, sqlite_url: str
) -> None:
    async with desk(engine, sqlite_url) as d:
        await d.customer("quero falar com um atendente")
        with engine.begin() as connection:
            connection.execute(
                update(Escalation).values(created_at=utcnow() - timedelta(minutes=20))
            )
        ownership = d.service.switchboard.ownership
        assert len(await ownership.remind(unclaimed_minutes=15)) == 1
        assert await ownership.remind(unclaimed_minutes=15) == []  # announced already
        reminders = [c for c in d.slack.posts() if c.args.get("reply_broadcast")]
        [reminder] = reminders
        assert reminder.args["thread_ts"] == d.staff_ts()
        assert str(reminder.args["text"]).startswith(":alarm_clock: Still waiting for someone")


async def test_alerts_mode_keeps_every_thread_message_internal(
    engine: Engine, sqlite_url: str
) -> None:
    async with desk(engine, sqlite_url, staff_slack_mode="alerts") as d:
        await d.customer("quiero hablar con una persona")
        await d.click(ANA, "frontdesk_claim", d.escalation().id or 0)
        await d.thread_message(ANA, "Hola Lucía")
        assert len(d.twilio.messages) == 1
        assert [n.text for n in d.service.store.notes(d.escalation().conversation_id)] == [
            "Hola Lucía"
        ]


async def test_the_bots_own_thread_posts_are_not_taken_as_staff_notes(
    engine: Engine, sqlite_url: str
) -> None:
    async with desk(engine, sqlite_url) as d:
        await d.customer("quiero hablar con una persona")
        await d.click(ANA, "frontdesk_claim", d.escalation().id or 0)
        await d.customer("¿hola?")  # relayed: the bot posts it in the thread
        assert d.in_thread() == [":speech_balloon: *Customer:* ¿hola?"]
        # Slack sends the bot's own post back as an event; it is neither a note nor a reply.
        ts = new_ts()
        event = {
            "type": "message", "channel": STAFF, "user": BOT_USER_ID, "bot_id": BOT_ID,
            "text": ":speech_balloon: *Customer:* ¿hola?", "ts": ts, "thread_ts": d.staff_ts(),
        }  # fmt: skip
        body = json.dumps(callback(event))
        response = await d.http.post("/slack/events", content=body, headers=signed(body))
        assert response.status_code == 200
        await d.settle()
        assert d.service.store.notes(d.escalation().conversation_id) == []
        assert len(d.twilio.messages) == 1
