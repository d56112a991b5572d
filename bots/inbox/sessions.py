"""Staff sessions: a signed cookie that says who signed in and carries the CSRF token.

The cookie holds no secret of its own: `{"s": staff id or None, "c": csrf token}`, signed with
`FRONTDESK_SESSION_SECRET` (itsdangerous) and valid for twelve hours from sign-in. Every request
looks the account up again, so removing an account ends its sessions at once.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

log = logging.getLogger(__name__)

COOKIE = "frontdesk_session"
MAX_AGE_SECONDS = 12 * 3600
_SALT = "frontdesk.inbox.session"


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """What the cookie says: the signed-in account (None before sign-in) and the CSRF token
    every form of this session must carry."""

    csrf: str
    staff_id: int | None = None


class Sessions:
    """Reads, issues and clears session cookies: HttpOnly, SameSite=Lax, Secure behind https."""

    def __init__(self, secret: str | None, *, secure: bool) -> None:
        if not secret:
            log.warning(
                "FRONTDESK_SESSION_SECRET is not set: inbox sign-ins last until this process "
                "stops and do not work across replicas"
            )
            secret = secrets.token_urlsafe(32)
        self._serializer = URLSafeTimedSerializer(secret, salt=_SALT)
        self.secure = secure

    def read(self, request: Request) -> Session | None:
        """The request's session, or None when it has none (or a forged or expired one)."""
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data = self._serializer.loads(raw, max_age=MAX_AGE_SECONDS)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return None
        staff_id = data.get("s")
        return Session(csrf=data["c"], staff_id=staff_id if isinstance(staff_id, int) else None)

    @staticmethod
    def new(staff_id: int | None = None) -> Session:
        """A fresh session with a new CSRF token (sign-in issues one, so a token seen before
        sign-in is worthless after it)."""
        return Session(csrf=secrets.token_urlsafe(32), staff_id=staff_id)

    def write(self, response: Response, session: Session) -> None:
        """Set the cookie on `response`."""
        response.set_cookie(
            COOKIE,
            self._serializer.dumps({"s": session.staff_id, "c": session.csrf}),
            max_age=MAX_AGE_SECONDS,
            path="/",
            httponly=True,
            samesite="lax",
            secure=self.secure,
        )

    def clear(self, response: Response) -> None:
        """Remove the cookie (sign out)."""
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=self.secure)
