"""The web inbox in a real browser (Playwright driving the system's Chromium), found by what a
person reads: labels, button names, link texts. Screenshots of the queue and a conversation at
laptop and phone sizes go to var/screenshots/."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright, expect
from sqlalchemy import Engine

from bots.service import Service
from storage.staff import Actor
from tests.channels import RecordingSender, inbound
from tests.inbox import ANA, BRUNO, add_staff, customer, customer_asks_for_person, serve_inbox
from tests.waiting import wait_until

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# New messages must show on an open page within 5 seconds; every other wait is bounded too.
LIVE = 5_000
STEP = 10_000
MARIA = "test:+5215512345678"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Headless Chromium; a machine without /usr/bin/chromium fails here (never skips)."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def frontdesk(engine: Engine, sqlite_url: str) -> AsyncIterator[tuple[Service, str]]:
    """frontdesk on 127.0.0.1 with the offline model, the recording `test` channel, and two
    staff accounts."""
    async with serve_inbox(engine, sqlite_url) as (service, url):
        add_staff(service, ANA)
        add_staff(service, BRUNO)
        yield service, url


Opener = Callable[..., Awaitable[Page]]


@pytest.fixture
def open_page(browser: Browser, frontdesk: tuple[Service, str]) -> Iterator[Opener]:
    """Open a page on frontdesk in a fresh browser context (its own cookies). Every page's
    console is watched: a script error, a blocked asset or a policy violation fails the test.
    Refusals the test provokes (a 409 page) are expected and not counted."""
    _, url = frontdesk
    errors: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if message.type == "error" and "status of 409" not in message.text:
            errors.append(message.text)

    async def opener(*, viewport: dict[str, int] = LAPTOP) -> Page:
        context = await browser.new_context(viewport=viewport, base_url=url)  # type: ignore[arg-type]
        page = await context.new_page()
        page.set_default_timeout(STEP)
        page.on("console", watch)
        page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
        return page

    yield opener
    assert errors == [], errors


async def mark_page(page: Page) -> None:
    """Leave a mark in the page's window; a reload or a navigation wipes it."""
    await page.evaluate("window.frontdeskTestMark = true")


async def still_marked(page: Page) -> bool:
    return bool(await page.evaluate("window.frontdeskTestMark === true"))


async def sign_in(page: Page, who: tuple[str, str, str]) -> None:
    email, name, password = who
    await page.goto("/inbox")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    await expect(page.get_by_role("banner")).to_contain_text(name)


