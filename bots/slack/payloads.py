"""A signed Slack body, read into typed models before Bolt or our listeners see it.

Bolt and the inbox read a payload's fields as they find them: `body["event"]["type"]`, the
first of `actions`, `user` as an id or an object with one. A signed body with a field of another
JSON type (an `event` that is a list, a `user` that is a number, `actions: []`) made them raise,
and Slack got a 500 with a traceback. Here every field they read is given its type; anything
else is refused with a one-line reason before Bolt parses the body. Fields nobody reads are left
alone, since Slack adds new ones without notice.

The body is decoded the way Bolt decodes it (`slack_bolt.request.internals.parse_body`): JSON
when the content type is exactly `application/json` or the body starts with `{`, otherwise a
form whose `payload` field, if any, holds the JSON.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar
from urllib.parse import parse_qsl

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bots import bounded_json
from bots.limits import MAX_ID_CHARS, MAX_LABEL_CHARS
from bots.reasons import one_line
from bots.slack.formatting import to_plain

MESSAGE_EVENTS = frozenset({"message", "app_mention"})
MAX_FILES = 20  # Slack attaches at most 10 files to a message
MAX_FORM_FIELDS = 100  # a slash command sends about a dozen

SlackId = Annotated[str, StringConstraints(pattern=rf"^[A-Z0-9]{{1,{MAX_ID_CHARS}}}$")]
Timestamp = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,12}\.[0-9]{1,9}$")]
Label = Annotated[str, StringConstraints(max_length=MAX_LABEL_CHARS)]
Url = Annotated[str, StringConstraints(max_length=4_096)]


class PayloadError(ValueError):
    """A signed body that is not one Slack would send; the message is the reason."""


class _Open(BaseModel):
    # Slack adds fields freely; only the ones read are typed.
    model_config = ConfigDict(extra="allow")
    # Keys Bolt tests with `in` and then indexes: present, they must not be null.
    not_null: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _present_means_set(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in cls.not_null:
                if key in data and data[key] is None:
                    raise ValueError(f"{key} is null")
        return data


class Ref(_Open):
    """An object standing for a user, channel, team or enterprise: Bolt reads its `id`."""

    id: str | None = None


Who = str | Ref


class Carrier(_Open):
    """Any object Bolt searches for ids (`slack_bolt.request.internals.extract_*`).

    Bolt looks in the payload, then in its `event`, `message`, `previous_message`, `item`,
    `assistant_thread` and first authorization, and again inside each of those.
    """

    user: Who | None = None
    user_id: str | None = None
    channel: Who | None = None
    channel_id: str | None = None
    team: Who | None = None
    team_id: str | None = None
    enterprise: Who | None = None
    enterprise_id: str | None = None
    thread_ts: str | None = None
    function_execution_id: str | None = None
    bot_access_token: str | None = None
    message: Carrier | None = None
    previous_message: Carrier | None = None
    item: Carrier | None = None
    assistant_thread: Carrier | None = None
    authorizations: list[Carrier] | None = None


class Function(_Open):
    """The function of a `function_executed` event (Bolt matches its callback id)."""

    callback_id: str | None = None


class Event(Carrier):
    """The `event` of an Events API callback, whatever its type."""

    not_null = frozenset({"function", "workflow_step"})

    type: str
    subtype: str | None = None
    bot_id: str | None = None
    channel_type: str | None = None
    function: Function | None = None


class SlackFile(_Open):
    """A file shared in a message: what the inbox turns into a `Media`."""

    mimetype: Label | None = None
    url_private: Url | None = None
    title: Label | None = None
    name: Label | None = None


class MessageEvent(Event):
    """A message or app_mention event: what the inbox may store, so typed to the letter."""

    user: SlackId | None = None
    channel: SlackId
    ts: Timestamp | None = None
    thread_ts: Timestamp | None = None
    subtype: Annotated[str, StringConstraints(max_length=MAX_ID_CHARS)] | None = None
    text: str | None = None
    files: Annotated[list[SlackFile], Field(max_length=MAX_FILES)] | None = None

    @field_validator("text")
    @classmethod
    def _within_cap(cls, text: str | None, info: ValidationInfo) -> str | None:
        cap = (info.context or {}).get("max_text")
        # Measured as the inbox stores it: Slack's escapes undone, links spelled out.
        if text and cap and len(text) > cap and len(to_plain(text, bot_user_id=None)) > cap:
            raise ValueError(f"text is longer than {cap} characters")
        return text


class Action(_Open):
    """One element of `actions` in an interactivity payload."""

    action_id: str | None = None
    block_id: str | None = None
    type: str | None = None


class View(_Open):
    """A modal or Home tab view in an interactivity payload."""

    id: str | None = None
    type: str | None = None
    callback_id: str | None = None
    team_id: str | None = None
    app_installed_team_id: str | None = None


class ResponseUrl(_Open):
    """One of a view submission's `response_urls`."""

    response_url: str | None = None


