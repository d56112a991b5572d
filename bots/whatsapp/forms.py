"""Twilio's webhook forms read into typed models: the incoming message and the status callback.

Twilio signs a request over the URL and every field's name and value joined with no separator,
so a signature does not fix where one field ends and the next begins: a captured webhook
re-sent as `MessageSid=SM…MessageTypetext` (MessageType folded into MessageSid) still
verifies. Each field is therefore held to the form Twilio gives it: SIDs are two capital
letters and 32 hex digits, the AccountSid is this deployment's, NumMedia is a small ASCII number
whose media URLs are all present and on Twilio's hosts, and no field comes twice. Fields Twilio
adds later are accepted and ignored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from bots.limits import MAX_LABEL_CHARS
from bots.reasons import one_line

SID_PATTERN = r"^[A-Z]{2}[0-9a-fA-F]{32}$"
MAX_MEDIA = 10  # Twilio sends at most ten attachments per message.
MAX_FORM_FIELDS = 200  # an inbound message with ten attachments has about 45
MAX_PARTS = 1_000
MAX_MESSAGE_ID = 2**63 - 1  # the largest row id SQLite and PostgreSQL's bigint hold

Sid = Annotated[str, StringConstraints(pattern=SID_PATTERN)]
AccountSid = Annotated[str, StringConstraints(pattern=r"^AC[0-9a-fA-F]{32}$")]
Address = Annotated[str, StringConstraints(max_length=200)]
Label = Annotated[str, StringConstraints(max_length=MAX_LABEL_CHARS)]
Coordinate = Annotated[str, StringConstraints(pattern=r"^-?[0-9]{1,3}(\.[0-9]{1,15})?$")]
Status = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_-]{1,32}$")]


class FormError(ValueError):
    """A signed Twilio request that is not one Twilio would send; the message is the reason."""


class ForeignAccount(FormError):
    """A signed request naming another Twilio account than TWILIO_ACCOUNT_SID."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Expected:
    """What this deployment's genuine Twilio requests carry."""

    account_sid: str
    api_url: str | None
    max_text: int  # FRONTDESK_MAX_MESSAGE_CHARS


def read_pairs(raw: str) -> list[tuple[str, str]]:
    """A form or query string's pairs in order, blank values kept (Twilio signs those too)."""
    try:
        return parse_qsl(raw, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError:
        raise FormError(f"more than {MAX_FORM_FIELDS} fields") from None


def unique_fields(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """The pairs as a mapping; Twilio never repeats a field, so a repeated one is refused."""
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise FormError(f"field {name[:40]!r} is repeated")
        fields[name] = value
    return fields


class _Form(BaseModel):
    model_config = ConfigDict(extra="allow", str_strip_whitespace=False)

    def sid(self, *candidates: str | None) -> str:
        """The one SID the form's SID fields agree on."""
        given = {sid for sid in candidates if sid}
        if not given:
            raise FormError("MessageSid is missing")
        if len(given) > 1:
            raise FormError("MessageSid, SmsMessageSid and SmsSid differ")
        return given.pop()


class InboundForm(_Form):
    """Twilio's incoming-message webhook, as far as frontdesk reads it."""

    account_sid: AccountSid = Field(alias="AccountSid")
    message_sid: Sid | None = Field(None, alias="MessageSid")
    sms_message_sid: Sid | None = Field(None, alias="SmsMessageSid")
    sms_sid: Sid | None = Field(None, alias="SmsSid")
    from_: Address = Field(alias="From")
    to: Address | None = Field(None, alias="To")
    wa_id: Annotated[str, StringConstraints(pattern=r"^[0-9]{0,15}$")] | None = Field(
        None, alias="WaId"
    )
    body: str = Field("", alias="Body")
    button_text: Label | None = Field(None, alias="ButtonText")
    profile_name: str | None = Field(None, alias="ProfileName")
    num_media: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,2}$")] = Field(
        "0", alias="NumMedia"
    )
    latitude: Coordinate | None = Field(None, alias="Latitude")
    longitude: Coordinate | None = Field(None, alias="Longitude")
    address: Label | None = Field(None, alias="Address")
    label: Label | None = Field(None, alias="Label")


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundFields:
    """An incoming message's checked fields."""

    sid: str
    sender: str
    to: str | None
    wa_id: str | None
    text: str
    profile_name: str | None
    media: tuple[tuple[str, str | None], ...]  # (URL, content type) per attachment
    location: tuple[str, str] | None
    place: str | None


