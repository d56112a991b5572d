"""What every inbox route shares: who is signed in, the checked form of an unsafe request, and
rendering a page with the headers a staff page needs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bots.inbox import formatting
from bots.inbox.guard import bad_token, cross_site, origin_of
from bots.inbox.sessions import Session, Sessions
from bots.inbox.throttle import SignInThrottle
from bots.service import Service
from storage.staff import Actor

TEMPLATES = Path(__file__).parent / "templates"
SIGN_IN = "/inbox/sign-in"

# Scripts and styles come only from this site (vendored htmx, no CDN); no framing.
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Staff:
    """The signed-in staff member, and their session's CSRF token."""

    id: int
    name: str
    email: str
    csrf: str

    @property
    def actor(self) -> Actor:
        """How the ownership state machine knows them: the ref Slack uses for a linked user."""
        return Actor(ref=f"staff:{self.id}", name=self.name)


class PageError(Exception):
    """A request the inbox refuses, shown as a page with the reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class SignInRequired(Exception):
    """No (valid) session: go to the sign-in page, then back to `next_path`."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class Inbox:
    """The inbox's shared parts over a running service."""

    def __init__(self, service: Service) -> None:
        settings = service.settings
        self.service = service
        self.store = service.store
        self.ownership = service.switchboard.ownership
        self.public_origin = origin_of(settings.public_url)
        secret = settings.session_secret.get_secret_value() if settings.session_secret else None
        secure = bool(self.public_origin and self.public_origin.startswith("https://"))
        self.sessions = Sessions(secret, secure=secure)
        self.throttle = SignInThrottle()
        self.templates = Jinja2Templates(directory=TEMPLATES)
        formatting.install(self.templates.env)

    async def staff(self, request: Request) -> Staff:
        """The signed-in staff member (a route dependency); otherwise off to sign in."""
        session = self.sessions.read(request)
        member = None
        if session is not None and session.staff_id is not None:
            member = await self.store.run(self.store.staff_member, session.staff_id)
        if session is None or member is None or member.id is None:
            raise SignInRequired(_return_path(request))
        return Staff(id=member.id, name=member.name, email=member.email, csrf=session.csrf)

    async def staff_form(self, request: Request) -> tuple[Staff, FormData]:
        """A signed-in member's form, checked for cross-site forgery (a route dependency)."""
        staff = await self.staff(request)
        form = await self._checked(request, staff.csrf)
        return staff, form

    async def session_form(self, request: Request) -> tuple[Session, FormData]:
        """A form sent before sign-in (the sign-in form itself), checked alike."""
        session = self.sessions.read(request)
        if session is None:
            raise PageError(403, "Your session expired: reload the sign-in page and try again.")
        return session, await self._checked(request, session.csrf)

    async def _checked(self, request: Request, csrf: str) -> FormData:
        reason = cross_site(request, self.public_origin)
        if reason is not None:
            raise PageError(403, f"Refused: {reason}.")
        form = await request.form()
        token = form.get("csrf_token")
        reason = bad_token(csrf, token if isinstance(token, str) else None)
        if reason is not None:
            raise PageError(403, f"Refused: {reason}.")
        return form

    def render(
        self,
        request: Request,
        template: str,
        context: dict[str, Any] | None = None,
        *,
        staff: Staff | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> HTMLResponse:
        """A page or fragment from `templates/`, with the security headers."""
        values = {"staff": staff, "csrf": staff.csrf if staff else None, **(context or {})}
        response = self.templates.TemplateResponse(
            request, template, values, status_code=status, headers={**_HEADERS, **(headers or {})}
        )
        return response

    def error_page(self, request: Request, error: PageError) -> HTMLResponse:
        """A refusal, as a page that says why."""
        return self.render(request, "error.html", {"message": error.message}, status=error.status)

    def to_sign_in(self, request: Request, error: SignInRequired) -> Response:
        """Send a browser to sign in; a live fragment's request gets htmx's redirect header."""
        target = f"{SIGN_IN}?next={quote(error.next_path)}"
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)


def _return_path(request: Request) -> str:
    """The page to come back to after signing in: the one a live part or a form was on."""
    if request.headers.get("hx-request"):
        return urlsplit(request.headers.get("hx-current-url", "")).path or "/inbox"
    if request.method != "GET":
        # A form's action (…/reply, …/claim) is not a page; its conversation is.
        return (
            request.url.path.rsplit("/", 1)[0]
            if "/conversations/" in request.url.path
            else "/inbox"
        )
    return request.url.path


def form_text(form: FormData, name: str, *, limit: int = 10_000) -> str:
    """One text field of a form ('' when absent), cut to `limit` characters."""
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def unchanged(request: Request, version: str) -> bool:
    """Whether a live fragment's poll already shows `version` (then it gets 204, no swap)."""
    return request.query_params.get("v") == version


def inbox_of(request: Request) -> Inbox:
    """The inbox mounted on the request's app."""
    inbox: Inbox = request.app.state.inbox
    return inbox


async def _signed_in(request: Request) -> Staff:
    return await inbox_of(request).staff(request)


async def _staff_form(request: Request) -> tuple[Staff, FormData]:
    return await inbox_of(request).staff_form(request)


async def _session_form(request: Request) -> tuple[Session, FormData]:
    return await inbox_of(request).session_form(request)


# Route parameters: the signed-in member; their checked form; a checked form before sign-in.
SignedIn = Annotated[Staff, Depends(_signed_in)]
StaffForm = Annotated[tuple[Staff, FormData], Depends(_staff_form)]
SessionForm = Annotated[tuple[Session, FormData], Depends(_session_form)]
