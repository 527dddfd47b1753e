"""Train the request-type classifier: ``python -m nlp.train_textcat [--out DIR] [--epochs N]``.

Deterministic (fixed seed): the same examples give the same model, so the committed model can be
rebuilt and compared. Training data are written for this project, never taken from evaluation mail.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

from nlp.textcat import LABELS, MODEL_DIR, TRAIN_DIR

SEED = 0
NGRAM_SIZE = 2


def load_examples(path: Path) -> list[tuple[str, str]]:
    """Examples from one JSONL file, or from every ``*.jsonl`` in a folder (sorted, so order is fixed)."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    rows = [json.loads(line) for f in files for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    bad = [r for r in rows if r["label"] not in LABELS]
    if bad:
        raise ValueError(f"unknown labels in {path.name}: {sorted({r['label'] for r in bad})}")
    return [(r["text"], r["label"]) for r in rows]


def build_pipeline(ngram_size: int = NGRAM_SIZE) -> Any:
    import spacy

    nlp = spacy.blank("xx")
    config = {
        "model": {
            "@architectures": "spacy.TextCatBOW.v3",
            "exclusive_classes": True,
            "ngram_size": ngram_size,
            "no_output_layer": False,
            "length": 2**16,
        }
    }
    textcat: Any = nlp.add_pipe("textcat", config=config)
    for label in LABELS:
        textcat.add_label(label)
    return nlp


def train(examples: list[tuple[str, str]], epochs: int = 25, ngram_size: int = NGRAM_SIZE) -> Any:
    import spacy
    from spacy.training import Example

    spacy.util.fix_random_seed(SEED)
    rng = random.Random(SEED)
    nlp = build_pipeline(ngram_size)
    data = [
        Example.from_dict(nlp.make_doc(text), {"cats": {lab: float(lab == label) for lab in LABELS}})
        for text, label in examples
    ]
    optimizer = nlp.initialize(lambda: data)
    for _ in range(epochs):
        rng.shuffle(data)
        for batch in spacy.util.minibatch(data, size=8):
            nlp.update(batch, sgd=optimizer, drop=0.2)
    return nlp


def accuracy(nlp: Any, examples: list[tuple[str, str]]) -> float:
    hits = sum(max(nlp(t).cats.items(), key=lambda kv: kv[1])[0] == lab for t, lab in examples)
    return hits / len(examples) if examples else 0.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=TRAIN_DIR)
    ap.add_argument("--out", type=Path, default=MODEL_DIR)
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--ngram-size", type=int, default=NGRAM_SIZE)
    args = ap.parse_args(argv)
    examples = load_examples(args.data)
    nlp = train(examples, args.epochs, args.ngram_size)
    args.out.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(args.out)
    print(f"trained on {len(examples)} examples, training accuracy {accuracy(nlp, examples):.3f}, saved")
    return 0


if __name__ == "__main__":
    sys.exit(main())
