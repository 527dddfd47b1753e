"""Rank/title lines (``data/rank_titles.json``): a signer's rank is not the requesting agency."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nlp.agencyrank import is_rank_line
from nlp.extractor import Extractor
from nlp.types import MessageInput
from tests.nlp.helpers import part1_extractor, part1_of

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nlp"


def cases(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(scope="module")
def ex() -> Extractor:
    return part1_extractor()


@pytest.mark.parametrize("case", cases("rank_lines.jsonl"), ids=lambda c: c["line"])
def test_rank_line(case: dict[str, Any]) -> None:
    assert is_rank_line(case["line"]) is case["rank"]


@pytest.mark.parametrize("case", cases("signature_units.jsonl"), ids=lambda c: c["signature"].split("\n")[1])
def test_signature_unit_skips_the_rank_line(ex: Extractor, case: dict[str, Any]) -> None:
    body = "Please send the subscriber data of the account.\n\nRegards,\n\n" + case["signature"]
    r = ex.extract(MessageInput(subject="Request", from_address="x@example.org", text=body))
    assert r.agency == case["agency"]


def test_entity_across_signature_lines_keeps_its_first_line(full_extractor: Extractor) -> None:
    """spaCy may run an ORG entity over the unit lines below the agency: the agency is one line."""
    if not full_extractor.resources["spacy_ner"]:
        pytest.skip("no spaCy pipeline installed")
    sig = "Sgt. Kevin Example\nArlington County Police Department\nCriminal Intelligence Division\nCase 26-0001234\n"
    body = "We request the subscriber records of the account @x.\n\n" + sig
    r = part1_of(full_extractor).extract(MessageInput(subject="Request", from_address="p@x.org", text=body))
    assert r.agency == "Arlington County Police Department"


@pytest.mark.parametrize("case", cases("local_office_cases.jsonl"), ids=lambda c: c["agency"])
def test_office_type_followed_by_a_place_is_the_local_office(ex: Extractor, case: dict[str, Any]) -> None:
    r = ex.extract(MessageInput(subject="Wniosek", from_address="x@example.org", text=case["body"]))
    assert (r.agency, r.country) == (case["agency"], "PL")
