"""Cross-site request forgery: every unsafe inbox request must come from the inbox itself.

Two checks, both required:
- its `Origin` (or, when a browser sends none, its `Referer`) names this site: the host the
  request was sent to, or `FRONTDESK_PUBLIC_URL`'s origin;
- it carries the session's CSRF token.

The host comparison ignores the scheme and default ports: behind a TLS-terminating proxy the app
sees `http` while the browser says `https://frontdesk.example.com`, and both name one server.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from starlette.requests import Request

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str | None) -> str | None:
    """`scheme://host[:port]` of a URL, lower-case, without a default port; None if it has none."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[parts.scheme]:
        host = f"{host}:{port}"
    return f"{parts.scheme}://{host}"


def _host(origin: str) -> str:
    return origin.split("://", 1)[1]


def _request_host(request: Request) -> str | None:
    host = request.headers.get("host")
    if not host:
        return None
    own = origin_of(f"{request.url.scheme}://{host}")
    return _host(own) if own else None


def cross_site(request: Request, public_origin: str | None) -> str | None:
    """Why the request does not come from this site, or None when it does."""
    claimed = request.headers.get("origin")
    source = origin_of(claimed) if claimed and claimed != "null" else None
    if source is None:
        source = origin_of(request.headers.get("referer"))
    if source is None:
        return "the request did not say which site sent it (no Origin or Referer header)"
    if public_origin is not None and source == public_origin:
        return None
    own = _request_host(request)
    if own and _host(source) == own:
        return None
    return f"the request came from {source}, another site"


def bad_token(expected: str, submitted: str | None) -> str | None:
    """Why the submitted CSRF token is not the session's, or None when it is."""
    if not submitted:
        return "the form carried no CSRF token; reload the page and try again"
    if not hmac.compare_digest(expected.encode(), submitted.encode()):
        return "the form's CSRF token is not this session's; reload the page and try again"
    return None
