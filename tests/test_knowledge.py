"""The FAQ knowledge base: loading, checking and searching articles per language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agents.errors import ConfigurationError
from agents.intents import DESKS
from agents.knowledge import Article, KnowledgeBase, default_knowledge_dir


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    return KnowledgeBase.load(default_knowledge_dir())


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _slugs(articles: list[Article]) -> list[str]:
    return [article.slug for article in articles]


def test_the_packaged_faq_has_the_same_topics_in_each_language(knowledge: KnowledgeBase) -> None:
    assert knowledge.languages == ("en", "es", "pt")
    by_language: dict[str, set[str]] = {}
    for article in knowledge.articles:
        by_language.setdefault(article.language, set()).add(article.slug)
        assert article.title and article.body
        assert article.desk is None or article.desk in DESKS
    assert by_language["en"] == by_language["es"] == by_language["pt"]
    assert len(by_language["en"]) >= 8
    assert default_knowledge_dir().name == "faq"


@pytest.mark.parametrize(
    ("query", "language", "slug"),
    [
        ("como pago mi factura", "es", "paying-an-invoice"),
        ("¿Cómo puedo pagar con tarjeta en OXXO?", "es", "payment-methods"),
        ("mi internet está muy lento", "es", "slow-internet"),
        ("me voy a mudar de casa", "es", "moving-address"),
        ("¿Cuál es el horario de atención?", "es", "opening-hours"),
        ("quanto custa o plano de fibra", "pt", "plans-and-prices"),
        ("posso pagar com pix?", "pt", "paying-an-invoice"),
        ("quero um estorno", "pt", "refunds"),
        ("how do I restart my router", "en", "slow-internet"),
        ("is there a late fee if I pay after the due date", "en", "due-dates-and-late-fees"),
        ("I want to cancel", "en", "cancel-plan"),
    ],
)
def test_search_finds_the_article_that_answers(
    knowledge: KnowledgeBase, query: str, language: str, slug: str
) -> None:
    found = knowledge.search(query, language)
    assert found, query
    assert found[0].slug == slug
    assert {article.language for article in found} == {language}


def test_search_ignores_accents_and_case(knowledge: KnowledgeBase) -> None:
    plain = knowledge.search("cual es el horario de atencion", "es")
    accented = knowledge.search("¿CUÁL ES EL HORARIO DE ATENCIÓN?", "es")
    assert _slugs(plain) == _slugs(accented) != []


@pytest.mark.parametrize(
    ("query", "language"),
    [
        ("quiero pizza", "es"),
        ("hola", "es"),
        ("como que de la por", "es"),
        ("the weather is nice today", "en"),
        ("", "pt"),
        ("asdf qwer", "en"),
    ],
)
def test_search_returns_nothing_without_a_real_overlap(
    knowledge: KnowledgeBase, query: str, language: str
) -> None:
    assert knowledge.search(query, language) == []


def test_search_respects_the_limit(knowledge: KnowledgeBase) -> None:
    assert len(knowledge.search("factura pago vencimiento reembolso", "es", limit=2)) <= 2
    assert len(knowledge.search("factura pago vencimiento reembolso", "es", limit=1)) == 1


def test_a_language_without_articles_falls_back_to_english(knowledge: KnowledgeBase) -> None:
    found = knowledge.search("how do I pay my invoice", "fr")
    assert found and found[0].slug == "paying-an-invoice"
    assert found[0].language == "en"


def test_a_language_with_articles_does_not_fall_back(tmp_path: Path) -> None:
    _write(tmp_path, "en/pay.md", "# Paying\ndesk: billing\nPay your invoice by card.\n")
    _write(tmp_path, "es/pagar.md", "# Pagar\ndesk: billing\nPaga tu factura con tarjeta.\n")
    kb = KnowledgeBase.load(tmp_path)
    assert kb.search("invoice card", "es") == []
    assert _slugs(kb.search("factura tarjeta", "es")) == ["pagar"]
    assert _slugs(kb.search("factura tarjeta", "es-MX")) == ["pagar"]


def test_articles_are_parsed_with_optional_desk(tmp_path: Path) -> None:
    _write(tmp_path, "en/hours.md", "# Opening hours\n\nWe open at 8. We close at 20. Always.\n")
    _write(tmp_path, "en/pay.md", "# Paying\nDesk: Billing\nPay by card.\n")
    kb = KnowledgeBase.load(tmp_path)
    hours, pay = sorted(kb.articles, key=lambda article: article.slug)
    assert (hours.title, hours.desk, hours.language) == ("Opening hours", None, "en")
    assert hours.summary() == "We open at 8. We close at 20."
    assert (pay.title, pay.desk, pay.body) == ("Paying", "billing", "Pay by card.")


def test_a_missing_directory_is_a_configuration_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ConfigurationError, match="nowhere"):
        KnowledgeBase.load(missing)


def test_a_directory_without_articles_is_a_configuration_error(tmp_path: Path) -> None:
    _write(tmp_path, "notes.md", "# Not in a language folder\nbody\n")
    with pytest.raises(ConfigurationError, match=re.escape(str(tmp_path))):
        KnowledgeBase.load(tmp_path)


@pytest.mark.parametrize(
    "text",
    ["no title line\nbody\n", "# Title\ndesk: marketing\nbody\n", "# Title only\n", ""],
)
def test_a_malformed_article_is_named_in_the_error(tmp_path: Path, text: str) -> None:
    _write(tmp_path, "es/roto.md", text)
    with pytest.raises(ConfigurationError, match=r"roto\.md"):
        KnowledgeBase.load(tmp_path)
