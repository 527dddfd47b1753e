"""The `finalize` component: fields that depend on several components."""

from __future__ import annotations

from nlp.components.finalize import Component as Finalize
from nlp.extractor import Extractor
from nlp.gazetteer import load_agencies
from nlp.registry import Doc
from nlp.types import Evidence, Extraction, MessageInput, NlpConfig

POLICE = next(a for a in load_agencies() if a.name == "Politiet")


def verified_doc(**cache: object) -> Doc:
    result = Extraction(agency=POLICE.name, sender_verified=True, request_type="not_law_enforcement")
    return Doc(msg=MessageInput(), result=result, cache={"agency_entry": POLICE, "sender_official": True, **cache})


def test_verified_agency_mail_is_not_dropped_on_the_classifiers_word() -> None:
    doc = verified_doc()
    Finalize(NlpConfig(), {})(doc)
    assert doc.result.request_type == "inquiry"
    assert doc.result.confidence["request_type"] <= 0.4


def test_the_best_other_class_is_taken_when_the_scores_are_known() -> None:
    doc = verified_doc(request_type_scores={"not_law_enforcement": 0.8, "preservation": 0.5, "inquiry": 0.2})
    Finalize(NlpConfig(), {})(doc)
    assert doc.result.request_type == "preservation"


def test_private_wording_keeps_not_law_enforcement() -> None:
    doc = verified_doc()
    doc.result.add_evidence("request_type", Evidence("newsletter", "body", rule="request_type_rule"))
    Finalize(NlpConfig(), {})(doc)
    assert doc.result.request_type == "not_law_enforcement"
    assert doc.result.sender_verified is True  # an authority domain keeps its verification


def test_unverified_or_unknown_senders_stay_not_law_enforcement() -> None:
    doc = verified_doc()
    doc.result.sender_verified = False
    Finalize(NlpConfig(), {})(doc)
    assert doc.result.request_type == "not_law_enforcement"
    no_agency = Doc(msg=MessageInput(), result=Extraction(sender_verified=True, request_type="not_law_enforcement"))
    Finalize(NlpConfig(), {})(no_agency)
    assert no_agency.result.request_type == "not_law_enforcement"


def test_free_mail_posing_as_an_agency_is_labelled_by_its_claim(full_extractor: Extractor) -> None:
    """SCHEMA: a mail posing as an authority keeps the type it claims, with sender_verified false."""
    from tests.nlp.helpers import fixture_input

    r = full_extractor.extract(fixture_input("freemail_claims_police.eml"))
    assert (r.request_type, r.sender_verified) == ("data_disclosure", False)
    assert r.agency == "Metropolitan Police Service"


def test_private_person_naming_the_police_stays_not_law_enforcement(full_extractor: Extractor) -> None:
    from tests.nlp.helpers import fixture_input

    r = full_extractor.extract(fixture_input("freemail_citizen_mentions_police.eml"))
    assert (r.request_type, r.sender_verified) == ("not_law_enforcement", None)
