"""identifiers component: case reference, legal basis, targets and non-disclosure on written cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nlp.components.identifiers import Component
from nlp.registry import Doc
from nlp.types import Extraction, MessageInput, NlpConfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nlp"
CASES = [json.loads(line) for line in (FIXTURES / "identifier_cases.jsonl").read_text().splitlines() if line]


@pytest.fixture(scope="module")
def component() -> Component:
    return Component(NlpConfig(), {})


def make_doc(case: dict[str, Any]) -> Doc:
    msg = MessageInput(subject=case["subject"], text=case["body"], from_address=case["from"],
                       to=("lawenforcement@platform.example",))
    doc = Doc(msg=msg, result=Extraction(country=case["country"]))
    doc.texts.update({"subject": case["subject"], "body": case["body"]})
    if case.get("attachment"):  # attachment file names, one a line
        doc.texts["attachment"] = case["attachment"]
    return doc


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_identifiers(component: Component, case: dict[str, Any]) -> None:
    doc = make_doc(case)
    component(doc)
    r = doc.result
    assert r.case_reference == case["case_reference"]
    assert sorted(r.targets) == sorted(case["targets"])
    assert r.non_disclosure is case["non_disclosure"]
    for cite in case["legal_basis"]:
        assert cite in r.legal_basis
    for ev in r.evidence.get("targets", []) + r.evidence.get("case_reference", []):
        assert ev.start is not None and ev.end is not None
        assert ev.text in doc.texts[ev.source][ev.start:ev.end] or doc.texts[ev.source][ev.start:ev.end] == ev.text


def test_offence_is_not_legal_basis(component: Component) -> None:
    doc = make_doc(CASES[-1])
    component(doc)
    assert not any("StGB" in c for c in doc.result.legal_basis)


def test_signature_phone_is_not_a_target(component: Component) -> None:
    case = CASES[0]
    doc = make_doc(case)
    doc.texts["signature"] = "SA John Smith\nPhone: +1 212 555 0199"
    component(doc)
    assert "+12125550199" not in doc.result.targets


def test_targets_from_quoted_original(component: Component) -> None:
    case = {**CASES[3], "body": "Any update please?"}
    doc = make_doc(case)
    doc.texts["quote"] = "> Please remove t.me/quoted_channel_x/7 and review @quoted_user_y."
    component(doc)
    assert {"t.me/quoted_channel_x/7", "@quoted_user_y"} <= set(doc.result.targets)


def test_garbage_does_not_raise(component: Component) -> None:
    doc = Doc(msg=MessageInput(subject="@@@ ++++ 0000", text="\x00" * 50 + "Ref: " + "9" * 500),
              result=Extraction(country="ZZ"))
    component(doc)
    assert isinstance(doc.result.targets, list)


@pytest.mark.parametrize("text", ["Ref: A B C D E F G H " * 5000, "+44 7700 900 123 tel " * 4000,
                                  "t.me/abc_def/12, /13 and /14 " * 4000, "a.b@c.de, " * 8000])
def test_hostile_text_is_fast(component: Component, text: str) -> None:
    """Unbroken long lines must not make label or phone lookups quadratic."""
    import time

    doc = make_doc({**CASES[0], "body": text})
    started = time.monotonic()
    component(doc)
    assert time.monotonic() - started < 5.0


def test_fallback_texts_when_text_component_did_not_run(component: Component) -> None:
    """Without ``doc.texts`` the subject/body fallback is used and evidence offsets point into it."""
    body = "Please check @fallback_user_1.\n\n-----Original Message-----\n> earlier @quoted_only_2"
    doc = Doc(msg=MessageInput(subject="Ref: ABC-2026-77", text=body), result=Extraction(country="GB"))
    component(doc)
    assert doc.result.case_reference == "ABC-2026-77"
    assert {"@fallback_user_1", "@quoted_only_2"} <= set(doc.result.targets)
    ev = doc.result.evidence["targets"][0]
    assert ev.start is not None and doc.texts[ev.source][ev.start:ev.end] == ev.text
    assert "quote" in doc.texts and "Original Message" not in doc.texts["body"]
