"""Guess the language (en, es, pt) of a customer's chat message.

Lingua (restricted to the three) scores the text, a small lexicon of chat words adds evidence where
lingua is weak (greetings, thanks, slang), and the conversation's language (else a phone or locale
prior, else the default) stands unless the text clearly says otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

SUPPORTED = ("en", "es", "pt")

_LINGUA_CODES = {Language.ENGLISH: "en", Language.SPANISH: "es", Language.PORTUGUESE: "pt"}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Very common chat words that belong to one of the three languages only. Words shared by two of
# them ("no", "que", "por favor", "pedido", "claro") are left out: they carry no evidence.
_LEXICON = {
    "en": _words(
        "hi hello hey thanks thank thx ty yes yeah yep yup nope nah please pls plz sure bye cool "
        "great lol omg the an and of in on at for with from my your our it it's is are was were "
        "be i i'm im you u ur we they this that there any just what what's whats where where's "
        "wheres how why when who can could would will do does did don't dont didn't didnt can't "
        "cant not have has get got need want help"
    ),
    "es": _words(
        "hola buenas buenos gracias muchas muy sí si vale dale listo bueno chao adiós adios el la "
        "los las lo del al mi mis su sus un una y con sin pero es eso esto fue hay hace estoy soy "
        "quiero necesito puedo pueden tengo tienen ayuda ayudar dónde donde cuándo cuando cuánto "
        "cuanto cuál cual ya yo usted ustedes vos ahora hoy porfa xfa xq también tambien hasta"
    ),
    "pt": _words(
        "oi oie olá obrigado obrigada brigado obg valeu vlw tchau beleza blz tudo bem bom boa sim "
        "não nao você voce vc vcs vocês voces meu minha meus minhas seu sua um uma e é com sem em "
        "na ao pelo pela muito muita pra pro pfv eu isso esse essa foi tem estou sou agora hoje "
        "ainda já ja também tambem quero preciso posso pode podem dá tá ta tô né cadê cade kd oq "
        "nd tmj eae aham ajuda ajudar onde quando quanto qual quais"
    ),
}
# Laughter is spelled differently in each language and is common in chat.
_LAUGHTER = {
    "en": re.compile(r"(?:ha){2,}h?|lo+l"),
    "es": re.compile(r"(?:ja){2,}j?|(?:je){2,}j?"),
    "pt": re.compile(r"k{3,}|(?:rs)+|(?:ha){2,}h?"),
}
# "ok" is written the same way in all three languages and would only add noise.
_NEUTRAL = _words("ok okay okk k")
# Chat openers are borrowed across languages ("hi, mi pedido..."), so the body after them decides.
_OPENERS = _words(
    "hi hello hey hola oi olá ola ok okay thanks thx gracias obrigado obrigada valeu sorry"
)

# Tuned on shared/data/lang_dev.jsonl with infra/bench/language.py; the optimum is flat here.
# Lingua is overconfident on short texts, so below this many letters its scores are tempered.
_FULL_LETTERS = 10
_LEXICON_ODDS = 6.0  # Each lexicon word multiplies its language's odds by this.
# How many times likelier than the context language the text's best guess must be to replace it.
_SWITCH_ODDS = {"conversation": 4.0, "prior": 1.5, "default": 1.2}

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_OPENER = re.compile(r"^\s*([^\W\d_]+)\s*[,.!?]+\s*(.+)$", re.DOTALL)


@dataclass(frozen=True, slots=True, kw_only=True)
class LanguageGuess:
    """The language of one message, and what decided it."""

    language: str  # "en" | "es" | "pt"
    source: str  # "text" | "conversation" | "prior" | "default"
    confidence: float  # 0..1 when the text decided, else 0.0


def detect_language(
    text: str,
    *,
    conversation_language: str | None = None,
    prior_language: str | None = None,
    default_language: str = "en",
) -> LanguageGuess:
    """Guess the language of a customer message; short or unsure texts keep the conversation's.

    A new conversation falls back to `prior_language` (phone, locale), then to `default_language`.
    """
    if default_language not in SUPPORTED:
        raise ValueError(f"unsupported default language: {default_language!r}")
    if conversation_language in SUPPORTED:
        context, source = conversation_language, "conversation"
    elif prior_language in SUPPORTED:
        context, source = prior_language, "prior"
    else:
        context, source = default_language, "default"

    scored = _text_scores(text)
    if scored is None:
        return LanguageGuess(language=context, source=source, confidence=0.0)
    scores, trust = scored
    best, second, _ = sorted(scores, key=scores.__getitem__, reverse=True)
    odds = _SWITCH_ODDS[source]
    if source == "conversation":
        # Short replies ("hola", "sim") are mostly acknowledgements: it takes more to leave.
        odds /= trust
    # The text decides only if it beats the context (or, agreeing with it, the runner-up) clearly.
    if scores[best] >= odds * scores[second if best == context else context]:
        return LanguageGuess(language=best, source="text", confidence=round(scores[best], 3))
    return LanguageGuess(language=context, source=source, confidence=0.0)


def _text_scores(text: str) -> tuple[dict[str, float], float] | None:
    """Each language's probability from the text alone and how far lingua was trusted (0..1).

    None when the text has no words (emoji, order numbers, "ok", blank).
    """
    match = _OPENER.match(text)
    if match and match.group(1).lower() in _OPENERS and _WORD.search(match.group(2)):
        text = match.group(2)
    # Tokens with digits are order numbers and codes ("#A-1001"): no language in them.
    tokens = (t for t in text.lower().split() if not any(c.isdigit() for c in t))
    words = [w for t in tokens for w in _WORD.findall(t) if w not in _NEUTRAL]
    if not words:
        return None

    values = _detector().compute_language_confidence_values(" ".join(words))
    lingua = {_LINGUA_CODES[v.language]: v.value for v in values}
    trust = min(1.0, sum(map(len, words)) / _FULL_LETTERS)
    scores = {}
    for lang in SUPPORTED:
        hits = sum(w in _LEXICON[lang] or _LAUGHTER[lang].fullmatch(w) is not None for w in words)
        # The floor keeps a language lingua ruled out reachable by lexicon words alone.
        scores[lang] = max(lingua.get(lang, 0.0), 0.01) ** trust * _LEXICON_ODDS**hits
    total = sum(scores.values())
    return {lang: score / total for lang, score in scores.items()}, trust


@cache
def _detector() -> LanguageDetector:
    """Build lingua once, restricted to our three languages, with models in memory."""
    languages = tuple(_LINGUA_CODES)
    builder = LanguageDetectorBuilder.from_languages(*languages)
    return builder.with_preloaded_language_models().build()


_PHONE_PREFIXES = {
    # Portuguese: Brazil, Portugal, Angola, Mozambique, Cape Verde.
    "55": "pt", "351": "pt", "244": "pt", "258": "pt", "238": "pt",
    # Spanish: Latin America, Spain, Equatorial Guinea; +1 only for the Dominican Republic and
    # Puerto Rico area codes, since +1 alone is the US and Canada.
    "52": "es", "54": "es", "56": "es", "57": "es", "51": "es", "58": "es", "593": "es",
    "591": "es", "595": "es", "598": "es", "506": "es", "507": "es", "502": "es", "503": "es",
    "504": "es", "505": "es", "53": "es", "34": "es", "240": "es",
    "1809": "es", "1829": "es", "1849": "es", "1787": "es", "1939": "es",
}  # fmt: skip


def language_from_phone(phone: str | None) -> str | None:
    """Language implied by an E.164 number ("whatsapp:+55..."); None if the country implies none."""
    if not phone:
        return None
    number = phone.strip().removeprefix("whatsapp:").strip()
    if not number.startswith("+"):
        return None
    digits = "".join(c for c in number[1:] if c.isdigit())
    for length in range(4, 0, -1):
        if (lang := _PHONE_PREFIXES.get(digits[:length])) is not None:
            return lang
    return None


def language_from_locale(locale: str | None) -> str | None:
    """Language of a Slack locale such as "es-LA" or "pt-BR", or None if unsupported."""
    if not locale:
        return None
    lang = re.split(r"[-_]", locale.strip().lower(), maxsplit=1)[0]
    return lang if lang in SUPPORTED else None
