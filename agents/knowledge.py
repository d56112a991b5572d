"""The FAQ knowledge base: markdown articles per language, searched with BM25.

Layout: `<dir>/<lang>/<slug>.md`; first line `# Title`, an optional `desk: <desk>` line, then
the body. Matching is accent-insensitive, ignores stop words, and compares Snowball stems
of each language (measured against the crude suffix list it replaced in `infra/bench`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import snowballstemmer

from agents.errors import ConfigurationError
from agents.intents import DESKS, fold

_K1 = 1.5
_B = 0.75
# IDF is computed as if there were at least this many articles, so a language with only a few
# still rewards a shared word; with it, one rare word in common scores about 2.5, and a word
# found in most articles well below the minimum.
_MIN_DOCUMENTS = 20
_MIN_SCORE = 1.0
_RELATIVE_CUTOFF = 0.4

_STOP_TEXT = (
    # English
    "a an the of to in on at and or is are was be been i im i m my me you your it its this that "
    "for with without how what when where which who can could do does did want would like "
    "please hi hello hey thanks thank need help know about have has get got from there here "
    "just some any so if not no yes will am tell all also now more "
    # Spanish
    "el la los las un una unos unas de del al en y o u que mi mis tu tus su sus es son por para "
    "con sin como cual cuando donde quiero quisiera puedo puede pueden hay me te se lo le les "
    "yo nos esto esta este estos estas eso ese esa muy mas ya si pero tengo tiene hacer favor "
    "hola gracias saber necesito ayuda ayudar buenas buenos dias tardes usted ustedes algo "
    "todo todos toda todas tambien aqui ahora bien "
    # Portuguese
    "os as um uma do da dos das no na nos nas e ou meu minha meus minhas seu sua por com sem "
    "qual quero queria posso tem ter eu voce isso essa muito ja nao sim mas obrigado obrigada "
    "ola oi preciso bom boa dia tudo bem fazer mais tambem quando onde aqui agora ainda "
    # The business name is in every article and in many questions.
    "conecta"
)
_STOP_WORDS = frozenset(_STOP_TEXT.split())
_WORD = re.compile(r"[^\W_]+")
_SNOWBALL = {"en": "english", "es": "spanish", "pt": "portuguese"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Article:
    """One FAQ article in one language; `desk` is the desk that owns the topic, if any."""

    slug: str
    language: str
    title: str
    desk: str | None
    body: str

    def summary(self, sentences: int = 2) -> str:
        """The first sentences of the body, joined on one line."""
        text = " ".join(self.body.split())
        parts = re.split(r"(?<=[.!?])\s+", text)
        return " ".join(parts[:sentences])


@cache
def _stemmer(language: str) -> Callable[[str], str]:
    """The Snowball stemmer of a language (PyStemmer's C version when it is installed)."""
    algorithm = snowballstemmer.stemmer(_SNOWBALL.get(language, "english"))
    return cache(algorithm.stemWord)


def terms(text: str, language: str = "en") -> list[str]:
    """The searchable terms of a text: folded, stop words dropped, stemmed for `language`."""
    stem = _stemmer(language[:2].lower())
    # Stem the accented word (Snowball's rules expect them), then fold the stem.
    words = _WORD.findall(text.casefold())
    return [fold(stem(word)) for word in words if fold(word) not in _STOP_WORDS]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Indexed:
    article: Article
    counts: Counter[str]
    length: int


class KnowledgeBase:
    """Articles grouped by language, with the term statistics BM25 needs."""

    def __init__(self, articles: list[Article]) -> None:
        self.articles = tuple(articles)
        self._index: dict[str, list[_Indexed]] = {}
        for article in self.articles:
            # The title counts twice: it names the topic better than any sentence of the body.
            language = article.language
            words = terms(article.title, language) * 2 + terms(article.body, language)
            entry = _Indexed(article=article, counts=Counter(words), length=len(words))
            self._index.setdefault(article.language, []).append(entry)

    @classmethod
    def load(cls, path: Path) -> KnowledgeBase:
        """Read every `<lang>/<slug>.md` under `path`; ConfigurationError if there are none."""
        if not path.is_dir():
            raise ConfigurationError(f"knowledge directory {path} does not exist")
        articles = [_parse(file) for file in sorted(path.glob("*/*.md"))]
        if not articles:
            raise ConfigurationError(f"knowledge directory {path} has no <lang>/<slug>.md articles")
        return cls(articles)

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages that have at least one article."""
        return tuple(sorted(self._index))

    def search(self, query: str, language: str, limit: int = 3) -> list[Article]:
        """Best articles for the query in `language` (English if it has none); [] if none fit."""
        language = language.lower()[:2]
        if language not in self._index:
            language = "en"
        entries = self._index.get(language, [])
        wanted = set(terms(query, language))
        if not entries or not wanted:
            return []
        average = sum(entry.length for entry in entries) / len(entries)
        frequency = Counter(term for entry in entries for term in wanted if term in entry.counts)
        scored: list[tuple[float, Article]] = []
        for entry in entries:
            score = 0.0
            for term in wanted & entry.counts.keys():
                df = frequency[term]
                idf = math.log(1 + (max(len(entries), _MIN_DOCUMENTS) - df + 0.5) / (df + 0.5))
                tf = entry.counts[term]
                norm = _K1 * (1 - _B + _B * entry.length / average)
                score += idf * tf * (_K1 + 1) / (tf + norm)
            scored.append((score, entry.article))
        scored.sort(key=lambda pair: pair[0], reverse=True)
        best = scored[0][0]
        floor = max(_MIN_SCORE, best * _RELATIVE_CUTOFF)
        return [article for score, article in scored[:limit] if score >= floor]


def default_knowledge_dir() -> Path:
    """The FAQ articles that ship with frontdesk (`agents/faq`)."""
    return Path(__file__).resolve().parent / "faq"


def _parse(file: Path) -> Article:
    lines = file.read_text(encoding="utf-8").splitlines()
    if not lines or not lines[0].startswith("# ") or not lines[0][2:].strip():
        raise ConfigurationError(f"knowledge article {file} must start with a '# Title' line")
    rest = lines[1:]
    desk: str | None = None
    if rest and rest[0].lower().startswith("desk:"):
        desk = rest[0].split(":", 1)[1].strip().lower()
        if desk not in DESKS:
            raise ConfigurationError(f"knowledge article {file}: unknown desk {desk!r}")
        rest = rest[1:]
    body = "\n".join(rest).strip()
    if not body:
        raise ConfigurationError(f"knowledge article {file} has no body")
    return Article(
        slug=file.stem,
        language=file.parent.name.lower(),
        title=lines[0][2:].strip(),
        desk=desk,
        body=body,
    )
