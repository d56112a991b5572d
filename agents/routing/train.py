"""Training the routing classifier: TF-IDF over `features`, logistic regression, calibration.

Thresholds are chosen on out-of-fold predictions of the training data itself (5 folds), never
on a benchmark set. scikit-learn is imported only here, so serving never loads it.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agents.errors import ConfigurationError
from agents.routing.features import features
from agents.routing.model import LABELS, RoutingModel, Thresholds

REGULARIZATION = 8.0  # scikit-learn's C, chosen by 5-fold cross-validation on the shipped data
ROUTE_PRECISION = 0.99
MAX_FALSE_ESCALATION = 0.01
HANDOFF_PRECISION = 0.99
FOLDS = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class Example:
    """One labelled message."""

    text: str
    label: str
    language: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainReport:
    """What training found on its own out-of-fold predictions."""

    examples: int
    features: int
    accuracy: float
    coverage: float
    precision: float
    human_recall: float
    false_escalation: float
    thresholds: Thresholds


def default_data_dir() -> Path:
    """The labelled messages that ship with frontdesk (`agents/routing/data`)."""
    return Path(__file__).resolve().parent / "data"


def read_examples(path: Path) -> list[Example]:
    """Labelled messages from a JSONL file (`{"text", "label"}` per line) or a folder of them."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    examples: list[Example] = []
    for file in files:
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text, label = str(row["text"]), str(row["label"])
            except (ValueError, KeyError, TypeError) as exc:
                raise ConfigurationError(f"{file}:{number}: not a {{text, label}} line") from exc
            if label not in LABELS:
                raise ConfigurationError(f"{file}:{number}: label must be one of {LABELS}")
            examples.append(Example(text=text, label=label, language=str(row.get("lang", ""))))
    if not examples:
        raise ConfigurationError(f"no labelled messages in {path}")
    return examples


def fingerprint(examples: Iterable[Example]) -> str:
    """A hash of the training data, stored in the artifact to tell when it is stale."""
    digest = hashlib.sha256()
    for example in examples:
        digest.update(f"{example.label}\t{example.text}\n".encode())
    return digest.hexdigest()[:16]


def train(
    examples: Sequence[Example],
    *,
    route_precision: float = ROUTE_PRECISION,
    max_false_escalation: float = MAX_FALSE_ESCALATION,
) -> tuple[RoutingModel, TrainReport]:
    """Fit on every example; choose the temperature and thresholds out of fold."""
    from sklearn.model_selection import StratifiedKFold

    labels = np.array([LABELS.index(e.label) for e in examples])
    texts = [e.text for e in examples]
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=7)
    logits = np.zeros((len(texts), len(LABELS)))
    for fit_rows, held_rows in folds.split(texts, labels):
        vectorizer, model = _fit([texts[i] for i in fit_rows], labels[fit_rows])
        logits[held_rows] = model.decision_function(
            vectorizer.transform([texts[i] for i in held_rows])
        )
    temperature = _temperature(logits, labels)
    probabilities = _softmax(logits / temperature)
    thresholds = _thresholds(probabilities, labels, route_precision, max_false_escalation)
    report = _report(probabilities, labels, thresholds)

    vectorizer, model = _fit(texts, labels)
    vocabulary = {str(word): int(i) for word, i in vectorizer.vocabulary_.items()}
    routing = RoutingModel(
        vocabulary=vocabulary,
        idf=vectorizer.idf_.astype(np.float32),
        coef=model.coef_.astype(np.float32),
        intercept=model.intercept_.astype(np.float32),
        labels=LABELS,
        temperature=temperature,
        thresholds=thresholds,
        meta={
            "data": fingerprint(examples),
            "examples": len(examples),
            "out_of_fold": {key: round(value, 4) for key, value in report.items()},
        },
    )
    return routing, TrainReport(
        examples=len(examples),
        features=len(vocabulary),
        accuracy=report["accuracy"],
        coverage=report["coverage"],
        precision=report["precision"],
        human_recall=report["human_recall"],
        false_escalation=report["false_escalation"],
        thresholds=thresholds,
    )


def _fit(texts: list[str], labels: np.ndarray[Any, Any]) -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    augmented, augmented_labels = _with_typos(texts, labels)
    vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True, min_df=2, dtype=np.float32)
    matrix = vectorizer.fit_transform(augmented)
    model = LogisticRegression(C=REGULARIZATION, max_iter=2000, class_weight="balanced")
    model.fit(matrix, augmented_labels)
    return vectorizer, model


def _with_typos(
    texts: list[str], labels: np.ndarray[Any, Any]
) -> tuple[list[str], np.ndarray[Any, Any]]:
    """Each message plus one copy with a slip of the thumb (a letter dropped or swapped)."""
    rng = random.Random(11)
    extra: list[str] = []
    for text in texts:
        if len(text) < 6:
            extra.append(text)
            continue
        at = rng.randrange(1, len(text) - 2)
        if rng.random() < 0.5:
            extra.append(text[:at] + text[at + 1 :])
        else:
            extra.append(text[:at] + text[at + 1] + text[at] + text[at + 2 :])
    return texts + extra, np.concatenate([labels, labels])


def _softmax(logits: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    result: np.ndarray[Any, Any] = exp / exp.sum(axis=1, keepdims=True)
    return result


def _temperature(logits: np.ndarray[Any, Any], labels: np.ndarray[Any, Any]) -> float:
    """The temperature that makes out-of-fold probabilities honest (lowest log loss)."""
    grid = np.exp(np.linspace(np.log(0.2), np.log(5.0), 161))
    rows = np.arange(len(labels))

    def loss(t: float) -> float:
        return float(-np.log(_softmax(logits / t)[rows, labels] + 1e-12).mean())

    return float(min(grid, key=loss))


def _thresholds(
    probabilities: np.ndarray[Any, Any],
    labels: np.ndarray[Any, Any],
    route_precision: float,
    max_false_escalation: float,
) -> Thresholds:
    human = LABELS.index("human")
    grid = np.round(np.arange(0.30, 0.996, 0.005), 3)
    not_human = labels != human
    human_t = next(
        float(t)
        for t in grid
        if (probabilities[not_human, human] >= t).mean() <= max_false_escalation
    )
    top = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    correct = top == labels
    others = top != human

    def threshold_for(precision: float) -> float:
        for t in grid:
            chosen = others & (confidence >= t)
            if chosen.any() and correct[chosen].mean() >= precision:
                return float(t)
        return float(grid[-1])

    return Thresholds(
        route=threshold_for(route_precision),
        human=human_t,
        handoff=max(threshold_for(HANDOFF_PRECISION), threshold_for(route_precision)),
    )


def _report(
    probabilities: np.ndarray[Any, Any], labels: np.ndarray[Any, Any], thresholds: Thresholds
) -> dict[str, float]:
    human = LABELS.index("human")
    top = probabilities.argmax(axis=1)
    escalated = probabilities[:, human] >= thresholds.human
    routed = (top != human) & (probabilities.max(axis=1) >= thresholds.route)
    decided = escalated | routed
    decision = np.where(escalated, human, top)
    return {
        "accuracy": float((top == labels).mean()),
        "coverage": float(decided.mean()),
        "precision": float((decision[decided] == labels[decided]).mean()),
        "human_recall": float(escalated[labels == human].mean()),
        "false_escalation": float(escalated[labels != human].mean()),
    }
