"""Keyword rules shared by the router and the offline model, in en, es and pt."""

from __future__ import annotations

import pytest

from agents.intents import (
    DESKS,
    classify_desk,
    find_customer_ids,
    find_invoice_ids,
    find_ticket_ids,
    fold,
    is_greeting,
    mentions,
    wants_human,
)


@pytest.mark.parametrize(
    ("text", "desk"),
    [
        ("quiero saber el saldo de mi factura", "billing"),
        ("Quero a segunda via da minha FATURA", "billing"),
        ("I was charged twice, I want a refund", "billing"),
        ("¿puedo pagar con tarjeta?", "billing"),
        ("A COBRANÇA veio errada", "billing"),
        ("pago com pix ou boleto?", "billing"),
        ("quiero cancelar mi plan", "billing"),
        ("mi internet está muy lento", "support"),
        ("estou sem internet desde ontem", "support"),
        ("my router is not working", "support"),
        ("el módem no funciona y no hay señal", "support"),
        ("¿cómo va el ticket T-4412?", "support"),
        ("¿cuánto cuesta el plan de 300 megas?", "sales"),
        ("quero assinar o plano de fibra", "sales"),
        ("I want to sign up, what are your prices?", "sales"),
        ("quiero contratar internet", "sales"),
        ("¿tienen cobertura en Coyoacán?", "sales"),
    ],
)
def test_a_clear_topic_picks_its_desk_confidently(text: str, desk: str) -> None:
    guess = classify_desk(text)
    assert guess.desk == desk
    assert guess.confident
    assert guess.score(desk) == max(score for _, score in guess.scores)


def test_an_invoice_id_alone_is_billing_and_a_ticket_number_is_support() -> None:
    assert classify_desk("INV-1042").desk == "billing"
    assert classify_desk("INV-1042").confident
    assert classify_desk("#4412?").desk == "support"


def test_plan_alone_leans_to_sales_without_confidence() -> None:
    guess = classify_desk("plan")
    assert guess.desk == "sales"
    assert not guess.confident


@pytest.mark.parametrize("text", ["hola", "ok gracias", "", "👍"])
def test_no_topic_gives_no_desk(text: str) -> None:
    guess = classify_desk(text)
    assert guess.desk is None
    assert not guess.confident
    assert dict(guess.scores) == dict.fromkeys(DESKS, 0.0)


def test_a_tie_names_no_desk() -> None:
    guess = classify_desk("router factura")
    assert guess.score("support") == guess.score("billing") > 0
    assert guess.desk is None
    assert not guess.confident


def test_a_guess_is_frozen_and_hashable() -> None:
    guess = classify_desk("factura")
    assert hash(guess) == hash(classify_desk("factura"))
    with pytest.raises(AttributeError):
        guess.desk = "sales"  # type: ignore[misc]


@pytest.mark.parametrize(
    "text",
    [
        "quiero hablar con una persona",
        "¿me pasas con un humano?",
        "quero falar com alguém",
        "Quero falar com um atendente",
        "can I talk to a person please",
        "I need a representative",
        "let me speak to someone",
        "hablar con un agente",
        "PESSOA DE VERDADE por favor",
    ],
)
def test_asking_for_a_person_is_recognised(text: str) -> None:
    assert wants_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "quiero un plan para una persona",
        "hola",
        "my internet is slow",
        "quanto custa o plano pessoal?",
    ],
)
def test_other_messages_do_not_ask_for_a_person(text: str) -> None:
    assert not wants_human(text)


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
