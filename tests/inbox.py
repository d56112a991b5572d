"""Helpers for the web inbox tests: staff accounts, a staff member's HTTP client that signs in
and sends forms as a browser would, and customers who ask for a person."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
from sqlalchemy import Engine

from bots.app import create_app
from bots.inbox.passwords import hash_password
from bots.service import Service, build_service
from handoffs.channels import InboundMessage
from storage.models import StaffMember
from storage.store import Store
from tests.channels import RecordingSender, inbound
from tests.conftest import make_settings
from tests.servers import serving
from tests.waiting import wait_until

PUBLIC_URL = "https://frontdesk.example.com"
ANA = ("ana@example.com", "Ana Souza", "ana-password-1")
BRUNO = ("bruno@example.com", "Bruno Díaz", "bruno-password-1")

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_KEY = re.compile(r'name="key" value="([^"]+)"')
_ESCALATION = re.compile(r'name="escalation_id" value="([^"]+)"')


def add_staff(service: Service, who: tuple[str, str, str]) -> StaffMember:
    """Create an inbox account for `who` = (email, name, password)."""
    email, name, password = who
    return service.store.add_staff(
        email, name, password_hash=hash_password(password), slack_user_id=None
    )


def field(pattern: re.Pattern[str], html: str) -> str:
    """The first value a form field pattern finds in a page."""
    found = pattern.search(html)
    assert found is not None, f"no {pattern.pattern} in the page"
    return found.group(1)


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    return field(_CSRF, html)


class StaffClient:
    """One staff member's browser, as far as HTTP goes: cookies, CSRF tokens, Origin."""

    def __init__(self, base_url: str, *, origin: str | None = None) -> None:
        self.base_url = base_url
        self.origin = origin or base_url
        self.http = httpx.AsyncClient(base_url=base_url, follow_redirects=False, timeout=10)

    async def close(self) -> None:
        await self.http.aclose()

    async def sign_in(
        self, who: tuple[str, str, str], *, password: str | None = None
    ) -> httpx.Response:
        """Open the sign-in page and send it; the response of the POST."""
        page = await self.http.get("/inbox/sign-in")
        assert page.status_code == 200, page.text
        email, _, right = who
        return await self.http.post(
            "/inbox/sign-in",
            data={
                "csrf_token": field(_CSRF, page.text),
                "email": email,
                "password": right if password is None else password,
                "next": "/inbox",
            },
            headers={"Origin": self.origin},
        )

    async def page(self, path: str) -> httpx.Response:
        response = await self.http.get(path)
        assert response.status_code == 200, (response.status_code, response.text[:500])
        return response

    async def post_form(
        self,
        path: str,
        page_html: str,
        data: dict[str, Any],
        *,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST `data` with the CSRF token (and one-time key) of `page_html`, from our Origin."""
        values = {"csrf_token": field(_CSRF, page_html), **data}
        return await self.http.post(
            path, data=values, headers={"Origin": self.origin, **(headers or {})}
        )

    async def act(self, conversation_id: int, action: str, **data: Any) -> httpx.Response:
        """Open the conversation page and send one of its forms (claim, reply, note, resolve)."""
        page = await self.page(f"/inbox/conversations/{conversation_id}")
        values: dict[str, Any] = dict(data)
        if action == "claim":
            values.setdefault("escalation_id", field(_ESCALATION, page.text))
        if action in ("reply", "note"):
            values.setdefault("key", field(_KEY, page.text))
        return await self.post_form(
            f"/inbox/conversations/{conversation_id}/{action}", page.text, values
        )


async def customer_asks_for_person(
    service: Service,
    *,
    sender: str = "test:+5215512345678",
    text: str = "quiero hablar con una persona",
    name: str | None = None,
) -> int:
    """A `test` channel customer asks for a person (the offline model escalates); returns the
    conversation id once it waits for staff."""
    stored = await service.switchboard.receive(customer(text, sender=sender, name=name))
    conversation_id = stored.conversation_id

    def waiting() -> bool:
        return service.store.status(conversation_id) == "waiting_human"

    await wait_until(waiting, what=f"conversation {conversation_id} to wait for a person")
    return conversation_id


def customer(text: str, *, sender: str, name: str | None = None) -> InboundMessage:
    """A message from a `test` channel customer whose number is in `sender`."""
    return replace(inbound(text, sender=sender, phone=sender.split(":")[-1]), sender_name=name)


@asynccontextmanager
async def serve_inbox(
    engine: Engine, database_url: str, **settings: Any
) -> AsyncIterator[tuple[Service, str]]:
    """frontdesk on 127.0.0.1 (offline model, recording `test` channel) with these settings."""
    service = build_service(make_settings(database_url, **settings), store=Store(engine))
    service.switchboard.add_sender(RecordingSender())
    async with serving(create_app(service=service)) as url:
        yield service, url


Running = Callable[..., AbstractAsyncContextManager[tuple[Service, str]]]


@asynccontextmanager
async def signed_in(url: str, who: tuple[str, str, str]) -> AsyncIterator[StaffClient]:
    """A staff member's client, signed in for the length of the block."""
    client = StaffClient(url)
    try:
        response = await client.sign_in(who)
        assert response.status_code == 303, response.text
        yield client
    finally:
        await client.close()


def recorder_of(service: Service) -> RecordingSender:
    """The recording sender behind the `test` channel."""
    sender = service.switchboard.senders["test"]
    assert isinstance(sender, RecordingSender)
    return sender
