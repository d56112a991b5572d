"""Language detection of customer chat messages, with the conversation, phone and locale priors."""

from __future__ import annotations

import pytest

from handoffs.language import (
    SUPPORTED,
    LanguageGuess,
    detect_language,
    language_from_locale,
    language_from_phone,
)


@pytest.mark.parametrize("text", ["ok", "👍", "#4412", "", "   ", "\n", "k", "A-1001 🙏"])
@pytest.mark.parametrize("conversation", ["es", "pt"])
def test_texts_without_words_keep_the_conversation_language(text: str, conversation: str) -> None:
    guess = detect_language(text, conversation_language=conversation, prior_language="en")
    assert guess == LanguageGuess(language=conversation, source="conversation", confidence=0.0)


@pytest.mark.parametrize(("text", "conversation"), [("hola", "pt"), ("oi", "es"), ("sim", "en")])
def test_a_bare_greeting_or_yes_keeps_the_conversation_language(
    text: str, conversation: str
) -> None:
    assert detect_language(text, conversation_language=conversation).language == conversation


@pytest.mark.parametrize(
    ("text", "conversation", "expected"),
    [("obrigado", "es", "pt"), ("gracias", "pt", "es"), ("thanks", "pt", "en")],
)
def test_an_unambiguous_thanks_switches_the_language(
    text: str, conversation: str, expected: str
) -> None:
    guess = detect_language(text, conversation_language=conversation)
    assert (guess.language, guess.source) == (expected, "text")
    assert 0.5 < guess.confidence <= 1.0


@pytest.mark.parametrize("prior", [None, "en", "es", "pt"])
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("quiero saber el saldo de mi factura", "es"),
        ("quero falar com um atendente", "pt"),
        ("I want to cancel my plan", "en"),
        ("ok, pero cuándo llega el delivery?", "es"),
        ("hi, meu pedido não chegou", "pt"),
        ("hola, I need help with my order", "en"),
    ],
)
def test_a_clear_sentence_wins_over_any_prior(text: str, prior: str | None, expected: str) -> None:
    guess = detect_language(text, prior_language=prior)
    assert (guess.language, guess.source) == (expected, "text")


@pytest.mark.parametrize("conversation", ["en", "es", "pt"])
def test_a_clear_sentence_switches_the_conversation_language(conversation: str) -> None:
    guess = detect_language(
        "quero cancelar minha assinatura agora", conversation_language=conversation
    )
    assert guess.language == "pt"


def test_an_unsure_first_message_falls_back_to_the_prior_then_the_default() -> None:
    assert detect_language("ok", prior_language="pt") == LanguageGuess(
        language="pt", source="prior", confidence=0.0
    )
    assert detect_language("👍") == LanguageGuess(language="en", source="default", confidence=0.0)
    assert detect_language("👍", default_language="es").language == "es"
    assert detect_language("pedido 48213", prior_language="es").language == "es"
    assert detect_language("pedido 48213", prior_language="pt").language == "pt"


def test_hola_opens_a_new_conversation_in_spanish() -> None:
    guess = detect_language("hola")
    assert (guess.language, guess.source) == ("es", "text")
    assert detect_language("oi").language == "pt"
    assert detect_language("obrigado", prior_language="es").language == "pt"


def test_the_conversation_outranks_the_prior() -> None:
    guess = detect_language("ok", conversation_language="es", prior_language="pt")
    assert (guess.language, guess.source) == ("es", "conversation")


def test_unsupported_context_languages_are_ignored() -> None:
    assert detect_language("ok", conversation_language="fr", prior_language="pt").language == "pt"
    with pytest.raises(ValueError, match="unsupported default language"):
        detect_language("ok", default_language="fr")


def test_the_guess_is_always_a_supported_language() -> None:
    for text in ["спасибо", "谢谢", "?!", "lol", "kkkkk", "jajaja", "x" * 5000]:
        guess = detect_language(text, conversation_language="es")
        assert guess.language in SUPPORTED
        assert 0.0 <= guess.confidence <= 1.0


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("+5215512345678", "es"),
        ("whatsapp:+5215512345678", "es"),
        ("+5511987654321", "pt"),
        ("whatsapp:+5511987654321", "pt"),
        ("+351912345678", "pt"),
        ("+34612345678", "es"),
        ("+5491112345678", "es"),
        ("+593991234567", "es"),
        ("+18095551234", "es"),  # Dominican Republic shares +1.
        ("+14155550100", None),  # The US says nothing about the language.
        ("+447700900123", None),
        ("+61412345678", None),
        ("+33612345678", None),
        ("5511987654321", None),  # Not E.164: the country is unknowable.
        ("", None),
        (None, None),
    ],
)
def test_language_from_phone(phone: str | None, expected: str | None) -> None:
    assert language_from_phone(phone) == expected


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("es-LA", "es"),
        ("es-ES", "es"),
        ("pt-BR", "pt"),
        ("pt_PT", "pt"),
        ("en-US", "en"),
        ("EN-GB", "en"),
        ("fr-FR", None),
        ("", None),
        (None, None),
    ],
)
def test_language_from_locale(locale: str | None, expected: str | None) -> None:
    assert language_from_locale(locale) == expected
