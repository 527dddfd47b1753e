"""Required literals must be in every match (of the folded text, under IGNORECASE), or the row
prefilter would hide matches."""

from __future__ import annotations

import re
from collections.abc import Iterator
from re import _constants, _parser  # type: ignore[attr-defined]

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from nlp.literals import MAX_GRAM_TEXT, Needles, WordIndex, fold, required
from nlp.spans import DATA, compile_rows, live_rows, load_jsonl

TABLES = ("legal/case_labels.jsonl", "legal/citations.jsonl", "legal/deadline_cues.jsonl",
          "legal/nondisclosure.jsonl", "request_types/rules.jsonl", "request_types/emergency.jsonl")
ROWS = [rx for name in TABLES for rx, _ in compile_rows(load_jsonl(DATA / name))] + \
       [rx for rx, _ in compile_rows(load_jsonl(DATA / "legal" / "case_shapes.jsonl"), flags=0)]


def _words(pattern: str, flags: int = re.IGNORECASE) -> set[str] | None:
    needles = required(re.compile(pattern, flags))
    return set(needles.words) if needles else None


def test_literals_of_simple_shapes() -> None:
    assert _words(r"\bsubpoena\b") == {"subpoena"}  # 'ſ' and the Kelvin sign are folded in the text
    assert _words(r"\bsearch\s+warrant\b") == {"warrant"}
    assert _words(r"\b(?:subpoena|court\s+order)s?\b") == {"subpoena", "court"}
    assert _words(r"\b(?:urgent|\w+)\b") is None  # one branch has no literal
    assert _words(r"(?:foo)?bar") == {"bar"}  # an optional part is not required
    assert _words(r"(?:warrant)?\d+") is None
    assert _words(r"a\d") is None  # too short to filter anything


def test_case_sensitive_literals_keep_their_case() -> None:
    assert required(re.compile(r"CASE-\d+")) == Needles(frozenset({"CASE-"}), folded=False)
    assert required(re.compile(r"\d+(?i:case)\d+")) is None  # an inline flag: the case is unknown
    assert required(re.compile(r"(?-i:CASE)-\d+", re.I)) == Needles(frozenset({"case"}), folded=True)


def test_verbose_patterns_are_parsed_with_their_flags() -> None:
    assert _words(r"search \s+ warrant", re.I | re.X) == {"warrant"}  # not " warrant": spaces are no literals


def test_case_fix_covers_every_non_ascii_match_of_ascii() -> None:
    ascii_char = re.compile(r"[\x00-\x7f]", re.IGNORECASE)
    odd = [chr(i) for i in range(0x80, 0x110000) if ascii_char.fullmatch(chr(i))]
    assert odd and all(fold(ch).isascii() and ascii_char.fullmatch(fold(ch)) for ch in odd)
    assert all(re.fullmatch(re.escape(fold(ch)), ch, re.IGNORECASE) for ch in odd)


def test_folding_exceptions_still_match() -> None:
    rows = compile_rows([{"pattern": r"\bsubpoena\b"}, {"pattern": r"\bkeep\b"}, {"pattern": r"\bdisclosure\b"}])
    for text in ("ſubpoena", "\u212aeep", "DİSCLOSURE", "dıscLosure"):  # re folds these, str.lower does not
        assert [rx.pattern for rx, _ in live_rows(rows, text)] == [rx.pattern for rx, _ in rows if rx.search(text)]


def _ops(node: object) -> Iterator[object]:
    """Every opcode of a parsed pattern, nested groups, branches and repeats included."""
    if isinstance(node, _parser.SubPattern):
        for op, av in node.data:
            yield op
            yield from _ops(av)
    elif isinstance(node, (tuple, list)):
        for item in node:
            yield from _ops(item)


def _looks_around(rx: re.Pattern[str]) -> bool:
    return any(op in (_constants.ASSERT, _constants.ASSERT_NOT) for op in _ops(_parser.parse(rx.pattern, rx.flags)))


@pytest.mark.parametrize("rx", [rx for rx in ROWS if required(rx)][:500], ids=lambda rx: rx.pattern[:40])
def test_every_data_row_literal_is_in_its_matches(rx: re.Pattern[str]) -> None:
    needles = required(rx)
    assert needles is not None
    # A lookaround looks at the text around the match: drawn as a whole string, a match has none,
    # and hypothesis spent 1-6 s per such row finding no example (then skipped it). Drawn within
    # text, the row is checked; the rest are drawn as whole matches, as before.
    fullmatch = not _looks_around(rx)

    @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def check(data: st.DataObject) -> None:
        try:
            s = data.draw(st.from_regex(rx, fullmatch=fullmatch))
        except Exception:  # a construct hypothesis cannot generate from
            return
        m = rx.search(s)
        if m is None:
            return
        found = fold(m.group(0)) if needles.folded else m.group(0)
        assert any(word in found for word in needles.words), (rx.pattern, s, needles)

    try:
        check()
    except Unsatisfiable:  # lookarounds hypothesis cannot generate for: the bench equality covers them
        pytest.skip("no example generated")


WORDS = sorted({w for rx in ROWS if (n := required(rx)) and n.folded for w in n.words})


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=40, unique=True),
       st.lists(st.sampled_from([*WORDS, " ", "\n", "ſ", "İ", "\u212a", "é", "x"]), max_size=30).map("".join),
       st.integers(0, 2))
def test_word_index_finds_exactly_the_words_in_the_folded_text(words: list[str], text: str, pad: int) -> None:
    text = text * (1 + pad * MAX_GRAM_TEXT // max(len(text), 1))  # pad 2: past MAX_GRAM_TEXT, tested word by word
    index = WordIndex({w: (i,) for i, w in enumerate(words)})
    assert sorted(p[0] for p in index.found(text)) == [i for i, w in enumerate(words) if w in fold(text)]
