"""The request-type text classifier: a blank multilingual spaCy pipeline with only ``textcat``.

Trained by ``python -m nlp.train_textcat`` on every ``data/train/*.jsonl`` (hand-written examples in
``textcat.jsonl`` and ``handwritten.jsonl``, recombined ones in ``generated.jsonl``); the trained
pipeline is committed under ``model/textcat`` (bag-of-words, a few MB, fixed seed).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
MODEL_DIR = Path(__file__).with_name("model") / "textcat"
TRAIN_DIR = Path(__file__).with_name("data") / "train"
TRAIN_FILE = TRAIN_DIR / "textcat.jsonl"  # the first hand-written set
LABELS = (
    "emergency_disclosure",
    "data_disclosure",
    "preservation",
    "content_removal",
    "inquiry",
    "not_law_enforcement",
)
MAX_CHARS = 5000  # the opening of a request says what it is; long disclaimers only add noise


class TextClassifier:
    """Loads the trained pipeline once; ``scores`` gives a probability per label."""

    def __init__(self, model_dir: Path = MODEL_DIR) -> None:
        self.nlp: Any = None
        if not (model_dir / "meta.json").exists():
            log.warning("textcat model missing at %s: request types from rules only", model_dir.name)
            return
        import spacy

        self.nlp = spacy.load(model_dir)

    @property
    def available(self) -> bool:
        return self.nlp is not None

    def scores(self, text: str) -> dict[str, float]:
        if self.nlp is None or not text.strip():
            return {}
        doc = self.nlp(text[:MAX_CHARS])
        return {k: float(v) for k, v in doc.cats.items()}
