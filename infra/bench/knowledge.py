"""Measure knowledge search: recall@1 and recall@3 per language, and silence when nothing fits.

Usage: .venv/bin/python infra/bench/knowledge.py [path/to/questions.jsonl]
Each line is {"question", "lang", "expected": [slugs]}; an empty list means no article answers
it, and the right result is none at all.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from agents.knowledge import KnowledgeBase, default_knowledge_dir  # noqa: E402

DEFAULT_DATA = ROOT / "infra/bench/data/knowledge_questions.jsonl"


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DATA
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    started = time.perf_counter()
    knowledge = KnowledgeBase.load(default_knowledge_dir())
    load_ms = 1000 * (time.perf_counter() - started)
    hits: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    silent: dict[str, list[bool]] = defaultdict(list)
    misses: list[str] = []
    timings: list[float] = []
    for row in rows:
        start = time.perf_counter()
        found = [article.slug for article in knowledge.search(row["question"], row["lang"])]
        timings.append(time.perf_counter() - start)
        expected = set(row["expected"])
        if not expected:
            silent[row["lang"]].append(not found)
            continue
        at1, at3 = bool(found[:1]) and found[0] in expected, bool(expected & set(found[:3]))
        hits[row["lang"]].append((at1, at3))
        if not at3:
            misses.append(
                f"  [{row['lang']}] {row['question']!r} -> {found} (want {sorted(expected)})"
            )
    print(f"data: {path} ({len(rows)} questions); {len(knowledge.articles)} articles\n")
    print("lang  recall@1  recall@3  no answer when none fits    n")
    for lang in sorted(hits):
        pairs, quiet = hits[lang], silent[lang]
        print(
            f"{lang:<4}  {_pct(sum(a for a, _ in pairs), len(pairs)):>8}"
            f"  {_pct(sum(b for _, b in pairs), len(pairs)):>8}"
            f"  {_pct(sum(quiet), len(quiet)):>24}  {len(pairs) + len(quiet):>4}"
        )
    if misses:
        print("\nnot in the top 3:\n" + "\n".join(misses))
    micros = sorted(1e6 * t for t in timings)
    print(
        f"\nload {load_ms:.0f} ms; search mean {statistics.fmean(micros):.0f} us, "
        f"p99 {micros[int(0.99 * (len(micros) - 1))]:.0f} us"
    )


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


if __name__ == "__main__":
    main()
