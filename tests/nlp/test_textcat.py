"""The committed request-type classifier: present, loadable, deterministic to train, and useful."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

from nlp.textcat import LABELS, MODEL_DIR, TRAIN_DIR, TRAIN_FILE, TextClassifier
from nlp.train_textcat import accuracy, load_examples, train

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nlp"


@pytest.fixture(scope="module")
def classifier() -> TextClassifier:
    return TextClassifier()


def test_model_is_committed_and_small() -> None:
    size = sum(p.stat().st_size for p in MODEL_DIR.rglob("*") if p.is_file())
    assert (MODEL_DIR / "meta.json").exists()
    assert size < 5_000_000


def test_scores_cover_all_labels(classifier: TextClassifier) -> None:
    scores = classifier.scores("Please preserve the records of this account pending a court order.")
    assert set(scores) == set(LABELS)
    assert abs(sum(scores.values()) - 1.0) < 1e-3


def test_training_data_covers_every_class_and_language() -> None:
    rows = [json.loads(line) for line in TRAIN_FILE.read_text().splitlines() if line]
    assert {r["label"] for r in rows} == set(LABELS)
    assert {"en", "fr", "de", "es", "it", "nl", "pl", "pt"} <= {r["language"] for r in rows}


def test_training_data_is_large_balanced_and_mostly_varied() -> None:
    """~1000 examples, no class under 12% of them, and hand-written ones are not crowded out by templates."""
    rows = [json.loads(line) for f in sorted(TRAIN_DIR.glob("*.jsonl")) for line in f.read_text().splitlines() if line]
    counts = Counter(r["label"] for r in rows)
    assert len(rows) >= 900
    assert min(counts.values()) >= 0.12 * len(rows)
    generated = sum(r.get("origin") == "generated" for r in rows)
    assert generated <= 0.7 * len(rows)
    assert len({r["text"] for r in rows}) == len(rows)


def test_generated_examples_are_reproducible() -> None:
    spec = importlib.util.spec_from_file_location("generate", TRAIN_DIR / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    templates = json.loads((TRAIN_DIR / "templates.json").read_text(encoding="utf-8"))
    expected = [json.loads(line) for line in (TRAIN_DIR / "generated.jsonl").read_text(encoding="utf-8").splitlines()]
    assert module.generate(templates) == expected


def test_held_out_examples(classifier: TextClassifier) -> None:
    """Examples written separately from the training file, never trained on."""
    rows = [json.loads(line) for line in (FIXTURES / "textcat_heldout.jsonl").read_text().splitlines() if line]
    hits = sum(max(classifier.scores(r["text"]).items(), key=lambda kv: kv[1])[0] == r["label"] for r in rows)
    assert hits / len(rows) >= 0.7


def test_training_is_deterministic() -> None:
    examples = load_examples(TRAIN_FILE)[::3]
    a, b = train(examples, epochs=3), train(examples, epochs=3)
    text = "Bitte sichern Sie die Daten des Kontos."
    assert a(text).cats == b(text).cats
    assert accuracy(a, examples) > 0.5


def test_empty_text(classifier: TextClassifier) -> None:
    assert classifier.scores("   ") == {}