class FunctionData(_Open):
    """The function an interactivity payload belongs to."""

    execution_id: str | None = None
    inputs: dict[str, Any] | None = None


class Envelope(Carrier):
    """Any Slack request body: an Events API callback, an interactivity payload, a command."""

    not_null = frozenset({"event", "actions", "view", "workflow_step", "response_urls"})

    type: str | None = None
    token: str | None = None
    api_app_id: str | None = None
    challenge: Annotated[str, StringConstraints(max_length=1_000)] | None = None
    event: Event | None = None
    event_id: str | None = None
    # Bolt reads the first action; an empty list made it raise IndexError.
    actions: Annotated[list[Action], Field(min_length=1)] | None = None
    action_id: str | None = None
    callback_id: str | None = None
    command: str | None = None
    view: View | None = None
    response_url: str | None = None
    response_urls: list[ResponseUrl] | None = None
    function_data: FunctionData | None = None
    workflow_step: dict[str, Any] | None = None


def read_payload(body: bytes, content_types: list[str], *, max_text: int) -> dict[str, Any]:
    """The body as Bolt will parse it, checked; raises PayloadError with the reason.

    `content_types` are the request's Content-Type header values (Bolt reads the last one, our
    check would read the first, so more than one is refused).
    """
    if len(content_types) > 1:
        raise PayloadError("more than one Content-Type header")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError("body is not UTF-8") from None
    # Bolt keeps the part before ";" as it is and compares it exactly.
    content_type = content_types[0].split(";")[0] if content_types else None
    document = _decode(text, content_type)
    try:
        envelope = Envelope.model_validate(document)
        if envelope.type == "event_callback" and envelope.event is None:
            raise PayloadError("event is missing")
        if envelope.event is not None and envelope.event.type in MESSAGE_EVENTS:
            try:
                MessageEvent.model_validate(document["event"], context={"max_text": max_text})
            except ValidationError as exc:
                raise PayloadError("event." + one_line(exc, document["event"])) from None
    except ValidationError as exc:
        raise PayloadError(one_line(exc, document)) from None
    return document


def _decode(text: str, content_type: str | None) -> dict[str, Any]:
    if content_type == "application/json" or text.startswith("{"):
        return _object(text)
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError:
        raise PayloadError(f"form has more than {MAX_FORM_FIELDS} fields") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        # Bolt reads the last of a repeated field; a check of the first would check another.
        raise PayloadError("form field repeated")
    if "payload" not in text:
        return fields
    payload = fields.get("payload")
    return _object(payload) if payload is not None else {}


def _object(text: str) -> dict[str, Any]:
    try:
        document = bounded_json.loads(text)
    except bounded_json.JSONTooDeep as exc:
        raise PayloadError(str(exc)) from None
    except ValueError:
        raise PayloadError("body is not valid JSON") from None
    if not isinstance(document, dict):
        raise PayloadError("body is not a JSON object")
    return document
