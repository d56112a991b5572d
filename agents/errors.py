"""frontdesk's exceptions, split by who must act.

FrontdeskError
├── ConfigurationError          the operator must fix a setting or a file
│   └── UnknownDeskError        a desk name nobody knows
├── ChannelError                a channel (Slack, WhatsApp, console) failed
│   └── SendError               a reply could not be sent
│       ├── TransientSendError  worth retrying (rate limit, connection, 5xx)
│       └── PermanentSendError  never worth retrying (invalid number, outside window)
├── ModelError                  a model provider could not answer
│   ├── ModelUnavailableError   HTTP errors, timeouts, overload after retries
│   └── BadToolCallError        the model asked for a tool wrongly
└── BackendError                the business system refused a request (told to the model)

A request without a valid vendor signature is not an exception: each channel's adapter answers
it (401 for Slack, 403 for Twilio) where it checks it. A per-turn guard (handoffs, model calls,
A→B→A) is not one either: it is an outcome of the turn, which escalates.
"""

from __future__ import annotations


class FrontdeskError(Exception):
    """Root of every error frontdesk raises on purpose."""


class ConfigurationError(FrontdeskError):
    """A setting or a file the operator provides is missing or malformed."""


class ChannelError(FrontdeskError):
    """A channel adapter failed."""


class SendError(ChannelError):
    """A reply could not be delivered."""

    def __init__(self, reason: str, *, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class TransientSendError(SendError):
    """Delivery failed in a way that may succeed later."""

    def __init__(
        self, reason: str, *, code: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(reason, code=code)
        self.retry_after = retry_after


class PermanentSendError(SendError):
    """Delivery failed in a way that retrying cannot fix."""


class ModelError(FrontdeskError):
    """A model provider could not produce an answer."""


class ModelUnavailableError(ModelError):
    """The provider kept failing (HTTP errors, timeouts, overload) after its retries."""


class BadToolCallError(ModelError):
    """The model called a tool that does not exist or with arguments that do not fit."""


class UnknownDeskError(ConfigurationError):
    """A desk name that no agent answers to."""


class BackendError(FrontdeskError):
    """The business system refused a request (unknown record, rule broken); the reason is safe
    to show to the model."""
