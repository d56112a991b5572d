"""Staff acting on conversations through the web inbox over HTTP: cross-site protection (CSRF
token and Origin), the claim race, holder-only replies, one-time keys, delivery failures, the
live parts, the queue, saved replies and the playground, against the real app on 127.0.0.1."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from urllib.parse import unquote

from agents.errors import PermanentSendError
from handoffs.channels import InboundMessage
from storage.models import utcnow
from tests.channels import inbound
from tests.inbox import (
    ANA,
    BRUNO,
    PUBLIC_URL,
    Running,
    StaffClient,
    add_staff,
    csrf_of,
    customer_asks_for_person,
    recorder_of,
    signed_in,
)
from tests.waiting import wait_until


async def test_forms_need_the_session_csrf_token(inbox):
    service, url = inbox
    conversation_id = await customer_asks_for_person(service)
    async with signed_in(url, ANA) as ana:
        page = await ana.page(f"/inbox/conversations/{conversation_id}")
        for token in ({}, {"csrf_token": "forged"}):
            response = await ana.http.post(
                f"/inbox/conversations/{conversation_id}/note",
                data={"text": "a note", **token},
                headers={"Origin": url},
            )
            assert response.status_code == 403
            assert "CSRF token" in response.text
        assert service.store.notes(conversation_id) == []
        ok = await ana.post_form(
            f"/inbox/conversations/{conversation_id}/note", page.text, {"text": "a note"}
        )
        assert ok.status_code == 303
        assert [note.text for note in service.store.notes(conversation_id)] == ["a note"]


async def test_forms_from_another_site_are_refused(inbox):
    service, url = inbox
    conversation_id = await customer_asks_for_person(service)
    async with signed_in(url, ANA) as ana:
        page = await ana.page(f"/inbox/conversations/{conversation_id}")
        path = f"/inbox/conversations/{conversation_id}/claim"
        refused = [
            {"Origin": "https://evil.example"},
            {"Origin": "null", "Referer": "https://evil.example/page"},
            {"Origin": "https://frontdesk.example.com"},  # not configured as public URL here
        ]
        for headers in refused:
            response = await ana.post_form(path, page.text, {}, headers=headers)
            assert response.status_code == 403, headers
            assert "another site" in response.text
        blind = await ana.http.post(path, data={"csrf_token": "x"}, headers={"Origin": ""})
        assert blind.status_code == 403
        assert "no Origin or Referer" in blind.text
        assert service.store.status(conversation_id) == "waiting_human"
        # A browser that sends only a Referer of this site is fine.
        escalation = service.store.latest_escalation(conversation_id)
        assert escalation is not None
        referred = await ana.http.post(
            path,
            data={"csrf_token": csrf_of(page.text), "escalation_id": str(escalation.id)},
            headers={"Origin": "", "Referer": f"{url}/inbox/conversations/{conversation_id}"},
        )
        assert referred.status_code == 303
        assert service.store.status(conversation_id) == "with_human"


async def test_the_public_url_counts_as_this_site_behind_a_tls_proxy(running: Running):
    async with running(public_url=PUBLIC_URL) as (service, url):
        add_staff(service, ANA)
        conversation_id = await customer_asks_for_person(service)
        client = StaffClient(url, origin=PUBLIC_URL)
        # The cookie is Secure, and httpx keeps Secure cookies off http:// as browsers do; the
        # TLS proxy in front would carry it, so it is sent by hand here.
        page = await client.http.get("/inbox/sign-in")
        cookie = page.headers["set-cookie"].split(";", 1)[0]
        signed = await client.http.post(
            "/inbox/sign-in",
            data={"csrf_token": csrf_of(page.text), "email": ANA[0], "password": ANA[2]},
            headers={"Origin": PUBLIC_URL, "Cookie": cookie},
        )
        assert signed.status_code == 303
        session = {"Cookie": signed.headers["set-cookie"].split(";", 1)[0]}
        convo = await client.http.get(f"/inbox/conversations/{conversation_id}", headers=session)
        escalation = service.store.latest_escalation(conversation_id)
        assert escalation is not None
        claimed = await client.http.post(
            f"/inbox/conversations/{conversation_id}/claim",
            data={"csrf_token": csrf_of(convo.text), "escalation_id": str(escalation.id)},
            headers={"Origin": PUBLIC_URL, **session},
        )
        assert claimed.status_code == 303
        assert service.store.status(conversation_id) == "with_human"
        await client.close()


async def test_two_staff_claim_at_once_and_one_wins(inbox):
    service, url = inbox
    conversation_id = await customer_asks_for_person(service)
    escalation = service.store.latest_escalation(conversation_id)
    assert escalation is not None
    async with signed_in(url, ANA) as ana, signed_in(url, BRUNO) as bruno:
        pages = [await who.page(f"/inbox/conversations/{conversation_id}") for who in (ana, bruno)]
        responses = await asyncio.gather(
            *(
                who.post_form(
                    f"/inbox/conversations/{conversation_id}/claim",
                    page.text,
                    {"escalation_id": str(escalation.id)},
                )
                for who, page in zip((ana, bruno), pages, strict=True)
            )
        )
    codes = sorted(response.status_code for response in responses)
    assert codes == [303, 409]
    escalation = service.store.latest_escalation(conversation_id)
    assert escalation is not None and escalation.claimed_by in ("Ana Souza", "Bruno Díaz")
    loser = next(response for response in responses if response.status_code == 409)
    assert f"{escalation.claimed_by} already has this conversation." in loser.text
    assert f"Held by <strong>{escalation.claimed_by}</strong>" in loser.text
    claims = [
        e for e in service.store.ownership_events(conversation_id) if e.to_status == "with_human"
    ]
    assert len(claims) == 1


async def test_only_the_holder_can_reply_and_a_double_submit_sends_once(inbox):
    service, url = inbox
    conversation_id = await customer_asks_for_person(service)
    recorder = recorder_of(service)
    before = len(recorder.sent)
    async with signed_in(url, ANA) as ana, signed_in(url, BRUNO) as bruno:
        assert (await ana.act(conversation_id, "claim")).status_code == 303
        bruno_page = await bruno.page(f"/inbox/conversations/{conversation_id}")
        assert 'id="reply"' not in bruno_page.text  # no Reply box for a non-holder
        assert "Ana Souza has this conversation; only they can reply." in bruno_page.text
        refused = await bruno.act(conversation_id, "reply", text="Bruno here", key="k-bruno")
        assert refused.status_code == 409
        assert "Not sent: Ana Souza holds this conversation." in refused.text
        page = await ana.page(f"/inbox/conversations/{conversation_id}")
        form = {"text": "Hola, soy Ana. ¿En qué te ayudo?", "key": "k-once"}
        path = f"/inbox/conversations/{conversation_id}/reply"
        first, second = [await ana.post_form(path, page.text, form) for _ in range(2)]
        assert first.status_code == second.status_code == 303
    await wait_until(lambda: len(recorder.sent) > before, what="the staff reply to be sent")
    await service.switchboard.drain()
    staff = [m for m in service.store.messages(conversation_id) if m.author == "staff"]
    assert [(m.text, m.author_name) for m in staff] == [(form["text"], "Ana Souza")]
    assert recorder.texts()[before:] == [f"{form['text']}\n— Ana Souza"]


async def test_a_reply_that_cannot_be_delivered_shows_why_on_the_page(inbox):
    service, url = inbox
    conversation_id = await customer_asks_for_person(service)
    window = "outside WhatsApp's 24-hour customer-service window and no template is configured"
    recorder_of(service).fail_next.append(PermanentSendError(window))
    async with signed_in(url, ANA) as ana:
        await ana.act(conversation_id, "claim")
        assert (await ana.act(conversation_id, "reply", text="¿Sigues ahí?")).status_code == 303

        def failed() -> bool:
            return any(m.status == "failed" for m in service.store.messages(conversation_id))

        await wait_until(failed, what="the staff reply to be marked failed")
        page = await ana.page(f"/inbox/conversations/{conversation_id}")
    assert '<span class="status status-failed">failed</span>' in page.text
    assert f"Not delivered: {window}" in page.text.replace("&#39;", "'")


async def test_live_parts_answer_204_until_something_changes(inbox):
    service, url = inbox
    conversation_id = await customer_asks_for_person(service)
    async with signed_in(url, ANA) as ana:
        base = f"/inbox/conversations/{conversation_id}"
        mark = service.store.transcript_mark(conversation_id)
        assert (await ana.http.get(f"{base}/transcript", params={"v": mark})).status_code == 204
        await service.switchboard.receive(inbound("¿hola?", sender="test:+5215512345678"))
        await wait_until(
            lambda: service.store.transcript_mark(conversation_id) != mark,
            what="the new message to be stored",
        )
        fresh = await ana.http.get(f"{base}/transcript", params={"v": mark})
        assert fresh.status_code == 200 and "¿hola?" in fresh.text
        owner = await ana.http.get(f"{base}/owner")
        assert owner.status_code == 200 and ">Claim</button>" in owner.text
        version = _attribute(owner.text, "hx-get").split("v=", 1)[1]
        unchanged = await ana.http.get(f"{base}/owner", params={"v": unquote(version)})
        assert unchanged.status_code == 204
        async with signed_in(url, BRUNO) as bruno:
            await bruno.act(conversation_id, "claim")
        changed = await ana.http.get(f"{base}/owner", params={"v": unquote(version)})
        assert changed.status_code == 200
        assert "Held by <strong>Bruno Díaz</strong>" in changed.text
        assert 'id="reply-box"' in changed.text and 'hx-swap-oob="true"' in changed.text
        # A panel that only ticks (a wait, the WhatsApp window) leaves the reply box, and a
        # draft in it, alone.
        box = unquote(_attribute(changed.text, "hx-get").split("v=", 1)[1]).split("~", 1)[0]
        ticked = await ana.http.get(f"{base}/owner", params={"v": f"{box}~a minute ago"})
        assert ticked.status_code == 200 and 'id="reply-box"' not in ticked.text


async def test_the_queue_lists_filters_and_shows_who_holds_what(inbox):
    service, url = inbox
    maria = await customer_asks_for_person(service, sender="test:+5215512345678")
    joao = await customer_asks_for_person(
        service, sender="test:+5511987654321", text="quero falar com um atendente"
    )
    async with signed_in(url, ANA) as ana:
        everything = (await ana.page("/inbox")).text
        assert everything.index("+5511987654321") < everything.index("+5215512345678")
        assert f'href="/inbox/conversations/{maria}"' in everything
        await ana.act(maria, "claim")  # activity: María's conversation comes first now
        everything = (await ana.page("/inbox")).text
        assert everything.index("+5215512345678") < everything.index("+5511987654321")
        mine = (await ana.page("/inbox?view=mine")).text
        assert "+5215512345678" in mine and "+5511987654321" not in mine
        unclaimed = (await ana.page("/inbox?view=unclaimed")).text
        assert "+5511987654321" in unclaimed and "+5215512345678" not in unclaimed
        portuguese = (await ana.page("/inbox?language=pt")).text
        assert (
            f"/inbox/conversations/{joao}" in portuguese
            and f'/inbox/conversations/{maria}"' not in portuguese
        )
        assert "No conversations match." in (await ana.page("/inbox?channel=playground")).text


async def test_saved_replies_have_defaults_and_staff_can_add_one(inbox):
    service, url = inbox
    async with signed_in(url, ANA) as ana:
        page = await ana.page("/inbox/saved-replies")
        assert "Saludo" in page.text and "Saudação" in page.text and "Greeting" in page.text
        added = await ana.post_form(
            "/inbox/saved-replies",
            page.text,
            {"language": "es", "title": "Horario", "text": "Atendemos de 9 a 18 h."},
        )
        assert added.status_code == 303
        assert "Atendemos de 9 a 18 h." in (await ana.page("/inbox/saved-replies")).text
        conversation_id = await customer_asks_for_person(service)
        await ana.act(conversation_id, "claim")
        convo = (await ana.page(f"/inbox/conversations/{conversation_id}")).text
        assert 'aria-label="Insert: Horario"' in convo
        assert "Insert: Greeting" not in convo  # the conversation is in Spanish


async def test_the_playground_sends_through_the_pipeline_with_or_without_scripts(inbox):
    service, url = inbox
    async with signed_in(url, ANA) as ana:
        page = await ana.page("/playground")
        assert '<label for="pg-message">Message</label>' in page.text
        assert '<label for="pg-phone">Phone number</label>' in page.text
        form = {"phone": "+52 1 55 1234 5678", "name": "María", "text": "hola", "key": "pg-1"}
        plain = await ana.post_form("/playground", page.text, form)
        assert plain.status_code == 303
        assert plain.headers["location"] == "/playground?phone=%2B525512345678&name=Mar%C3%ADa"
        again = await ana.post_form("/playground", page.text, form)  # a double submit
        assert again.status_code == 303
        live = await ana.post_form(
            "/playground",
            page.text,
            {**form, "text": "quiero ver mi factura", "key": "pg-2"},
            headers={"HX-Request": "true"},
        )
        assert live.status_code == 200 and live.headers["hx-trigger"] == "playground-sent"
        assert 'id="pg-key"' in live.text and 'hx-swap-oob="true"' in live.text
        bad = await ana.post_form("/playground", page.text, {"phone": "5512345678", "text": "hola"})
        assert bad.status_code == 422 and "country code" in bad.text
    conversation_id = service.store.latest_conversation_id("playground", "playground:+525512345678")
    assert conversation_id is not None
    await service.switchboard.drain()
    messages = service.store.messages(conversation_id)
    assert [m.text for m in messages if m.author == "customer"] == ["hola", "quiero ver mi factura"]
    assert any(m.author == "agent" and m.status == "sent" for m in messages)
    _, contact = service.store.conversation_and_contact(conversation_id)
    assert (contact.display_name, contact.phone) == ("María", "+525512345678")


async def test_whatsapp_conversations_show_the_24_hour_window(inbox):
    service, url = inbox
    now = utcnow()
    ids = {}
    for phone, hours_ago in (("+5215500000001", 2), ("+5215500000002", 30)):
        stored = await service.switchboard.receive(
            InboundMessage(
                channel="whatsapp",
                channel_message_id=f"SM{phone}",
                sender=f"whatsapp:{phone}",
                thread_key=f"whatsapp:{phone}",
                text="hola",
                phone=phone,
                received_at=now - timedelta(hours=hours_ago),
            )
        )
        ids[hours_ago] = stored.conversation_id
    await service.switchboard.drain()
    async with signed_in(url, ANA) as ana:
        fresh = (await ana.page(f"/inbox/conversations/{ids[2]}")).text
        stale = (await ana.page(f"/inbox/conversations/{ids[30]}")).text
        other = (await ana.page("/inbox")).text
    assert "WhatsApp window open · 21 h" in fresh  # 21 h 59 min left, give or take a minute
    assert "WhatsApp window closed since" in stale and "approved template" in stale
    assert "WhatsApp window" not in other


def _attribute(html: str, name: str) -> str:
    start = html.index(f'{name}="') + len(name) + 2
    return html[start : html.index('"', start)].replace("&amp;", "&")
