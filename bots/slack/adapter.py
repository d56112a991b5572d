"""The Slack channel: a Bolt AsyncApp behind POST /slack/events, and the `slack` sender.

Events, interactivity and slash commands share the one path. Each accepted event is stored
through `Switchboard.receive()` before Slack gets its 200; the dispatcher answers afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from slack_bolt import BoltResponse
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.error import BoltUnhandledRequestError
from slack_sdk.signature import SignatureVerifier

from bots.error_boundary import describe
from bots.service import Service
from bots.slack.client import BotIdentity, ProfileDirectory, SlackConnection
from bots.slack.events import SlackInbox
from bots.slack.payloads import PayloadError, read_payload
from bots.slack.sender import SlackSender
from bots.slack.staff import SlackStaffChannel
from storage.base import DatabaseUnavailable

log = logging.getLogger(__name__)

PATH = "/slack/events"


def mount_slack(app: FastAPI, service: Service) -> None:
    """Add POST /slack/events and the `slack` sender when Slack is configured."""
    settings = service.settings
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    )
    if not (token and secret):
        log.info("Slack disabled: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to serve %s", PATH)
        return
    connection = SlackConnection(
        token=token,
        base_url=settings.slack_api_url,
        timeout_seconds=settings.slack_timeout_seconds,
    )
    service.closers.append(connection.close)
    service.switchboard.add_sender(
        SlackSender(connection, interval_seconds=settings.slack_send_interval_seconds)
    )
    bolt = build_bolt_app(service, connection, secret)
    if settings.staff_slack_channel:
        staff = SlackStaffChannel(
            connection=connection,
            store=service.store,
            ownership=service.switchboard.ownership,
            profiles=ProfileDirectory(connection),
            channel=settings.staff_slack_channel,
            allowed_users=frozenset(_split(settings.staff_slack_users)),
            note_prefixes=tuple(_split(settings.staff_note_prefixes)),
            console=settings.staff_slack_mode == "console",
        )
        staff.register(bolt)
        service.switchboard.set_staff_channel(staff)
        log.info(
            "Slack staff channel: %s (%s)", settings.staff_slack_channel, settings.staff_slack_mode
        )
    app.state.slack_bolt = bolt
    handler = AsyncSlackRequestHandler(bolt)
    verifier = SignatureVerifier(secret)
    max_text = settings.max_message_chars

    @app.post(PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        # Bolt checks the signature too, but it turns a malformed timestamp or an unparsable
        # unsigned body into a 500; anything not signed by Slack gets a plain 401 here first.
        if not _signed(verifier, body, request.headers):
            log.warning("Slack request rejected: missing, bad or stale signature")
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        try:
            read_payload(body, request.headers.getlist("content-type"), max_text=max_text)
        except PayloadError as problem:
            log.warning("Slack request rejected: %s", problem)
            return JSONResponse({"error": str(problem)}, status_code=400)
        if retry := request.headers.get("x-slack-retry-num"):
            reason = request.headers.get("x-slack-retry-reason")
            log.info("Slack retry %s (%s); a stored event is not stored twice", retry, reason)
        connection.open()  # the shared session, opened inside the running loop
        return await handler.handle(request)

    log.info("Slack enabled: POST %s (Web API %s)", PATH, settings.slack_api_url)


def build_bolt_app(service: Service, connection: SlackConnection, secret: str) -> AsyncApp:
    """The Bolt app: DMs, mentions and thread follow-ups go to the switchboard."""
    bolt_log = logging.getLogger("bots.slack.bolt")
    bolt_log.addFilter(_same_token_notice)
    bolt = AsyncApp(
        name="frontdesk",
        client=connection.client,
        signing_secret=secret,
        authorize=_authorize(BotIdentity(connection)),
        # Listeners run before the HTTP response, so an acknowledged event is already stored.
        process_before_response=True,
        # Bolt would answer 404 to what no listener handles; Slack counts that as a failure and
        # may disable the app, so the error handler below turns it into a 200.
        raise_error_for_unhandled_request=True,
        attaching_conversation_kwargs_enabled=False,
        logger=bolt_log,
    )
    bolt.error(_on_error)
    inbox = SlackInbox(service.switchboard, service.store, ProfileDirectory(connection))
    staff_channel = service.settings.staff_slack_channel

    async def outside_staff_channel(event: dict[str, Any]) -> bool:
        # The staff channel's threads belong to the staff desk, which registers its own
        # listeners; Bolt runs only the first listener that matches.
        return staff_channel is None or event.get("channel") != staff_channel

    # Every other message event, subtypes included, reaches the inbox, which ignores what is not
    # a person writing; Bolt's own middleware already acknowledged our bot's messages.
    bolt.event("message", matchers=[outside_staff_channel])(inbox.on_event)
    bolt.event("app_mention", matchers=[outside_staff_channel])(inbox.on_event)
    return bolt


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _authorize(identity: BotIdentity) -> Callable[[], Awaitable[AuthorizeResult]]:
    # Bolt passes arguments by the names it finds in the signature; a bound method's `self`
    # would confuse it, so it gets a plain function.
    async def authorize() -> AuthorizeResult:
        return await identity.authorize()

    return authorize


def _same_token_notice(record: logging.LogRecord) -> bool:
    # Bolt warns that the token (the client's, or SLACK_BOT_TOKEN read from the environment) is
    # set aside for `authorize`; it is the same token, so the warning would only mislead.
    message = record.getMessage()
    return not ("`token`" in message and ("will be unused" in message or "ignored" in message))


async def _on_error(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
    if isinstance(error, BoltUnhandledRequestError):
        event = body.get("event")
        kind = event.get("type") if isinstance(event, dict) else body.get("type")
        log.debug("Slack %s acknowledged and ignored", kind)
        return BoltResponse(status=200, body="")
    if isinstance(error, DatabaseUnavailable):
        log.warning("Slack event refused, the database is unavailable: %s", error)
        return BoltResponse(status=503, body="")
    # Anything else keeps Bolt's 500, so that Slack retries what we failed to store. The log
    # line says what and where, not the exception's text, which may quote the message.
    log.error("Slack request failed: %s", describe(error))
    return None


def _signed(verifier: SignatureVerifier, body: bytes, headers: Mapping[str, str]) -> bool:
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not timestamp.isdigit() or not signature:
        return False
    try:
        # is_valid also refuses a timestamp more than five minutes from now (replays).
        return verifier.is_valid(body, timestamp, signature)
    except UnicodeDecodeError:
        return False
