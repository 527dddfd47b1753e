"""The `elements` component: presence of what a reviewer needs, with the cue that said it."""

from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp.components.elements import DATA, ElementsComponent, first_cue, load_cues
from nlp.registry import Doc
from nlp.types import Extraction, MessageInput, NlpConfig


def run(body: str, signature: str = "", emergency: bool = False) -> Extraction:
    doc = Doc(msg=MessageInput(), result=Extraction(emergency=emergency),
              texts={"subject": "Request", "body": body, "signature": signature})
    ElementsComponent(NlpConfig(), {})(doc)
    return doc.result


def test_elements_found_in_several_languages() -> None:
    x = run("Merci de communiquer les données d'identification et adresses IP du 1er mars au 5 avril 2026.",
            "Capitaine Jeanne Martin\nOfficier de police judiciaire")
    assert x.elements == {"named_official": True, "data_categories": True, "date_range": True,
                          "emergency_justification": False}
    assert x.evidence["element:named_official"][0].source == "signature"


def test_emergency_justification_only_counts_for_emergencies() -> None:
    body = "Es besteht Lebensgefahr für eine vermisste Person. Bitte Bestandsdaten übermitteln."
    assert run(body, emergency=True).elements["emergency_justification"] is True
    assert run(body, emergency=False).elements["emergency_justification"] is False


def test_nothing_stated() -> None:
    x = run("Hello, how do I reset my password?")
    assert not any(x.elements.values())


CUE_TEXTS = [c for by_lang in json.loads(DATA.read_text(encoding="utf-8")).values() if isinstance(by_lang, dict)
             for cues in by_lang.values() for c in cues]
ALTERNATIONS = {element: re.compile("|".join(f"(?:{rx.pattern})" for rx, _ in rows), re.IGNORECASE)
                for element, rows in load_cues().items()}


def _snippet(cue: str) -> st.SearchStrategy[str]:
    return st.from_regex(re.compile(cue, re.IGNORECASE), fullmatch=True)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.one_of(st.sampled_from(CUE_TEXTS).flatmap(_snippet),
                          st.sampled_from(["", " ", "\n", "Mr ", "data ", "from ", "IP ", "2026 ", "ſ", "é"])),
                max_size=6).map("".join))
def test_first_cue_is_what_one_alternation_finds(text: str) -> None:
    for element, rows in load_cues().items():
        got, want = first_cue(rows, text), ALTERNATIONS[element].search(text)
        assert (got and (got.span(), got.group(0))) == (want and (want.span(), want.group(0))), (element, text)
