"""What the logs may show: no tokens, phone numbers or message texts at INFO, nor at DEBUG
unless FRONTDESK_LOG_MESSAGE_TEXT says so.

- uvicorn's access log writes each request's path with its query string, where a client may put
  the API token (`?token=`) or a customer's number (`/api/conversations?contact=`); a filter on
  the `uvicorn.access` logger cuts the query off before any handler formats the line.
- At DEBUG the Slack SDK logs every Web API call with its body (reply texts), and the OpenAI and
  Anthropic SDKs log each request's options (the prompt); those loggers are held at INFO unless
  the setting lets texts through.
- httpx logs every request URL at INFO; it is held at WARNING, as `frontdesk serve` always did,
  so that whatever a URL carries stays out (set here too for apps built without the CLI).
"""

from __future__ import annotations

import logging

from bots.settings import Settings

ACCESS_LOGGER = "uvicorn.access"
# SDK loggers whose DEBUG lines carry message texts.
TEXT_LOGGERS = ("slack_sdk", "slack_bolt", "openai", "anthropic")


class DropQueryStrings(logging.Filter):
    """Removes the query string from paths in uvicorn's access log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn logs (client, method, path with query, HTTP version, status) as arguments and
        # its formatter unpacks exactly those five, so the tuple keeps its shape.
        if isinstance(record.args, tuple):
            record.args = tuple(_without_query(arg) for arg in record.args)
        return True


def _without_query(value: object) -> object:
    if isinstance(value, str) and value.startswith("/") and "?" in value:
        return value.split("?", 1)[0]
    return value


def protect_logs(settings: Settings) -> None:
    """Install the access-log filter (once) and set the SDK loggers for `settings`."""
    access = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, DropQueryStrings) for existing in access.filters):
        access.addFilter(DropQueryStrings())
    level = logging.NOTSET if settings.log_message_text else logging.INFO
    for name in TEXT_LOGGERS:
        logging.getLogger(name).setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
