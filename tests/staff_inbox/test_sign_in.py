"""Signing in to the web inbox over HTTP: the sign-in page, wrong passwords, throttling, the
session cookie's flags, expiry and sign-out, against the real app on 127.0.0.1."""

from __future__ import annotations

from tests.inbox import (
    ANA,
    BRUNO,
    PUBLIC_URL,
    Running,
    StaffClient,
    add_staff,
    csrf_of,
    customer_asks_for_person,
    signed_in,
)


async def test_the_inbox_asks_to_sign_in_and_says_how_to_create_an_account(running: Running):
    async with running() as (service, url):
        client = StaffClient(url)
        response = await client.http.get("/inbox")
        assert response.status_code == 303
        assert response.headers["location"] == "/inbox/sign-in?next=/inbox"
        page = await client.page("/inbox/sign-in?next=/inbox")
        assert '<label for="email">Email</label>' in page.text
        assert '<label for="password">Password</label>' in page.text
        assert ">Sign in</button>" in page.text
        assert "frontdesk staff add you@example.com --name You" in page.text
        add_staff(service, ANA)
        assert "frontdesk staff add" not in (await client.page("/inbox/sign-in")).text
        await client.close()


async def test_a_wrong_password_is_refused_and_the_right_one_opens_the_queue(inbox):
    _, url = inbox
    client = StaffClient(url)
    wrong = await client.sign_in(ANA, password="not-her-password")
    assert wrong.status_code == 401
    assert "Wrong email or password." in wrong.text
    assert (await client.http.get("/inbox")).status_code == 303
    nobody = await client.sign_in(("nobody@example.com", "", "whatever-password"))
    assert nobody.status_code == 401
    right = await client.sign_in(ANA)
    assert right.status_code == 303 and right.headers["location"] == "/inbox"
    queue = await client.page("/inbox")
    assert "Ana Souza" in queue.text and "<h1>Queue</h1>" in queue.text
    await client.close()


async def test_failed_sign_ins_are_throttled_per_account(inbox):
    _, url = inbox
    client = StaffClient(url)
    for _ in range(5):
        assert (await client.sign_in(ANA, password="guess-guess")).status_code == 401
    blocked = await client.sign_in(ANA)  # even the right password waits now
    assert blocked.status_code == 429
    assert "Too many failed sign-ins" in blocked.text
    assert 0 < int(blocked.headers["retry-after"]) <= 15 * 60
    other = await client.sign_in(BRUNO)  # another account from the same address still may
    assert other.status_code == 303
    await client.close()


async def test_failed_sign_ins_are_throttled_per_address(inbox):
    _, url = inbox
    client = StaffClient(url)
    for number in range(20):
        guess = (f"guess{number}@example.com", "", "guess-guess")
        assert (await client.sign_in(guess)).status_code == 401
    assert (await client.sign_in(ANA)).status_code == 429
    await client.close()


async def test_session_cookie_is_httponly_and_lax_and_only_secure_behind_https(running: Running):
    async with running() as (service, url):
        add_staff(service, ANA)
        client = StaffClient(url)
        cookie = (await client.sign_in(ANA)).headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
        assert "secure" not in cookie
        await client.close()
    async with running(public_url=PUBLIC_URL) as (service, url):
        client = StaffClient(url, origin=PUBLIC_URL)
        page = await client.http.get("/inbox/sign-in")
        assert "secure" in page.headers["set-cookie"].lower()
        await client.close()


async def test_an_expired_session_sends_live_parts_to_sign_in(inbox):
    service, url = inbox
    conversation_id = await customer_asks_for_person(service)
    client = StaffClient(url)
    response = await client.http.get(
        f"/inbox/conversations/{conversation_id}/transcript", headers={"HX-Request": "true"}
    )
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/inbox/sign-in?next=/inbox"
    current = {"HX-Request": "true", "HX-Current-URL": f"{url}/inbox/conversations/7"}
    response = await client.http.get("/inbox/conversations/7/owner", headers=current)
    assert response.headers["hx-redirect"] == "/inbox/sign-in?next=/inbox/conversations/7"
    page = await client.http.get("/inbox/sign-in")
    stale = await client.http.post(
        "/inbox/conversations/7/reply",
        data={"csrf_token": csrf_of(page.text), "text": "hola"},
        headers={"Origin": url},
    )
    assert stale.status_code == 303
    assert stale.headers["location"] == "/inbox/sign-in?next=/inbox/conversations/7"
    await client.close()


async def test_signing_out_and_removing_an_account_end_the_session(inbox):
    service, url = inbox
    async with signed_in(url, ANA) as ana:
        queue = await ana.page("/inbox")
        out = await ana.post_form("/inbox/sign-out", queue.text, {})
        assert out.status_code == 303
        assert (await ana.http.get("/inbox")).status_code == 303
    async with signed_in(url, BRUNO) as bruno:
        await bruno.page("/inbox")
        assert service.store.remove_staff(BRUNO[0])
        assert (await bruno.http.get("/inbox")).status_code == 303
