"""Measure the local routing tier: accuracy, human safety net, coverage, speed.

Usage: .venv/bin/python infra/bench/routing.py [path/to/routing_dev.jsonl]
Without a path it scores ../shared/data/routing_dev.jsonl when that file exists (a set written
outside the project and never trained on); it always prints the shipped model's out-of-fold
figures on the repository's own data, and load and per-message times.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from agents.routing.model import DESKS, LABELS, Prediction, RoutingModel  # noqa: E402
from agents.routing.model import default_model_path as model_path  # noqa: E402
from agents.routing.train import default_data_dir, read_examples  # noqa: E402

SHARED = ROOT.parent / "shared/data/routing_dev.jsonl"


def decision(prediction: Prediction) -> tuple[str, bool]:
    """What the switchboard does with a first message, and whether no model was needed.

    The local tier escalates "human" above its threshold and takes any other label above the
    route threshold; below, a model decides. Offline that model is the same classifier's most
    likely label (a desk, "human" or "none"), which is what is scored here.
    """
    if prediction.wants_human:
        return "human", True
    if prediction.confident:
        return prediction.label, True
    return prediction.label, False


def score(rows: list[dict[str, str]], model: RoutingModel) -> None:
    """Print every figure the issue asks for, per language."""
    per: dict[str, list[tuple[str, Prediction]]] = defaultdict(list)
    for row in rows:
        per[row["lang"]].append((row["label"], model.predict(row["text"])))
    per["all"] = [item for lang in sorted(per) for item in per[lang]]
    header = "lang  desk acc  human recall  false esc  coverage  precision  argmax acc    n"
    print(header)
    for lang, items in per.items():
        desk_items = [(gold, decision(p)[0]) for gold, p in items if gold in DESKS]
        humans = [p.wants_human for gold, p in items if gold == "human"]
        others = [p.wants_human for gold, p in items if gold != "human"]
        local = [(gold, decision(p)[0]) for gold, p in items if decision(p)[1]]
        print(
            f"{lang:<4}  {_pct(sum(g == d for g, d in desk_items), len(desk_items)):>8}"
            f"  {_pct(sum(humans), len(humans)):>12}  {_pct(sum(others), len(others)):>9}"
            f"  {_pct(len(local), len(items)):>8}"
            f"  {_pct(sum(g == d for g, d in local), len(local)):>9}"
            f"  {_pct(sum(g == p.label for g, p in items), len(items)):>10}  {len(items):>4}"
        )
    items = per["all"]
    print("\naccuracy of the most likely label, per label and language:")
    print("label     " + "".join(f"{lang:>8}" for lang in per))
    for label in LABELS:
        cells = []
        for lang_items in per.values():
            hits = [p.label == label for g, p in lang_items if g == label]
            cells.append(_pct(sum(hits), len(hits)))
        print(f"{label:<10}" + "".join(f"{cell:>8}" for cell in cells))
    print("\nconfusion (rows: label, columns: most likely label):")
    counts = Counter((truth, p.label) for truth, p in items)
    print(" " * 10 + "".join(f"{label:>9}" for label in LABELS))
    for truth in LABELS:
        print(f"{truth:<10}" + "".join(f"{counts[truth, label]:>9}" for label in LABELS))
    tags: dict[str, list[bool]] = defaultdict(list)
    for row in rows:
        prediction = model.predict(row["text"])
        for tag in row.get("tags", []):
            tags[tag].append(decision(prediction)[0] == row["label"])
    worst = sorted(tags.items(), key=lambda kv: sum(kv[1]) / len(kv[1]))[:6]
    print(
        "\nhardest tags: " + ", ".join(f"{t} {_pct(sum(v), len(v))} (n={len(v)})" for t, v in worst)
    )


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def main() -> None:
    started = time.perf_counter()
    model = RoutingModel.load(model_path())
    load_ms = 1000 * (time.perf_counter() - started)
    meta = model.meta
    print(
        f"model: {model_path().name}, {len(model.vocabulary)} features, trained on "
        f"{meta.get('examples')} messages (data {meta.get('data')}), thresholds "
        f"route {model.thresholds.route}, human {model.thresholds.human}, "
        f"handoff {model.thresholds.handoff}"
    )
    oof = meta.get("out_of_fold")
    if oof:
        print(
            "out-of-fold on the repository's data: "
            + ", ".join(f"{key} {100 * value:.1f}%" for key, value in oof.items())
        )

    texts = [example.text for example in read_examples(default_data_dir())]
    model.predict("warm up")
    timings = []
    for text in texts:
        start = time.perf_counter()
        model.predict(text)
        timings.append(time.perf_counter() - start)
    micros = sorted(1e6 * t for t in timings)
    print(
        f"load {load_ms:.0f} ms; predict mean {statistics.fmean(micros):.0f} us, "
        f"p99 {micros[int(0.99 * (len(micros) - 1))]:.0f} us over {len(micros)} messages"
    )

    path = Path(sys.argv[1]) if len(sys.argv) > 1 else SHARED
    if not path.exists():
        print(f"\n({path} not found: skipping the held-out benchmark)")
        return
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    print(f"\nheld-out data: {path} ({len(rows)} messages)\n")
    score(rows, model)


if __name__ == "__main__":
    main()
