"""Indexed suffix lookups agree with the plain 'is under' test they replace."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from nlp.authority import gov_suffix, rules
from nlp.domains import label_suffixes, under, under_any

LABEL = st.sampled_from(["gov", "police", "uk", "pl", "policja", "gov.pl", "met", "co", "x"])
DOMAIN = st.lists(LABEL, min_size=1, max_size=4).map(".".join)


def test_label_suffixes_longest_first() -> None:
    assert label_suffixes("CBZC.policja.gov.pl.") == ["cbzc.policja.gov.pl", "policja.gov.pl", "gov.pl", "pl"]


@given(DOMAIN, st.sets(DOMAIN, max_size=6))
def test_under_any_matches_under(domain: str, parents: set[str]) -> None:
    assert under_any(domain, parents) == any(under(domain, p) for p in parents)


@given(DOMAIN)
def test_gov_suffix_is_the_longest_matching(domain: str) -> None:
    matching = [s for s in rules().suffixes if under(domain, s)]
    assert gov_suffix(domain) == (max(matching, key=len) if matching else None)


def test_not_under_a_lookalike_parent() -> None:
    assert not under_any("notpolice.uk", {"police.uk"})
    assert under_any("met.police.uk", {"police.uk"})
