"""The gazetteer's fast paths (translate-table fold, phrase search from start tokens) read exactly what a
plain per-character fold and a token-by-token scan read."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp.gazetteer import Gazetteer, PhraseIndex, fold, tokenize


def _plain_fold(text: str) -> str:
    out = []
    for c in text.replace("’", "'").replace("`", "'"):
        base = "".join(x for x in unicodedata.normalize("NFKD", c) if not unicodedata.combining(x))
        low = base.lower() if len(base) == 1 else c.lower()
        out.append(low if len(low) == 1 else c)
    return "".join(out)


def _plain_find(index: PhraseIndex, text: str) -> list[tuple[int, int, tuple[int, ...]]]:
    tokens = tokenize(text)
    words = [t for _, _, t in tokens]
    out, i = [], 0
    while i < len(tokens):
        for n in index.lengths.get(words[i], ()):
            key = tuple(words[i: i + n])
            if len(key) == n and key in index.phrases:
                out.append((tokens[i][0], tokens[i + n - 1][1], tuple(sorted(index.phrases[key]))))
                i += n
                break
        else:
            i += 1
    return out


@pytest.fixture(scope="module")
def gz() -> Gazetteer:
    return Gazetteer()


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(st.characters(codec="utf-8"), max_size=60) | st.text("AÉéßİıſ\u212a’`ǅﬁ Σς-.", max_size=30))
def test_fold_is_the_plain_per_character_fold(text: str) -> None:
    assert fold(text) == _plain_fold(text)
    assert len(fold(text)) == len(text)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_phrase_search_finds_what_a_token_scan_finds(gz: Gazetteer, data: st.DataObject) -> None:
    names = [a.name for a in gz.agencies[:400]] + [x for a in gz.agencies[:400] for x in a.acronyms]
    pieces = st.sampled_from(names) | st.sampled_from(["the", "of", "police", ",", ".", "\n", "  ", "du", "FBI"])
    text = " ".join(data.draw(st.lists(pieces, max_size=8)))
    for index, t in ((gz.names, fold(text)), (gz.acronyms, text)):
        assert index.find(t) == _plain_find(index, t)
