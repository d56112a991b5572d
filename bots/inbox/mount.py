"""Mount the staff web inbox and the playground on the app (always on)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from bots.inbox.actions import action_routes
from bots.inbox.auth import auth_routes
from bots.inbox.conversation import ConversationPages, conversation_routes
from bots.inbox.playground import PlaygroundSender, playground_routes
from bots.inbox.queue import queue_routes
from bots.inbox.saved_replies import saved_reply_routes
from bots.inbox.web import Inbox, PageError, SignInRequired
from bots.service import Service

STATIC = Path(__file__).parent / "static"


def mount_inbox(app: FastAPI, service: Service) -> Inbox:
    """Add /inbox (sign-in, queue, conversations, saved replies) and /playground to `app`, and
    register the playground's channel on the switchboard."""
    inbox = Inbox(service)
    app.state.inbox = inbox
    service.switchboard.add_sender(PlaygroundSender())
    pages = ConversationPages(inbox)

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        return inbox.error_page(request, exc)

    async def sign_in_first(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        return inbox.to_sign_in(request, exc)

    app.add_exception_handler(PageError, refused)
    app.add_exception_handler(SignInRequired, sign_in_first)
    app.include_router(auth_routes(inbox))
    app.include_router(queue_routes(inbox))
    app.include_router(conversation_routes(pages))
    app.include_router(action_routes(inbox, pages))
    app.include_router(saved_reply_routes(inbox))
    app.include_router(playground_routes(inbox))
    app.mount("/inbox/static", StaticFiles(directory=STATIC), name="inbox-static")
    return inbox
