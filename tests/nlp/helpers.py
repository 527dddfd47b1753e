"""Shared helpers for the nlp tests: read fixture mails, run selected pipeline components."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from nlp.extractor import Extractor
from nlp.types import Extraction, MessageInput, NlpConfig
from triage.parse import parse_bytes

FIXTURES = Path(__file__).parent.parent / "fixtures" / "nlp"
PART1 = ("text", "language", "agency", "jurisdiction", "sender", "finalize")


def fixture_input(name: str) -> MessageInput:
    return parse_bytes((FIXTURES / name).read_bytes()).to_input()


def part1_extractor(**config: Any) -> Extractor:
    """The extractor with only this part's components (fast, independent of the others)."""
    config.setdefault("use_spacy", False)
    ex = Extractor(NlpConfig(**config))
    ex.components = [(n, c) for n, c in ex.components if n in PART1]
    return ex


def part1_of(ex: Extractor) -> Extractor:
    """``ex`` restricted to this part's components; shares its loaded models and data."""
    part = copy.copy(ex)
    part.components = [(n, c) for n, c in ex.components if n in PART1]
    return part


def run(ex: Extractor, msg: MessageInput) -> Extraction:
    return ex.extract(msg)
