"""The chunk prefilter of compiled rows must never hide a row that matches."""

from __future__ import annotations

import re

from nlp.spans import compile_rows, find_all, live_rows

ROWS = [
    {"pattern": r"\bpreserv(?:e|ation)\b"},
    {"pattern": r"(?P<n>\d+) days"},
    {"pattern": r"\b(\w+) \1\b"},  # a back-reference cannot join an alternation
    {"pattern": r"(?P<n>\d+) hours"},  # the same group name as row 2
    {"pattern": r"\bsubpoena\b"},
    {"pattern": r"CASE-\d+", "case_sensitive": True},
    {"pattern": r"\bwarrant\b"},
]
TEXTS = ["Please preserve the data for 90 days.", "the the case", "Ref CASE-12 within 4 hours",
         "ref case-12", "nothing to see here", "a WARRANT and a subpoena"]


def test_live_rows_keep_every_matching_row() -> None:
    rows = compile_rows(ROWS)
    for text in TEXTS:
        matching = [row["pattern"] for rx, row in rows if rx.search(text)]
        live = [row["pattern"] for _, row in live_rows(rows, text)]
        assert set(matching) <= set(live), text
        assert [h.text for h in find_all(rows, "body", text)] == \
            [m.group(0) for rx, _ in rows for m in rx.finditer(text)]


def test_a_text_without_matches_wakes_only_unsplicable_rows() -> None:
    rows = compile_rows(ROWS)
    assert [row["pattern"] for _, row in live_rows(rows, "nothing to see here")] == [r"\b(\w+) \1\b"]


def test_case_sensitive_rows_are_filtered_case_sensitively() -> None:
    rows = compile_rows(ROWS)
    assert r"CASE-\d+" not in [row["pattern"] for _, row in live_rows(rows, "ref case-12")]


def test_a_plain_list_is_scanned_whole() -> None:
    rows = [(re.compile(r["pattern"]), r) for r in ROWS]
    assert len(list(live_rows(rows, "nothing"))) == len(ROWS)
