"""lookalike_of with its per-process tables answers as the plain scan of every curated domain does."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein

from nlp.authority import _stem, lookalike_of, skeleton
from nlp.domains import under_any
from nlp.gazetteer import load_agencies


def _plain_lookalike(domain: str, curated: set[str]) -> str | None:
    """The search as first written: every curated domain's keys computed for each question."""
    if not domain or under_any(domain, curated):
        return None
    keys = {skeleton(domain), skeleton(_stem(domain))}
    tld = domain.rsplit(".", 1)[-1]
    targets = sorted(((t, {skeleton(t), skeleton(_stem(t)), skeleton(t.rsplit(".", 1)[0])}) for t in sorted(curated)),
                     key=lambda tk: tk[0].rsplit(".", 1)[-1] != tld)
    for target in sorted(curated):
        if skeleton(target) in keys:
            return target
    for target, tkeys in targets:
        if any(len(t) >= 5 and t in keys for t in tkeys):
            return target
    for target, tkeys in targets:
        for k in keys:
            for t in tkeys:
                if len(t) >= 7 and (Levenshtein.distance(k, t) <= 1 or (t in k and len(k) - len(t) <= 5)):
                    return target
    return None


CURATED = {d.lower() for a in load_agencies() for d in a.domains}
EDITS = [("o", "0"), ("l", "1"), ("i", "1"), (".", "-"), ("m", "rn"), ("e", "е"), ("a", "а"), (".", "")]


@pytest.mark.parametrize("domain", ["po1itie.nl", "aaaapolitie.nl", "met-police-uk.com", "fbi.gov.co", "gmail.com",
                                    "politie.be", "example.org", "ρolitie.nl", "metpolice-uk.org", ""])
def test_known_cases(domain: str) -> None:
    assert lookalike_of(domain, CURATED) == _plain_lookalike(domain, CURATED)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(sorted(CURATED)), st.sampled_from(EDITS), st.sampled_from(["", ".com", ".org", "x"]),
       st.sampled_from(["", ".co", ".eu", ".net"]))
def test_edited_authority_domains(domain: str, edit: tuple[str, str], prefix: str, tld: str) -> None:
    fake = (prefix.strip(".") + domain.replace(*edit, 1) + tld).strip(".")
    assert lookalike_of(fake, CURATED) == _plain_lookalike(fake, CURATED)


def test_two_whole_domain_imitations_give_the_first_in_order() -> None:
    curated = {"policeuk.co.uk", "police.uk", "politie.nl"}  # 'police-uk.co.uk' folds to both
    assert lookalike_of("police-uk.co.uk", curated) == _plain_lookalike("police-uk.co.uk", curated) == "police.uk"


def test_building_the_sender_component_prepares_the_lookalike_tables() -> None:
    from nlp.authority import _whole_keys
    from nlp.components.sender import Component
    from nlp.types import NlpConfig

    _whole_keys.cache_clear()
    component = Component(NlpConfig(), {})
    assert _whole_keys.cache_info().currsize == 1
    lookalike_of("example.org", component.curated)
    assert _whole_keys.cache_info().hits >= 1 and _whole_keys.cache_info().currsize == 1
