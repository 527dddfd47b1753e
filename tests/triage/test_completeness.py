from nlp.types import Extraction
from triage.completeness import PRESENCE, check, required_elements


def test_every_required_element_has_a_presence_rule() -> None:
    for elements in required_elements().values():
        assert set(elements) <= set(PRESENCE)


def test_preservation_missing_elements_are_named() -> None:
    x = Extraction(request_type="preservation", agency="FBI", country="US", legal_basis=["18 U.S.C. 2703(f)"])
    x.elements = {"named_official": True, "data_categories": False, "date_range": False}
    result = check(x)
    assert result["missing"] == ["case_reference", "targets", "data_categories", "date_range"]
    assert not result["complete"]


def test_complete_removal_order() -> None:
    x = Extraction(request_type="content_removal", agency="OFAC", country="FR", case_reference="TCO-1",
                   legal_basis=["Regulation (EU) 2021/784"], targets=["t.me/x/1"])
    assert check(x)["complete"]


def test_not_law_enforcement_requires_nothing() -> None:
    assert check(Extraction(request_type="not_law_enforcement"))["complete"]
    assert check(Extraction())["required"] == []
