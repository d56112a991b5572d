"""Topic keywords and ids the offline model acts on, in en, es and pt."""

from __future__ import annotations

import pytest

from agents.intents import (
    find_customer_ids,
    find_invoice_ids,
    find_ticket_ids,
    fold,
    is_greeting,
    mentions,
)


@pytest.mark.parametrize(
    "text", ["hola", "Hola!!", "buenas tardes", "Oi, bom dia!", "hi there", "Olá, tudo bem?"]
)
def test_greetings(text: str) -> None:
    assert is_greeting(text)


@pytest.mark.parametrize(
    "text", ["", "hola, mi internet no funciona", "gracias", "buenas, quiero pagar", "dia"]
)
def test_not_only_a_greeting(text: str) -> None:
    assert not is_greeting(text)


def test_ids_are_found_and_normalised() -> None:
    assert find_invoice_ids("inv1042 y la INV-1041, otra vez inv 1042") == ("INV-1042", "INV-1041")
    assert find_ticket_ids("ticket 4412") == ("T-4412",)
    assert find_ticket_ids("el #4412") == ("T-4412",)
    assert find_ticket_ids("chamado nº 4412 e t-4413") == ("T-4412", "T-4413")
    assert find_ticket_ids("la factura INV-1042") == ()
    assert find_customer_ids("mi cuenta es c1001") == ("C-1001",)


def test_folding_removes_accents_case_and_punctuation() -> None:
    assert fold("¡COBRANÇA, Señal!  Não…") == "cobranca senal nao"


def test_topics_used_by_the_offline_model() -> None:
    assert mentions("me devuelven el dinero? quiero un reembolso", "refund")
    assert mentions("¿Cómo pago?", "how_to_pay")
    assert not mentions("quiero ver mi factura", "how_to_pay")
    assert mentions("la internet está caída", "outage")
    assert not mentions("mi internet está lento", "outage")
