"""What staff do on a conversation's page: Claim, Send a reply, Add note, Resolve. Each goes
through the ownership state machine (`handoffs.ownership`), the one the Slack staff channel uses.

A success redirects back to the page (so a reload sends nothing again); a refusal shows the page
again with the reason and what was typed. Reply and note forms carry a one-time key, so a
double submit changes nothing.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bots.inbox.conversation import ConversationPages
from bots.inbox.web import Inbox, StaffForm, form_text

log = logging.getLogger(__name__)

MAX_TEXT = 4000


def action_routes(inbox: Inbox, pages: ConversationPages) -> APIRouter:
    """POST claim, reply, note and resolve on /inbox/conversations/{id}/…"""
    router = APIRouter(prefix="/inbox/conversations/{conversation_id}")
    ownership = inbox.ownership

    def back(conversation_id: int) -> Response:
        return RedirectResponse(f"/inbox/conversations/{conversation_id}", status_code=303)

    def once(form: FormData) -> str | None:
        key = form_text(form, "key", limit=64).strip()
        return f"inbox:{key}" if key else None

    @router.post("/claim")
    async def claim(request: Request, conversation_id: int, staff_and_form: StaffForm) -> Response:
        staff, form = staff_and_form
        escalation = await inbox.store.run(inbox.store.latest_escalation, conversation_id)
        asked = form_text(form, "escalation_id", limit=20)
        if escalation is None or str(escalation.id) != asked:
            why = "This conversation has a newer escalation than the page showed; look again."
            if escalation is None:
                why = "This conversation was never escalated; there is nothing to claim."
            return await pages.page(request, staff, conversation_id, error=why, status=409)
        result = await ownership.claim(escalation.id or 0, staff.actor)
        lost = result.escalation
        if result.won or (lost is not None and lost.claimed_by_ref == staff.actor.ref):
            return back(conversation_id)
        if lost is not None and lost.status == "resolved":
            why = f"{result.holder or 'Someone'} already resolved this conversation."
        else:
            why = f"{result.holder or 'Someone else'} already has this conversation."
        return await pages.page(request, staff, conversation_id, error=why, status=409)

    @router.post("/reply")
    async def reply(request: Request, conversation_id: int, staff_and_form: StaffForm) -> Response:
        staff, form = staff_and_form
        text = form_text(form, "text", limit=MAX_TEXT + 1)
        result = await ownership.reply(conversation_id, staff.actor, text, key=once(form))
        if result.refusal is not None:
            error = f"Not sent: {result.refusal}."
            return await pages.page(
                request, staff, conversation_id, error=error, reply_text=text, status=409
            )
        return back(conversation_id)

    @router.post("/note")
    async def note(request: Request, conversation_id: int, staff_and_form: StaffForm) -> Response:
        staff, form = staff_and_form
        text = form_text(form, "text", limit=MAX_TEXT).strip()
        if not text:
            error = "The note is empty."
            return await pages.page(request, staff, conversation_id, error=error, status=422)
        await pages.require(conversation_id)
        await ownership.note(conversation_id, staff.actor, text, source="inbox", key=once(form))
        return back(conversation_id)

    @router.post("/resolve")
    async def resolve(
        request: Request, conversation_id: int, staff_and_form: StaffForm
    ) -> Response:
        staff, form = staff_and_form
        note = form_text(form, "note", limit=MAX_TEXT).strip() or None
        resolved = await ownership.resolve(conversation_id, staff.actor, note=note)
        if resolved is None:
            status = await inbox.store.run(inbox.store.status, conversation_id)
            if status == "bot":
                return back(conversation_id)  # a double submit, or a colleague was quicker
            error = "Nobody holds this conversation and it waits for no one: nothing to resolve."
            return await pages.page(request, staff, conversation_id, error=error, status=409)
        return back(conversation_id)

    return router