async def test_staff_take_an_escalation_from_queue_to_resolve(open_page: Opener, frontdesk):
    service = frontdesk[0]
    sender = service.switchboard.senders["test"]
    assert isinstance(sender, RecordingSender)
    page = await open_page()
    await sign_in(page, ANA)

    # A customer asks for a person while the queue is open: it shows up without a reload.
    conversation_id = await customer_asks_for_person(service, sender=MARIA)
    link = page.get_by_role("link", name="+5215512345678")
    await expect(link).to_be_visible(timeout=LIVE)
    await expect(page.get_by_role("row").filter(has=link)).to_contain_text("Waiting for a person")
    await link.click()
    transcript = page.get_by_role("region", name="Transcript")
    await expect(transcript.get_by_text("quiero hablar con una persona")).to_be_visible()

    await page.get_by_role("button", name="Claim").click()
    await expect(page.get_by_text("Held by Ana Souza (you)")).to_be_visible()

    reply = page.get_by_label("Reply")
    await page.get_by_role("button", name="Insert: Saludo").click()
    await expect(reply).to_have_value(
        "Hola, soy Ana Souza del equipo. Ya estoy leyendo tus mensajes."
    )
    await reply.fill("Hola, soy Ana. Ya reviso tu factura.")
    await page.get_by_role("button", name="Send").click()
    await wait_until(
        lambda: "Hola, soy Ana. Ya reviso tu factura.\n— Ana Souza" in sender.texts(MARIA),
        what="the staff reply on the test channel",
    )
    staff = [m for m in service.store.messages(conversation_id) if m.author == "staff"]
    assert [(m.text, m.author_name) for m in staff] == [
        ("Hola, soy Ana. Ya reviso tu factura.", "Ana Souza")
    ]
    await expect(page.get_by_role("article", name="Ana Souza · staff")).to_contain_text(
        "Ya reviso tu factura"
    )

    sent_before_note = list(sender.sent)
    await page.get_by_label("Internal note").fill("Revisar el cobro doble con billing.")
    await page.get_by_role("button", name="Add note").click()
    await expect(transcript.get_by_text("Revisar el cobro doble con billing.")).to_be_visible()
    assert sender.sent == sent_before_note
    assert [note.text for note in service.store.notes(conversation_id)] == [
        "Revisar el cobro doble con billing."
    ]

    # The customer writes again: the open page shows it without a reload.
    await mark_page(page)
    await service.switchboard.receive(inbound("me cobraron dos veces", sender=MARIA))
    await expect(transcript.get_by_text("me cobraron dos veces")).to_be_visible(timeout=LIVE)
    assert await still_marked(page), "the page reloaded instead of updating in place"

    await page.get_by_role("button", name="Resolve").click()
    await expect(transcript.get_by_text("Ana Souza resolved it; back with the bot")).to_be_visible()
    await expect(page.get_by_role("region", name="Owner")).to_contain_text("With the bot")
    assert service.store.status(conversation_id) == "bot"

    answered = len(sender.texts(MARIA))
    await service.switchboard.receive(
        inbound("quiero ver mi factura, mi cliente es C-1001", sender=MARIA)
    )
    answer = transcript.get_by_role("article", name="Billing agent").last
    await expect(answer).to_contain_text("INV-1042", timeout=LIVE)
    await wait_until(lambda: len(sender.texts(MARIA)) > answered, what="the agent's answer")
    assert "INV-1042" in sender.texts(MARIA)[-1]
    agent = service.store.messages(conversation_id)[-1]
    assert (agent.author, agent.agent) == ("agent", "billing")


async def test_a_colleagues_claim_shows_on_an_open_page(open_page: Opener, frontdesk):
    service = frontdesk[0]
    conversation_id = await customer_asks_for_person(service, sender=MARIA)
    page = await open_page()
    await sign_in(page, ANA)
    await page.goto(f"/inbox/conversations/{conversation_id}")
    claim = page.get_by_role("button", name="Claim")
    await expect(claim).to_be_visible()
    await mark_page(page)

    bruno = await open_page()
    await sign_in(bruno, BRUNO)
    await bruno.goto(f"/inbox/conversations/{conversation_id}")
    await bruno.get_by_role("button", name="Claim").click()
    await expect(bruno.get_by_text("Held by Bruno Díaz (you)")).to_be_visible()

    await expect(page.get_by_text("Held by Bruno Díaz")).to_be_visible(timeout=LIVE)
    assert await still_marked(page), "the owner change came by reloading the page"
    await expect(claim).to_have_count(0)
    await expect(page.get_by_label("Reply")).to_have_count(0)
    await expect(
        page.get_by_text("Bruno Díaz has this conversation; only they can reply.")
    ).to_be_visible()


async def test_a_claim_lost_in_a_race_says_who_has_it(open_page: Opener, frontdesk):
    service = frontdesk[0]
    conversation_id = await customer_asks_for_person(service, sender=MARIA)
    page = await open_page()
    await sign_in(page, ANA)
    await page.goto(f"/inbox/conversations/{conversation_id}")
    escalation = service.store.latest_escalation(conversation_id)
    assert escalation is not None
    # Bruno claims from Slack (a linked account) a moment before Ana presses Claim.
    member = service.store.staff_by_email(BRUNO[0])
    assert member is not None
    await service.switchboard.ownership.claim(
        escalation.id or 0, Actor(ref=f"staff:{member.id}", name=member.name)
    )
    await page.get_by_role("button", name="Claim").click()
    await expect(page.get_by_role("alert")).to_have_text(
        "Bruno Díaz already has this conversation."
    )
    await expect(page.get_by_text("Held by Bruno Díaz")).to_be_visible()


