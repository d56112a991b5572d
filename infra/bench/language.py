"""Score handoffs.language.detect_language on labelled customer chat messages.

Usage: .venv/bin/python infra/bench/language.py [path/to/lang_dev.jsonl]
Each line of the data is {"text", "lang", "tags"?}; SIMULATION below says what each condition means.
Without a path it scores the repository's labelled chats (agents/routing/data: trained on by the
router, never by the detector), then ../shared/data/lang_dev.jsonl when that file exists.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TypedDict

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from lingua import Language, LanguageDetectorBuilder  # noqa: E402

from handoffs.language import SUPPORTED, detect_language, language_from_phone  # noqa: E402

SIMULATION = """\
- lingua alone: lingua restricted to en/es/pt, its top language; no lexicon, no fallback.
- first message, no prior: conversation_language=None, prior_language=None, default "en".
- first message, phone prior: conversation_language=None, prior_language=language_from_phone(phone).
  80% of customers write in their phone country's language: es writers have a number from a
  Spanish-speaking country (+52 +57 +54 +56 +51), pt writers +55 (+351 if tagged pt_pt), en writers
  +1, which implies no language, so they get the default "en". 20% write in another language:
  en writers with a +52 or +55 number, es writers with +55 or +1, pt writers with +52 or +1.
- first message, explicit prior: prior_language is the true language for 80%, and each of the other
  two languages for 10% (no phone numbers, never None).
- mid-conversation: conversation_language is the true language, prior None.
- mid-conversation, 20% switch: conversation_language is the true language for 80%, and each of the
  other two for 10% (the customer switches language with this message).
The 80/20 mixes are scored exactly, not sampled: each message is scored under each of its scenarios
with weights 0.8 / 0.1 / 0.1. That is the average over every choice of which 20% get another
language, so no lucky or unlucky draw moves the score.\
"""
DEFAULT_DATA = ROOT.parent / "shared/data/lang_dev.jsonl"
REPO_DATA = ROOT / "agents/routing/data"
SPANISH_PHONES = (
    "+5215512345678",
    "+573001234567",
    "+5491112345678",
    "+56912345678",
    "+51912345678",
)
# A phone from a country whose language differs from the writer's, two per writer language.
OTHER_PHONES = {
    "en": ("+5215512345678", "+5511912345678"),
    "es": ("+5511912345678", "+12125551234"),
    "pt": ("+5215512345678", "+12125551234"),
}


class Item(TypedDict):
    text: str
    lang: str
    tags: list[str]


def read_items(path: Path) -> list[Item]:
    """Labelled messages from a JSONL file or a folder of them; tags default to none."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    rows = [json.loads(line) for f in files for line in f.read_text("utf-8").splitlines() if line]
    return [Item(text=row["text"], lang=row["lang"], tags=row.get("tags", [])) for row in rows]


class Context(TypedDict, total=False):
    conversation_language: str | None
    prior_language: str | None


# Each scenario of one message: its weight and what detect_language is told besides the text.
Scenarios = list[tuple[float, Context]]


def own_phone(item: Item, index: int) -> str:
    """A phone number from the writer's own country."""
    lang = item["lang"]
    if lang == "pt":
        return "+351912345678" if "pt_pt" in item["tags"] else "+5511912345678"
    if lang == "es":
        return SPANISH_PHONES[index % len(SPANISH_PHONES)]
    return "+12125551234"


def others(lang: str) -> list[str | None]:
    return [other for other in SUPPORTED if other != lang]


def mixed(true: str | None, other: list[str | None]) -> list[tuple[float, str | None]]:
    """The true value for 80% of messages, each other value for an equal share of the rest."""
    return [(0.8, true)] + [(0.2 / len(other), value) for value in other]


def no_prior(item: Item, index: int) -> Scenarios:
    return [(1.0, Context())]


def phone_prior(item: Item, index: int) -> Scenarios:
    phones = mixed(own_phone(item, index), list(OTHER_PHONES[item["lang"]]))
    return [(w, Context(prior_language=language_from_phone(phone))) for w, phone in phones]


def explicit_prior(item: Item, index: int) -> Scenarios:
    priors = mixed(item["lang"], others(item["lang"]))
    return [(w, Context(prior_language=lang)) for w, lang in priors]


def conversation(item: Item, index: int) -> Scenarios:
    return [(1.0, Context(conversation_language=item["lang"]))]


