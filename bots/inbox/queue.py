"""The queue (`/inbox`): conversations, newest activity first, filtered by owner state, channel,
desk and language, with the "Unclaimed" and "Mine" views; the list refreshes itself."""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from bots.inbox.formatting import CHANNEL_LABELS, DESKS, LANGUAGE_LABELS, STATUS_LABELS
from bots.inbox.web import Inbox, SignedIn, Staff, unchanged
from storage.queue import QueueFilter

VIEWS = {"all": "All", "unclaimed": "Unclaimed", "mine": "Mine"}
STATUSES = {"escalated": "Waiting or with a person", **STATUS_LABELS}


def queue_routes(inbox: Inbox) -> APIRouter:
    """GET /inbox (the page) and GET /inbox/queue (its live list)."""
    router = APIRouter()

    def choices(request: Request) -> dict[str, str]:
        """The view and filters asked for, each checked against what exists."""
        asked = request.query_params
        channels = _channels(inbox)
        allowed = {
            "view": VIEWS,
            "status": STATUSES,
            "channel": channels,
            "desk": DESKS,
            "language": LANGUAGE_LABELS,
        }
        return {
            name: value
            for name, options in allowed.items()
            if (value := asked.get(name, "")) in options
        }

    async def rows_html(request: Request, staff: Staff, chosen: dict[str, str]) -> str:
        view = chosen.get("view", "all")
        wanted = QueueFilter(
            status="waiting_human" if view == "unclaimed" else chosen.get("status"),
            channel=chosen.get("channel"),
            desk=chosen.get("desk"),
            language=chosen.get("language"),
            holder_ref=staff.actor.ref if view == "mine" else None,
        )
        rows = await inbox.store.run(inbox.store.inbox_queue, wanted)
        template = inbox.templates.get_template("_queue_rows.html")
        return template.render(rows=rows, view=view, me=staff.actor.ref)

    @router.get("/inbox")
    async def queue_page(request: Request, staff: SignedIn) -> Response:
        chosen = choices(request)
        rows = await rows_html(request, staff, chosen)
        counts = await inbox.store.run(inbox.store.inbox_counts, staff.actor.ref)
        query = urlencode(chosen)
        return inbox.render(
            request,
            "queue.html",
            {
                "rows_html": rows,
                "version": _version(rows),
                "query": query,
                "chosen": chosen,
                "view": chosen.get("view", "all"),
                "views": VIEWS,
                "counts": counts,
                "statuses": STATUSES,
                "channels": _channels(inbox),
                "filtered": any(
                    chosen.get(name) for name in ("status", "channel", "desk", "language")
                ),
                "view_links": {
                    name: "/inbox?" + urlencode({**chosen, "view": name}) for name in VIEWS
                },
            },
            staff=staff,
        )

    @router.get("/inbox/queue")
    async def queue_list(request: Request, staff: SignedIn) -> Response:
        chosen = choices(request)
        rows = await rows_html(request, staff, chosen)
        version = _version(rows)
        if unchanged(request, version):
            return Response(status_code=204)
        return inbox.render(
            request,
            "_queue.html",
            {"rows_html": rows, "version": version, "query": urlencode(chosen)},
            staff=staff,
        )

    return router


def _channels(inbox: Inbox) -> dict[str, str]:
    """The channels this service answers on, for the filter."""
    names = sorted(inbox.service.switchboard.senders)
    return {name: CHANNEL_LABELS.get(name, name.capitalize()) for name in names}


def _version(html: str) -> str:
    return hashlib.blake2b(html.encode(), digest_size=8).hexdigest()
