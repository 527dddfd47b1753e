"""Required literals must be in every match, or the row prefilter would hide matches."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from nlp.literals import required
from nlp.spans import DATA, compile_rows, live_rows, load_jsonl

ROWS = [rx for name in ("legal/case_labels.jsonl", "legal/citations.jsonl", "legal/deadline_cues.jsonl",
                        "legal/nondisclosure.jsonl", "request_types/rules.jsonl", "request_types/emergency.jsonl")
        for rx, _ in compile_rows(load_jsonl(DATA / name))]


def test_literals_of_simple_shapes() -> None:
    assert required(re.compile(r"\bsubpoena\b", re.I)) == ["ubpoena"]  # 's' folds to 'ſ' too: left out
    assert required(re.compile(r"CASE-\d+")) == ["CASE-"]
    assert sorted(required(re.compile(r"\b(?:warrant|order)\b", re.I)) or []) == ["order", "warrant"]
    assert required(re.compile(r"(?:warrant)?\d+", re.I)) is None  # an optional part is not required


def test_folding_exceptions_still_match() -> None:
    rows = compile_rows([{"pattern": r"\bsubpoena\b"}, {"pattern": r"\bkeep\b"}])
    for text in ("ſubpoena", "\u212aeep"):  # long s, Kelvin sign: re folds them, str.lower does not
        assert [rx.pattern for rx, _ in live_rows(rows, text)] == [rx.pattern for rx, _ in rows if rx.search(text)]


@pytest.mark.parametrize("rx", [rx for rx in ROWS if required(rx)][:400], ids=lambda rx: rx.pattern[:40])
def test_every_data_row_literal_is_in_its_matches(rx: re.Pattern[str]) -> None:
    lits = required(rx) or []
    fold = bool(rx.flags & re.IGNORECASE)

    @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def check(data: st.DataObject) -> None:
        try:
            s = data.draw(st.from_regex(rx, fullmatch=True))
        except Exception:  # a construct hypothesis cannot generate from
            return
        m = rx.search(s)
        if m is None:
            return
        found = m.group(0).lower() if fold else m.group(0)
        assert any(lit in found for lit in lits), (rx.pattern, s, lits)

    try:
        check()
    except Unsatisfiable:  # lookarounds hypothesis cannot generate for: the bench equality covers them
        pytest.skip("no example generated")