def conversation_switch(item: Item, index: int) -> Scenarios:
    languages = mixed(item["lang"], others(item["lang"]))
    return [(w, Context(conversation_language=lang)) for w, lang in languages]


CONDITIONS: list[tuple[str, Callable[[Item, int], Scenarios]]] = [
    ("first message, no prior", no_prior),
    ("first message, phone prior  [main]", phone_prior),
    ("first message, explicit prior", explicit_prior),
    ("mid-conversation  [main]", conversation),
    ("mid-conversation, 20% switch", conversation_switch),
]


LINGUA_CODES = {Language.ENGLISH: "en", Language.SPANISH: "es", Language.PORTUGUESE: "pt"}


def lingua_baseline(items: list[Item]) -> tuple[float, dict[str, list[float]]]:
    """Accuracy of lingua's top language alone, overall and per tag."""
    detector = LanguageDetectorBuilder.from_languages(*LINGUA_CODES).build()
    by_tag: dict[str, list[float]] = defaultdict(list)
    total = 0.0
    for item in items:
        # Lingua returns None for texts without letters ("👍", "#48213"): that counts as wrong.
        found = detector.detect_language_of(item["text"])
        correct = float(found is not None and LINGUA_CODES[found] == item["lang"])
        total += correct
        for tag in item["tags"]:
            by_tag[tag].append(correct)
    return total / len(items), by_tag


def score(
    items: list[Item], scenarios: Callable[[Item, int], Scenarios], timings: list[float]
) -> tuple[float, dict[str, list[float]]]:
    """Weighted accuracy of detect_language overall and per tag; appends each call's seconds."""
    total = 0.0
    by_tag: dict[str, list[float]] = defaultdict(list)
    for index, item in enumerate(items):
        correct = 0.0
        for weight, kwargs in scenarios(item, index):
            start = time.perf_counter()
            guess = detect_language(item["text"], **kwargs)
            timings.append(time.perf_counter() - start)
            correct += weight * (guess.language == item["lang"])
        total += correct
        for tag in item["tags"]:
            by_tag[tag].append(correct)
    return total / len(items), by_tag


def worst_tags(by_tag: dict[str, list[float]], count: int = 3) -> str:
    ranked = sorted(by_tag.items(), key=lambda kv: (sum(kv[1]) / len(kv[1]), -len(kv[1])))
    return ", ".join(
        f"{tag} {100 * sum(v) / len(v):.0f}% (n={len(v)})" for tag, v in ranked[:count]
    )


def main() -> None:
    print(SIMULATION)
    if len(sys.argv) > 1:
        paths = [Path(sys.argv[1])]
    else:
        paths = [REPO_DATA, *([DEFAULT_DATA] if DEFAULT_DATA.exists() else [])]
    for path in paths:
        bench(path, read_items(path))
    if len(sys.argv) == 1 and not DEFAULT_DATA.exists():
        print(f"\n({DEFAULT_DATA} not found: skipped)")


def bench(path: Path, items: list[Item]) -> None:
    """Print every condition's accuracy on one data set, and the detector's speed."""
    print(f"\ndata: {path} ({len(items)} messages)\n")

    start = time.perf_counter()
    detect_language("warm up")
    warm_up_ms = 1000 * (time.perf_counter() - start)

    accuracy, by_tag = lingua_baseline(items)
    rows = [("lingua alone (baseline)", accuracy, worst_tags(by_tag))]

    timings: list[float] = []
    for name, scenarios in CONDITIONS:
        accuracy, by_tag = score(items, scenarios, timings)
        rows.append((name, accuracy, worst_tags(by_tag)))

    width = max(len(name) for name, _, _ in rows)
    print(f"{'condition':<{width}}  {'acc %':>6}  {'n':>4}  worst tags")
    for name, accuracy, worst in rows:
        print(f"{name:<{width}}  {100 * accuracy:6.1f}  {len(items):>4}  {worst}")

    micros = sorted(1e6 * t for t in timings)
    p99 = micros[min(len(micros) - 1, int(0.99 * len(micros)))]
    print(
        f"\ndetect_language: mean {statistics.fmean(micros):.0f} us, p99 {p99:.0f} us "
        f"over {len(micros)} calls; first call (loads lingua models) {warm_up_ms:.0f} ms"
    )


if __name__ == "__main__":
    main()
