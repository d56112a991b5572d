"""twilio's HTTP seam for frontdesk: one aiohttp session, a timeout, no retries, any base URL.

twilio's own `AsyncTwilioHttpClient` opens its session at construction (outside the event
loop) and its retrying variant resends POSTs on 5xx, which can double a message, so this
replaces it. `TWILIO_API_URL`, when set, replaces the scheme and host of every `*.twilio.com`
URL the SDK builds, for tests and proxies.
"""

from __future__ import annotations

import base64
import logging
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
from twilio.http import AsyncHttpClient
from twilio.http.response import Response

log = logging.getLogger(__name__)


def rewrite_url(url: str, api_url: str | None) -> str:
    """`url` with its `*.twilio.com` origin replaced by `api_url` (kept as is otherwise)."""
    if not api_url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host != "twilio.com" and not host.endswith(".twilio.com"):
        return url
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    return api_url.rstrip("/") + rest


class TwilioHttp(AsyncHttpClient):  # type: ignore[misc]
    """An async HTTP client for `twilio.rest.Client` with an explicit timeout and no retries."""

    CONNECTION_ERRORS = (aiohttp.ClientError, TimeoutError)

    def __init__(self, *, timeout: float, api_url: str | None = None) -> None:
        super().__init__(logging.getLogger("twilio.http_client"), True, timeout)
        self.api_url = api_url
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        # Opened on first use, inside the running event loop, as aiohttp requires.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        """Make one request; connection errors and timeouts propagate to the caller."""
        url = rewrite_url(uri, self.api_url)
        async with self._client().request(
            method.upper(),
            url,
            params=_pairs(params) or None,
            data=urlencode(_pairs(data)) if data else None,
            headers={**(headers or {}), **_basic_auth(auth)},
            timeout=aiohttp.ClientTimeout(total=timeout or self.timeout),
            allow_redirects=allow_redirects,
        ) as response:
            text = await response.text()
            log.debug("Twilio %s %s → %s", method.upper(), urlsplit(url).path, response.status)
            return Response(response.status, text, response.headers)

    async def download(self, url: str, auth: tuple[str, str]) -> tuple[bytes, str | None]:
        """Fetch a media URL with the account's credentials; returns (content, content type).

        Twilio answers media URLs with a redirect to short-lived storage; aiohttp drops the
        Authorization header when the redirect leaves the host.
        """
        async with self._client().get(
            rewrite_url(url, self.api_url), headers=_basic_auth(auth)
        ) as response:
            response.raise_for_status()
            return await response.read(), response.headers.get("Content-Type")

    async def close(self) -> None:
        """Close the session, if one was opened."""
        if self._session is not None:
            await self._session.close()
            self._session = None


def _basic_auth(auth: tuple[str, str] | None) -> dict[str, str]:
    # Built by hand: aiohttp.BasicAuth is deprecated and its replacement is recent.
    if not auth:
        return {}
    token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def _pairs(values: dict[str, object] | None) -> list[tuple[str, str]]:
    """Form or query pairs; list values (MediaUrl) become repeated keys, as Twilio expects."""
    pairs: list[tuple[str, str]] = []
    for key, value in (values or {}).items():
        items: list[Any] | tuple[Any, ...] = value if isinstance(value, list | tuple) else [value]
        pairs.extend((key, str(item)) for item in items if item is not None)
    return pairs
