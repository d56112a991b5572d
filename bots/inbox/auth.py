"""Signing in and out of the inbox: argon2 passwords, throttled failures, a fresh session (and
CSRF token) at every sign-in."""

from __future__ import annotations

import asyncio
import logging
import math

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bots.inbox.passwords import check_password
from bots.inbox.sessions import Session
from bots.inbox.web import SIGN_IN, Inbox, SessionForm, StaffForm, form_text

log = logging.getLogger(__name__)

HOME = "/inbox"


def safe_next(path: str | None) -> str:
    """Where to go after signing in: an inbox or playground page of this site, nothing else."""
    if not path or not path.startswith(("/inbox", "/playground")) or path.startswith("//"):
        return HOME
    if "\\" in path or path.startswith(SIGN_IN):
        return HOME
    return path


def auth_routes(inbox: Inbox) -> APIRouter:
    """GET/POST /inbox/sign-in and POST /inbox/sign-out."""
    router = APIRouter()

    async def page(
        request: Request,
        session: Session,
        *,
        next_path: str,
        email: str = "",
        error: str | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Response:
        accounts = await inbox.store.run(inbox.store.count_staff)
        response = inbox.render(
            request,
            "sign_in.html",
            {
                "sign_in_csrf": session.csrf,
                "next": next_path,
                "email": email,
                "error": error,
                "no_accounts": accounts == 0,
            },
            status=status,
            headers=headers,
        )
        inbox.sessions.write(response, session)
        return response

    @router.get(SIGN_IN)
    async def sign_in_page(request: Request, next: str | None = None) -> Response:
        session = inbox.sessions.read(request)
        if session is not None and session.staff_id is not None:
            member = await inbox.store.run(inbox.store.staff_member, session.staff_id)
            if member is not None:
                return RedirectResponse(safe_next(next), status_code=303)
        if session is None or session.staff_id is not None:
            session = inbox.sessions.new()
        return await page(request, session, next_path=safe_next(next))

    @router.post(SIGN_IN)
    async def sign_in(request: Request, checked_form: SessionForm) -> Response:
        session, form = checked_form
        email = form_text(form, "email", limit=254).strip()
        password = form_text(form, "password", limit=1024)
        next_path = safe_next(form_text(form, "next", limit=2000))
        address = request.client.host if request.client else "unknown"
        wait = inbox.throttle.wait_seconds(email, address)
        if wait > 0:
            minutes = max(1, math.ceil(wait / 60))
            log.warning("inbox sign-in throttled for %s from %s", email or "-", address)
            return await page(
                request,
                session,
                next_path=next_path,
                email=email,
                error=f"Too many failed sign-ins. Try again in {minutes} min.",
                status=429,
                headers={"Retry-After": str(math.ceil(wait))},
            )
        member = await inbox.store.run(inbox.store.staff_by_email, email) if email else None
        hashed = member.password_hash if member is not None else None
        # argon2 is slow on purpose; keep the event loop free while it works.
        if not await asyncio.to_thread(check_password, password, hashed) or member is None:
            inbox.throttle.failed(email, address)
            log.info("inbox sign-in failed for %s from %s", email or "-", address)
            return await page(
                request,
                session,
                next_path=next_path,
                email=email,
                error="Wrong email or password.",
                status=401,
            )
        inbox.throttle.succeeded(email)
        log.info("inbox: %s signed in", member.email)
        response = RedirectResponse(next_path, status_code=303)
        inbox.sessions.write(response, inbox.sessions.new(member.id))
        return response

    @router.post("/inbox/sign-out")
    async def sign_out(staff_and_form: StaffForm) -> Response:
        response = RedirectResponse(SIGN_IN, status_code=303)
        inbox.sessions.clear(response)
        return response

    return router