async def test_playground_talks_to_the_bot_and_escalates_to_the_queue(open_page: Opener):
    page = await open_page()
    await sign_in(page, ANA)
    menu = page.get_by_role("navigation", name="Main")
    await menu.get_by_role("link", name="Playground").click()
    await mark_page(page)
    await page.get_by_label("Phone number").fill("+55 11 98765-4321")
    await page.get_by_label("Name").fill("João Silva")
    await page.get_by_label("Message").fill("oi, quero ver minha fatura, meu cliente é C-1002")
    await page.get_by_role("button", name="Send").click()
    chat = page.get_by_role("region", name="Conversation")
    await expect(chat).to_contain_text("oi, quero ver minha fatura")
    await expect(chat.get_by_role("article", name="Billing agent")).to_be_visible(timeout=LIVE)

    await expect(page.get_by_label("Message")).to_have_value("")  # ready for the next one
    await page.get_by_label("Message").fill("quero falar com um atendente")
    await page.get_by_role("button", name="Send").click()
    await expect(chat).to_contain_text("Waiting for a person", timeout=LIVE)
    assert await still_marked(page), "the playground reloaded instead of updating in place"

    await menu.get_by_role("link", name="Queue").click()
    await page.get_by_role("link", name="Unclaimed").click()
    link = page.get_by_role("link", name="João Silva")
    await expect(link).to_contain_text("+5511987654321")
    await link.click()
    await expect(page.get_by_role("button", name="Claim")).to_be_visible()
    transcript = page.get_by_role("region", name="Transcript")
    await expect(transcript.get_by_text("quero falar com um atendente")).to_be_visible()


async def test_screenshots_of_queue_and_conversation(open_page: Opener, frontdesk):
    service = frontdesk[0]
    switchboard = service.switchboard
    maria = "María González"
    await switchboard.receive(
        customer("hola, quiero ver mi factura, mi cliente es C-1001", sender=MARIA, name=maria)
    )
    await switchboard.drain()
    conversation_id = await customer_asks_for_person(service, sender=MARIA, name=maria)
    await customer_asks_for_person(
        service,
        sender="test:+5511987654321",
        text="quero falar com um atendente",
        name="João Silva",
    )
    await customer_asks_for_person(
        service,
        sender="test:+573001234567",
        text="necesito un reembolso, quiero hablar con una persona",
        name="Camila Rojas",
    )
    await switchboard.receive(
        customer("hola, ¿qué planes tienen?", sender="test:+5215587654321", name="Lucas Martínez")
    )
    await switchboard.drain()
    page = await open_page()
    await sign_in(page, ANA)
    await page.goto(f"/inbox/conversations/{conversation_id}")
    await page.get_by_role("button", name="Claim").click()
    await page.get_by_role("button", name="Insert: Saludo").click()
    await page.get_by_role("button", name="Send").click()
    await expect(page.get_by_role("article", name="Ana Souza · staff")).to_be_visible()
    await page.get_by_label("Internal note").fill("Pidió hablar con una persona por un cobro.")
    await page.get_by_role("button", name="Add note").click()
    await expect(page.get_by_text("Pidió hablar con una persona por un cobro.")).to_be_visible()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = []
    for size, viewport in (("laptop", LAPTOP), ("phone", PHONE)):
        await page.set_viewport_size(viewport)  # type: ignore[arg-type]
        await page.goto("/inbox")
        await expect(page.get_by_role("link", name="+5215512345678")).to_be_visible()
        shots.append(SCREENSHOTS / f"queue-{size}.png")
        await page.screenshot(path=shots[-1], full_page=size == "phone")
        await page.goto(f"/inbox/conversations/{conversation_id}")
        await expect(page.get_by_text("Pidió hablar con una persona por un cobro.")).to_be_visible()
        shots.append(SCREENSHOTS / f"conversation-{size}.png")
        await page.screenshot(path=shots[-1], full_page=size == "phone")
    for shot in shots:
        assert shot.stat().st_size > 10_000, shot
    print(f"\nscreenshots: {SCREENSHOTS}")
