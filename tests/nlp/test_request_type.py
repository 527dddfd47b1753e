"""request_type component: rules + classifier on small written cases, and the dev corpus when present."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nlp.components.request_type import Component
from nlp.registry import Doc
from nlp.spans import Hit
from nlp.types import Extraction, MessageInput, NlpConfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nlp"
ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
CASES = [json.loads(line) for line in (FIXTURES / "request_type_cases.jsonl").read_text().splitlines() if line]


@pytest.fixture(scope="module")
def component() -> Component:
    return Component(NlpConfig(), {})


def make_doc(case: dict[str, Any]) -> Doc:
    msg = MessageInput(subject=case["subject"], text=case["body"])
    doc = Doc(msg=msg, result=Extraction(agency=case.get("agency")))
    doc.texts.update({"subject": case["subject"], "body": case["body"]})
    return doc


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_type_and_emergency(component: Component, case: dict[str, Any]) -> None:
    doc = make_doc(case)
    component(doc)
    assert doc.result.request_type == case["type"]
    assert doc.result.emergency is case["emergency"]
    assert 0.0 < doc.result.confidence["request_type"] <= 1.0


def test_citation_overrides_wording(component: Component) -> None:
    """A preservation citation wins over text that reads like a data request."""
    doc = make_doc({"subject": "Request", "agency": "FBI", "body":
                    "Please provide subscriber information. This letter is sent under 18 U.S.C. 2703(f)."})
    component(doc)
    assert doc.result.request_type == "preservation"
    assert any(e.rule == "request_type_rule" and "2703" in e.text for e in doc.result.evidence["request_type"])


def test_quoted_emergency_is_ignored(component: Component) -> None:
    doc = make_doc({"subject": "RE: status", "agency": "Kent Police",
                    "body": "Any update on our earlier request? We have not yet received the records."})
    doc.texts["quote"] = "> Emergency disclosure request: imminent danger of death, suicide risk."
    component(doc)
    assert doc.result.request_type == "inquiry"
    assert doc.result.emergency is False


def test_emergency_evidence_points_into_texts(component: Component) -> None:
    doc = make_doc(CASES[1])
    component(doc)
    for ev in doc.result.evidence["emergency"]:
        assert ev.start is not None and ev.end is not None
        assert doc.texts[ev.source][ev.start:ev.end] == ev.text


def test_empty_message_does_not_raise(component: Component) -> None:
    doc = Doc(msg=MessageInput(), result=Extraction())
    component(doc)
    assert doc.result.request_type in {
        "emergency_disclosure", "data_disclosure", "preservation", "content_removal", "inquiry",
        "not_law_enforcement"}


@pytest.mark.skipif(not (SHARED / "corpus" / "dev" / "labels.jsonl").exists(), reason="shared dev corpus absent")
def test_dev_corpus_minimums(tmp_path: Path) -> None:
    """The figures part 2 answers for, scored by the shared scorer on the dev corpus."""
    files = sorted(str(p) for p in (SHARED / "corpus" / "dev").glob("*.eml"))
    out = subprocess.run([sys.executable, "-m", "triage", "extract", "--json", *files],
                         capture_output=True, text=True, cwd=ROOT, timeout=240, check=True).stdout
    preds = tmp_path / "p.jsonl"
    preds.write_text(out)
    mins = ["type_macro_f1=0.90", "emergency_recall=1.0", "targets_f1=0.85", "case_ref_f1=0.85", "deadline_f1=0.80"]
    args = [a for m in mins for a in ("--min", m)]
    score = subprocess.run([sys.executable, str(SHARED / "tools" / "score_extraction.py"),
                            str(SHARED / "corpus" / "dev" / "labels.jsonl"), str(preds), "--quiet", *args],
                           capture_output=True, text=True, timeout=60)
    assert score.returncode == 0, score.stdout[-2000:]


@pytest.mark.parametrize(("weight", "expected"), [(2.0, "not_law_enforcement"), (3.0, "data_disclosure")])
def test_one_phrase_does_not_outvote_a_confident_classifier(component: Component, weight: float,
                                                             expected: str) -> None:
    """A generic subject phrase ('Request for information') yields to the classifier; a citation does not."""
    doc = make_doc({"subject": "Request for information", "body": "...", "agency": "Some Agency"})
    hit = Hit("subject", 0, 23, "Request for information", {"type": "data_disclosure", "weight": weight})
    scores = component._combine(doc, {"data_disclosure": [hit]}, {"not_law_enforcement": 0.9}, [])
    assert max(scores, key=lambda k: scores[k]) == expected


REMOVAL = [json.loads(line) for line in (FIXTURES / "removal_emergency_cases.jsonl").read_text().splitlines() if line]


@pytest.mark.parametrize("case", REMOVAL, ids=[c["id"] for c in REMOVAL])
def test_removal_emergency_only_from_the_order_not_the_content(component: Component, case: dict[str, Any]) -> None:
    """A removal order's content may call to kill; only its clock or a life at risk makes it urgent."""
    doc = make_doc(case)
    component(doc)
    assert (doc.result.request_type, doc.result.emergency) == (case["type"], case["emergency"])
