"""WhatsApp addresses: one canonical identity per person, whatever form WhatsApp used.

WhatsApp spells some numbers in forms that are not the person's E.164 number, so one person can
arrive as two senders. The canonical forms, one per person:

- Mexico: +52 and the 10-digit number. WhatsApp's "+521..." keeps the mobile "1" that Mexico
  dropped in 2019; it is removed.
- Argentina: +54 9 and the 10-digit number. The 9 marks a mobile in international format (how
  the number is dialled from abroad, and the form WhatsApp uses); "+54..." without it gains it.
- Brazil: mobiles with the ninth digit, +55 AA 9XXXXXXXX. Accounts registered before the 9 was
  added arrive as +55 AA XXXXXXXX (8 digits starting 6-9): the 9 is inserted. Landlines stay.

WhatsApp's business-scoped user ids ("BR.1234...": a country code, a dot, an opaque id) carry no
phone number and are kept exactly as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "whatsapp:"

_SCOPED_ID = re.compile(r"(?P<country>[A-Z]{2})\.[A-Za-z0-9_-]{1,128}")
_SEPARATORS = re.compile(r"[\s().\-]")
# ASCII digits only: str.isdigit() also takes Arabic-Indic and full-width digits, which are no
# E.164 number and would make a second identity for the same person.
_E164_DIGITS = re.compile(r"[0-9]{8,15}")

# Country (ISO 3166-1 alpha-2) → the language its customers are first answered in.
_SPANISH = "AR BO CL CO CR CU DO EC ES GQ GT HN MX NI PA PE PR PY SV UY VE"
_PORTUGUESE = "AO BR CV GW MZ PT ST TL"
COUNTRY_LANGUAGES = {
    **dict.fromkeys(_SPANISH.split(), "es"),
    **dict.fromkeys(_PORTUGUESE.split(), "pt"),
    **dict.fromkeys(["US", "CA", "GB", "IE", "AU", "NZ"], "en"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class WhatsAppAddress:
    """One WhatsApp sender: as Twilio gave it, and as frontdesk keys it."""

    raw: str
    identity: str
    phone: str | None = None
    country: str | None = None

    @property
    def locale(self) -> str | None:
        """A locale for senders without a phone number, from their id's country."""
        if self.phone is not None or self.country is None:
            return None
        language = COUNTRY_LANGUAGES.get(self.country)
        return f"{language}-{self.country}" if language else None


def canonical_e164(number: str) -> str | None:
    """The canonical E.164 form of a phone number ("+52 1 55 1234 5678" → "+525512345678").

    Returns None when `number` is not an international number (no "+", or not 8-15 digits).
    """
    cleaned = _SEPARATORS.sub("", number.strip().removeprefix(PREFIX))
    if not cleaned.startswith("+") or not _E164_DIGITS.fullmatch(cleaned, 1):
        return None
    return "+" + _canonical_digits(cleaned[1:])


def _canonical_digits(digits: str) -> str:
    if digits.startswith("521") and len(digits) == 13:
        return "52" + digits[3:]
    if digits.startswith("54") and len(digits) == 12 and digits[2] in "123":
        return "549" + digits[2:]
    if digits.startswith("55") and len(digits) == 12 and digits[4] in "6789":
        return digits[:4] + "9" + digits[4:]
    return digits


def parse_address(raw: str) -> WhatsAppAddress:
    """Read a Twilio WhatsApp address ("whatsapp:+5215512345678", "whatsapp:BR.1234...").

    Anything that is neither a phone number nor a business-scoped id is kept as it came, so an
    unknown form is never merged with someone else.
    """
    value = raw.strip()
    bare = value.removeprefix(PREFIX)
    scoped = _SCOPED_ID.fullmatch(bare)
    if scoped:
        return WhatsAppAddress(raw=value, identity=PREFIX + bare, country=scoped.group("country"))
    phone = canonical_e164(bare)
    if phone is None:
        return WhatsAppAddress(raw=value, identity=PREFIX + bare)
    return WhatsAppAddress(raw=value, identity=PREFIX + phone, phone=phone)


def mask(address: str) -> str:
    """An address fit for a log line: a number's country code and last four digits only.

    "whatsapp:+14155238886" → "whatsapp:+1…8886"; a business-scoped id keeps its country.
    """
    value = address.strip()
    prefix = PREFIX if value.startswith(PREFIX) else ""
    bare = value.removeprefix(PREFIX)
    if scoped := _SCOPED_ID.fullmatch(bare):
        return f"{prefix}{scoped.group('country')}.…"
    digits = "".join(ch for ch in bare if "0" <= ch <= "9")
    if len(digits) < 8:
        return f"{prefix}…"
    return f"{prefix}+{digits[0]}…{digits[-4:]}"
