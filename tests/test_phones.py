"""WhatsApp addresses: one canonical identity per person; business-scoped ids untouched."""

from __future__ import annotations

import pytest

from bots.whatsapp.phones import canonical_e164, parse_address


@pytest.mark.parametrize(
    ("forms", "canonical"),
    [
        (["+5215512345678", "+525512345678", "+52 1 55 1234 5678"], "+525512345678"),
        (["+5491123456789", "+541123456789", "+54 9 11 2345-6789"], "+5491123456789"),
        (["+5511987654321", "+551187654321", "+55 (11) 98765-4321"], "+5511987654321"),
        (["+14155550100", "+1 (415) 555-0100"], "+14155550100"),
    ],
)
def test_every_form_of_one_number_has_one_canonical_form(forms: list[str], canonical: str) -> None:
    assert {canonical_e164(form) for form in forms} == {canonical}
    assert {parse_address(f"whatsapp:{form}").identity for form in forms} == {
        f"whatsapp:{canonical}"
    }


def test_brazilian_landlines_keep_their_eight_digits() -> None:
    assert canonical_e164("+551133334444") == "+551133334444"


def test_raw_sender_and_phone_are_both_kept() -> None:
    address = parse_address("whatsapp:+5215512345678")
    assert address.raw == "whatsapp:+5215512345678"
    assert address.identity == "whatsapp:+525512345678"
    assert address.phone == "+525512345678"
    assert address.locale is None  # the phone number already says the country


@pytest.mark.parametrize(
    "raw", ["whatsapp:BR.1234567890123456789", "whatsapp:US.13491208655302741918"]
)
def test_business_scoped_ids_are_kept_as_they_are(raw: str) -> None:
    address = parse_address(raw)
    assert address.identity == raw
    assert address.phone is None


def test_business_scoped_ids_give_a_language_prior_from_their_country() -> None:
    assert parse_address("whatsapp:BR.1234").locale == "pt-BR"
    assert parse_address("whatsapp:MX.1234").locale == "es-MX"
    assert parse_address("whatsapp:JP.1234").locale is None


@pytest.mark.parametrize("value", ["5215512345678", "+52", "+52abc", "", "whatsapp:hello"])
def test_things_that_are_not_international_numbers_are_not_phones(value: str) -> None:
    assert canonical_e164(value) is None


def test_unknown_forms_are_never_rewritten() -> None:
    address = parse_address("whatsapp:something-else")
    assert (address.identity, address.phone) == ("whatsapp:something-else", None)
