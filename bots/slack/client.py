"""One shared Slack Web API client, the people it looks up, and its errors in our terms.

Every call (Bolt's auth.test, users.info, chat.postMessage) goes through one AsyncWebClient and
one aiohttp session, opened on first use inside the running event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from agents.errors import (
    ChannelError,
    ConfigurationError,
    PermanentSendError,
    SendError,
    TransientSendError,
)
from bots.limits import MAX_ID_CHARS, clip_name

log = logging.getLogger(__name__)

# The SDK waits out a short rate limit itself; a longer one goes back to the outbox, whose retry
# time is stored and so survives a restart, instead of holding the conversation's lock.
SDK_RATE_LIMIT_WAIT_SECONDS = 5
# Slack errors that retrying cannot fix (https://docs.slack.dev/reference/methods/chat.postMessage).
AUTH_ERRORS = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked"})
# Errors after which the message surely was not posted. Slack says internal_error and
# fatal_error may have partly succeeded, so those (and other 5xx) are not retried: a reply marked
# failed is visible to staff, a reply posted twice cannot be taken back.
TRANSIENT_ERRORS = frozenset({"ratelimited", "service_unavailable", "request_timeout"})


class _ShortRateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """The SDK's rate-limit retry, only when Slack asks for a short wait."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        ):
            return False
        assert response is not None  # the parent only retries a 429 response
        return (retry_after(response.headers) or 0) <= SDK_RATE_LIMIT_WAIT_SECONDS


class SlackConnection:
    """The AsyncWebClient every Slack call shares, with one aiohttp session and retries."""

    def __init__(self, *, token: str, base_url: str, timeout_seconds: float) -> None:
        handlers: list[AsyncRetryHandler] = [
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
            _ShortRateLimitRetry(max_retry_count=1),
        ]
        self.client = AsyncWebClient(
            token=token,
            base_url=base_url,
            timeout=max(1, round(timeout_seconds)),
            retry_handlers=handlers,
        )
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._closed = False

    def open(self) -> AsyncWebClient:
        """The client, its session opened if needed (call from inside the event loop)."""
        session = self.client.session
        if (session is None or session.closed) and not self._closed:
            # Without a session of its own the SDK opens and closes one per call.
            self.client.session = aiohttp.ClientSession(timeout=self._timeout)
        return self.client

    async def close(self) -> None:
        """Close the shared session (at shutdown, after the switchboard stopped)."""
        self._closed = True
        if self.client.session is not None and not self.client.session.closed:
            await self.client.session.close()


class BotIdentity:
    """Bolt's `authorize`: who our bot is (auth.test, once per process while it succeeds).

    A failure raises, which Bolt answers with a 500, so Slack retries the event later instead
    of it being acknowledged and lost (Bolt's built-in single-workspace check answers 200).
    """

    def __init__(self, connection: SlackConnection) -> None:
        self._connection = connection
        self._auth_test: AsyncSlackResponse | None = None

    async def authorize(self) -> AuthorizeResult:
        """The bot's ids and token for this request's context."""
        client = self._connection.open()
        if self._auth_test is None:
            try:
                self._auth_test = await client.auth_test()
            except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
                reason = _describe(exc)
                if reason in AUTH_ERRORS:
                    raise ConfigurationError(f"SLACK_BOT_TOKEN was refused: {reason}") from exc
                raise ChannelError(f"Slack auth.test failed: {reason}") from exc
        return AuthorizeResult.from_auth_test_response(
            auth_test_response=self._auth_test, bot_token=client.token
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SlackProfile:
    """What users.info tells us about a person."""

    name: str | None = None
    locale: str | None = None
    timezone: str | None = None


class ProfileDirectory:
    """users.info with a cache; a slow or failing lookup never holds up an event."""

    def __init__(
        self,
        connection: SlackConnection,
        *,
        wait_seconds: float = 1.0,
        ttl_seconds: float = 3600.0,
        size: int = 5000,
    ) -> None:
        self._connection = connection
        self._wait = wait_seconds
        self._ttl = ttl_seconds
        self._size = size
        self._cache: OrderedDict[str, tuple[float, SlackProfile]] = OrderedDict()

    async def lookup(self, user_id: str) -> SlackProfile:
        """The person's name, locale and time zone; empty when Slack does not answer in time."""
        cached = self._cache.get(user_id)
        if cached is not None and time.monotonic() - cached[0] < self._ttl:
            return cached[1]
        client = self._connection.open()
        try:
            # The lookup happens before Slack's 3-second acknowledgement, so it is kept short.
            response = await asyncio.wait_for(
                client.users_info(user=user_id, include_locale=True), self._wait
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("Slack users.info for %s failed: %s", user_id, _describe(exc))
            return cached[1] if cached is not None else SlackProfile()
        profile = _profile(response.get("user") or {})
        self._cache[user_id] = (time.monotonic(), profile)
        self._cache.move_to_end(user_id)
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return profile


def _profile(user: dict[str, Any]) -> SlackProfile:
    details = user.get("profile") or {}
    name = (
        details.get("display_name")
        or details.get("real_name")
        or user.get("real_name")
        or user.get("name")
    )
    return SlackProfile(
        name=clip_name(name if isinstance(name, str) else None),
        locale=_short(user.get("locale")),
        timezone=_short(user.get("tz")),
    )


def _short(value: Any) -> str | None:
    # A locale ("es-LA") or a time zone name ("America/Mexico_City"); anything else is dropped.
    return value if isinstance(value, str) and 0 < len(value) <= MAX_ID_CHARS else None


def send_error(exc: Exception) -> SendError:
    """Translate a Slack or network failure into a transient or permanent send error."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        error = str(data.get("error") or f"HTTP {status}")
        if status == 429 or error == "ratelimited":
            wait = retry_after(exc.response.headers)
            return TransientSendError(f"Slack rate limited ({error})", code=error, retry_after=wait)
        if status == 503 or error in TRANSIENT_ERRORS:
            return TransientSendError(f"Slack error {error}", code=error)
        # A well-formed refusal (invalid_auth, channel_not_found, not_in_channel,
        # is_archived, msg_too_long...) will be refused again.
        return PermanentSendError(f"Slack refused the message: {error}", code=error)
    return TransientSendError(f"Slack unreachable: {_describe(exc)}")


def retry_after(headers: Any) -> float | None:
    """Seconds from a Retry-After header, if there is a usable one."""
    for key, value in dict(headers or {}).items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return None
    return None


def _describe(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        return str(data.get("error") or f"HTTP {exc.response.status_code}")
    return str(exc) or type(exc).__name__
