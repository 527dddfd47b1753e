"""The needle pre-filter never skips a pattern that matches: hits stay those of a plain scan."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp.prefilter import Needles, fold, required_literals
from nlp.spans import DATA, load_jsonl

ROWS = load_jsonl(DATA / "request_types" / "rules.jsonl") + load_jsonl(DATA / "request_types" / "emergency.jsonl")
PATTERNS = [re.compile(r["pattern"], 0 if r.get("case_sensitive") else re.IGNORECASE) for r in ROWS]
NEEDLES = Needles([r["pattern"] for r in ROWS])


def test_case_fix_covers_every_non_ascii_match_of_ascii() -> None:
    ascii_char = re.compile(r"[\x00-\x7f]", re.IGNORECASE)
    odd = [chr(i) for i in range(0x80, 0x110000) if ascii_char.fullmatch(chr(i))]
    assert odd and all(fold(ch).isascii() and ascii_char.fullmatch(fold(ch)) for ch in odd)
    assert all(re.fullmatch(re.escape(fold(ch)), ch, re.IGNORECASE) for ch in odd)


def test_required_literals() -> None:
    assert required_literals(r"\bsearch\s+warrant\b") == {"warrant"}
    assert required_literals(r"\b(?:subpoena|court\s+order)s?\b") == {"subpoena", "court"}
    assert required_literals(r"\b(?:urgent|\w+)\b") is None  # one branch has no literal
    assert required_literals(r"(?:foo)?bar") == {"bar"}  # an optional part is not required
    assert required_literals(r"[") is None


def test_needles_skip_only_absent_words() -> None:
    needles = Needles([r"\bsearch\s+warrant\b"])
    assert needles.may_match(0, fold("A SEARCH  WARRANT was issued"))
    assert not needles.may_match(0, fold("a court order"))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_every_rule_match_passes_its_filter(data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(PATTERNS) - 1))
    text = data.draw(st.from_regex(PATTERNS[i]))
    assert PATTERNS[i].search(text)
    assert NEEDLES.may_match(i, fold(text)), (ROWS[i]["pattern"], text)
