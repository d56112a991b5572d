"""The local routing classifier: what it decides, that the shipped model is current, retraining."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.errors import ConfigurationError
from agents.routing.model import LABELS, RoutingModel, classify, default_model
from agents.routing.train import default_data_dir, fingerprint, read_examples, train


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("quiero saber el saldo de mi factura", "billing"),
        ("Quero a segunda via da minha FATURA", "billing"),
        ("I think I was charged twice this month", "billing"),
        ("creo que me cobraron dos veces este mes", "billing"),
        ("acho que fui cobrado duas vezes este mês", "billing"),
        ("pago com pix ou boleto?", "billing"),
        ("devuelvan 499 pesos", "billing"),
        ("quero meus 500 reais de volta", "billing"),
        ("mi internet está muy lento", "support"),
        ("estou sem internet desde ontem", "support"),
        ("ya reinicié el módem y sigue igual", "support"),
        ("send someone to fix the box", "support"),
        ("Hi, what plans do you have?", "sales"),
        ("¿cuánto cuesta el plan de 300 megas?", "sales"),
        ("quiero cancelar mi plan", "sales"),
        ("quero assinar o plano de fibra", "sales"),
        ("hola", "none"),
        ("ok gracias", "none"),
        ("👍", "none"),
        ("me llamo Juan Pérez", "none"),
    ],
)
def test_clear_messages_get_their_label_with_confidence(text: str, label: str) -> None:
    prediction = classify(text)
    assert prediction.label == label
    assert prediction.confident


@pytest.mark.parametrize(
    "text",
    [
        "CHAMA UM GERENTE!",
        "I want to speak to a manager",
        "Exijo hablar con un supervisor",
        "put me through to an actual person, not a bot",
        "alguém me liga por favor",
        "quiero hablar con una persona",
        "vou reclamar no procon",
    ],
)
def test_asking_for_a_person_is_caught_by_the_safety_net(text: str) -> None:
    assert classify(text).wants_human


@pytest.mark.parametrize(
    "text",
    ["quiero un plan para una persona", "my name is John Smith", "send someone to fix the box"],
)
def test_persons_and_names_in_other_requests_are_not_escalations(text: str) -> None:
    assert not classify(text).wants_human


def test_probabilities_cover_every_label_and_sum_to_one() -> None:
    prediction = classify("no tengo internet")
    assert [label for label, _ in prediction.probabilities] == list(LABELS)
    assert sum(p for _, p in prediction.probabilities) == pytest.approx(1.0)
    assert prediction.desk == "support"


def test_the_shipped_model_was_trained_on_the_shipped_data() -> None:
    # A stale artifact would route with rules nobody can read back from the data.
    assert default_model().meta["data"] == fingerprint(read_examples(default_data_dir()))


def test_training_on_an_operators_file_round_trips(tmp_path: Path) -> None:
    rows = [
        {"text": f"{word} {n}", "label": label}
        for n in range(12)
        for word, label in (
            ("precio plan fibra", "sales"),
            ("internet caido modem", "support"),
            ("factura cobro pago", "billing"),
            ("hablar con persona gerente", "human"),
            ("hola gracias", "none"),
        )
    ]
    data = tmp_path / "mine.jsonl"
    data.write_text("\n".join(json.dumps(row) for row in rows), encoding="utf-8")
    model, report = train(read_examples(data))
    assert report.examples == len(rows)
    model.save(tmp_path / "model.npz")
    loaded = RoutingModel.load(tmp_path / "model.npz")
    assert loaded.predict("factura cobro").label == "billing"
    assert loaded.thresholds == model.thresholds


def test_bad_training_data_names_the_line(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"text": "hola", "label": "greeting"}\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"bad\.jsonl:1"):
        read_examples(data)


def test_a_missing_artifact_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot be read"):
        RoutingModel.load(tmp_path / "nothing.npz")