def read_inbound(form: Mapping[str, str], expected: Expected) -> InboundFields:
    """Check an incoming-message form; raises FormError (ForeignAccount) with the reason."""
    given = _present(form)
    try:
        model = InboundForm.model_validate(given)
    except ValidationError as exc:
        raise FormError(one_line(exc, given)) from None
    if model.account_sid != expected.account_sid:
        raise ForeignAccount("AccountSid is not this deployment's TWILIO_ACCOUNT_SID")
    sid = model.sid(model.message_sid, model.sms_message_sid, model.sms_sid)
    text = model.button_text or model.body
    if len(model.body) > expected.max_text:
        raise FormError(f"Body is longer than {expected.max_text} characters")
    count = int(model.num_media)
    if count > MAX_MEDIA:
        raise FormError(f"NumMedia is more than {MAX_MEDIA}")
    extra = model.model_extra or {}
    media = []
    for index in range(count):
        url = extra.get(f"MediaUrl{index}")
        if not isinstance(url, str) or not media_url_allowed(url, expected.api_url):
            raise FormError(f"MediaUrl{index} is missing or not a Twilio media URL")
        content_type = extra.get(f"MediaContentType{index}") or None
        if content_type is not None and (len(content_type) > 255 or not content_type.isascii()):
            raise FormError(f"MediaContentType{index} is not a MIME type")
        media.append((url, content_type))
    location = None
    if model.latitude and model.longitude:
        if not (_within(model.latitude, 90) and _within(model.longitude, 180)):
            raise FormError("Latitude or Longitude is out of range")
        location = (model.latitude, model.longitude)
    place = ", ".join(part for part in (model.label, model.address) if part) or None
    return InboundFields(
        sid=sid,
        sender=model.from_,
        to=model.to,
        wa_id=model.wa_id or None,
        text=text,
        profile_name=model.profile_name,
        media=tuple(media),
        location=location,
        place=place,
    )


class StatusForm(_Form):
    """Twilio's status callback form."""

    account_sid: AccountSid = Field(alias="AccountSid")
    message_sid: Sid | None = Field(None, alias="MessageSid")
    sms_sid: Sid | None = Field(None, alias="SmsSid")
    message_status: Status | None = Field(None, alias="MessageStatus")
    sms_status: Status | None = Field(None, alias="SmsStatus")
    error_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{0,10}$")] | None = Field(
        None, alias="ErrorCode"
    )


class StatusQuery(_Form):
    """The query of the status callback URL our sender set (Twilio signs it with the form)."""

    message: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,19}$")] | None = None
    part: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,4}$")] = "1"
    parts: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,4}$")] = "1"
    first: Sid | None = None
    template: Annotated[str, StringConstraints(pattern=r"^[01]$")] | None = None

    def message_id(self) -> int | None:
        """The reply's row id, which must be a positive 64-bit integer."""
        if self.message is None:
            return None
        value = int(self.message)
        if not 1 <= value <= MAX_MESSAGE_ID:
            raise FormError("message is not a positive 64-bit integer")
        return value

    def part_numbers(self) -> tuple[int, int]:
        """(part, parts), each between 1 and MAX_PARTS."""
        part, parts = int(self.part), int(self.parts)
        if not (1 <= part <= MAX_PARTS and 1 <= parts <= MAX_PARTS):
            raise FormError(f"part and parts must be between 1 and {MAX_PARTS}")
        return part, parts


def read_status(
    form: Mapping[str, str], query: Mapping[str, str], expected: Expected
) -> tuple[StatusForm, StatusQuery]:
    """Check a status callback's form and query; raises FormError (ForeignAccount)."""
    given, asked = _present(form), _present(query)
    try:
        model = StatusForm.model_validate(given)
    except ValidationError as exc:
        raise FormError(one_line(exc, given)) from None
    try:
        where = StatusQuery.model_validate(asked)
    except ValidationError as exc:
        raise FormError("query " + one_line(exc, asked)) from None
    if model.account_sid != expected.account_sid:
        raise ForeignAccount("AccountSid is not this deployment's TWILIO_ACCOUNT_SID")
    return model, where


def _present(fields: Mapping[str, str]) -> dict[str, str]:
    # Twilio sends some fields blank (Body on a photo, WaId for some senders): blank is absent.
    return {name: value for name, value in fields.items() if value != ""}


def media_url_allowed(url: str, api_url: str | None) -> bool:
    """Whether `url` is on Twilio's hosts (https, *.twilio.com) or under TWILIO_API_URL."""
    if not url.isascii() or any(ch.isspace() or ch == "\\" for ch in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.username is not None or parts.password is not None:
        return False
    host = parts.hostname or ""
    if parts.scheme == "https" and (host == "twilio.com" or host.endswith(".twilio.com")):
        return True
    if not api_url:
        return False
    base = urlsplit(api_url.rstrip("/"))
    return (parts.scheme, parts.netloc) == (base.scheme, base.netloc) and parts.path.startswith(
        base.path + "/"
    )


def _within(coordinate: str, bound: int) -> bool:
    value = float(coordinate)
    return math.isfinite(value) and -bound <= value <= bound
