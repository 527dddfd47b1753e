"""Result records: the JSON form is what ``dataclasses.asdict`` gives, field for field and in order."""

from __future__ import annotations

from dataclasses import asdict

from hypothesis import given
from hypothesis import strategies as st

from nlp.types import Evidence

SOURCES = ["subject", "body", "signature", "quote", "forward", "attachment", "header", "sender_domain"]


@given(st.builds(Evidence, text=st.text(), source=st.sampled_from(SOURCES), start=st.none() | st.integers(0),
                 end=st.none() | st.integers(0), rule=st.none() | st.text()))
def test_evidence_json_is_its_asdict(ev: Evidence) -> None:
    assert list(ev.to_json().items()) == list(asdict(ev).items())
