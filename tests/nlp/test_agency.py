"""Agency gazetteer and the `agency` component: the requester, not any agency mentioned."""

from __future__ import annotations

import pytest

from nlp.extractor import Extractor
from nlp.gazetteer import fold, load_agencies
from nlp.types import MessageInput
from tests.nlp.helpers import fixture_input, part1_extractor, part1_of

EU = [
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
]


@pytest.fixture(scope="module")
def ex() -> Extractor:
    return part1_extractor()


def mail(body: str, sender: str = "someone@example.org", name: str = "", subject: str = "Request") -> MessageInput:
    return MessageInput(subject=subject, from_address=sender, from_name=name, text=body)


def test_gazetteer_covers_the_domain() -> None:
    agencies = load_agencies()
    assert len(agencies) >= 500
    countries = {a.country for a in agencies}
    assert set(EU) <= countries
    assert {"GB", "US", "CA", "AU", "IN", "BR", "CH", "NO", "UA", "EU"} <= countries
    names = {a.name for a in agencies}
    assert {"Europol", "Eurojust", "European Public Prosecutor's Office", "Interpol"} <= names
    regions = {a.region for a in agencies if a.region}
    assert {"DE-BW", "ES-CT", "ES-PV", "US-NY", "GB-SCT", "CA-QC", "AU-NSW", "IN-KA", "BR-SP"} <= regions
    assert len({a.name for a in agencies if a.country == "GB" and a.kind == "police"}) >= 45
    assert len(names) == len(agencies)


def test_fold_keeps_offsets() -> None:
    text = "Sûreté du Québec – Straße"
    assert len(fold(text)) == len(text)
    assert fold(text).startswith("surete du quebec")


def test_signature_beats_cooperation_mention(ex: Extractor) -> None:
    r = ex.extract(
        mail(
            "In cooperation with Europol we request data on the account @x.\n\nRegards,\nDS A. Example\n"
            "Greater Manchester Police\n",
            sender="a.example@gmp.police.uk",
        )
    )
    assert r.agency == "Greater Manchester Police"
    assert r.evidence["agency"][0].source == "signature"


def test_third_party_reference_is_not_the_requester(ex: Extractor) -> None:
    r = ex.extract(
        mail("Please preserve the data of @x. The Europol reference is 1234.\n\nThank you,\nJ. Doe\nPolicía Nacional\n")
    )
    assert r.agency == "Policía Nacional"


def test_press_mentioning_agencies_has_no_agency(ex: Extractor) -> None:
    assert ex.extract(fixture_input("press_mentions_fbi.eml")).agency is None


def test_accent_and_case_insensitive_alias(ex: Extractor) -> None:
    r = ex.extract(mail("Nous demandons la conservation des données.\n\nCordialement,\nSergent X\nSURETE DU QUEBEC\n"))
    assert r.agency == "Sûreté du Québec"


def test_sender_domain_disambiguates_same_alias(ex: Extractor) -> None:
    body = "Wir ersuchen um Auskunft.\n\nMit freundlichen Grüßen\nBundeskriminalamt\n"
    assert ex.extract(mail(body, sender="x@bmi.gv.at")).agency == "Bundeskriminalamt Österreich"
    assert ex.extract(mail(body, sender="x@bka.bund.de")).agency == "Bundeskriminalamt"


def test_domain_alone_names_the_agency(ex: Extractor) -> None:
    r = ex.extract(mail("Please see the attached order.\n\nJ. Smith", sender="j.smith@fbi.gov"))
    assert r.agency == "Federal Bureau of Investigation"
    assert r.evidence["agency"][0].source == "sender_domain"


def test_sender_display_name_counts(ex: Extractor) -> None:
    r = ex.extract(
        mail("Bitte um Auskunft zu dem Konto @x.", sender="h.a@sta-koeln.nrw.de", name="Albers, Henrike (StA Köln)")
    )
    assert r.agency == "Staatsanwaltschaft Köln"


def test_unknown_authority_from_signature_line(ex: Extractor) -> None:
    r = ex.extract(
        mail(
            "We request subscriber records for @x.\n\nSincerely,\nOfficer P. Example\n"
            "Springfield Township Police Department\n",
            sender="p@springfieldtwp-example.org",
        )
    )
    assert r.agency == "Springfield Township Police Department"
    assert r.confidence["agency"] < 0.5


def test_private_person_has_no_agency(ex: Extractor) -> None:
    r = ex.extract(
        mail("Someone hacked my account, the police told me to contact you.\n\nThanks,\nTom", sender="tom@hotmail.com")
    )
    assert r.agency is None


def test_sign_off_line_at_end_of_body_counts(ex: Extractor) -> None:
    body = (
        "Please preserve all data of the account @x for 90 days pursuant to the relevant law.\n"
        "D. Example, Hampshire Constabulary"
    )
    assert ex.extract(mail(body)).agency == "Hampshire and Isle of Wight Constabulary"


def test_statistical_ner_fallback_when_installed(full_extractor: Extractor) -> None:
    if not full_extractor.resources["spacy_ner"]:
        pytest.skip("no spaCy pipeline installed")
    ex = part1_of(full_extractor)
    body = "We request subscriber records for @x.\n\nSincerely,\nOfficer P. Example\nMaple Grove Police Department\n"
    r = ex.extract(mail(body, sender="p@maplegrove-example.org"))
    assert r.agency is not None and "Maple Grove Police Department" in r.agency
    assert r.evidence["agency"][0].rule == "signature_unit"


def test_relayed_original_names_the_requester(ex: Extractor) -> None:
    # the LKA only forwards ("Siehe unten") what the prosecutor wrote
    r = ex.extract(fixture_input("forwarded_see_below.eml"))
    assert r.agency == "Staatsanwaltschaft Stuttgart"
    assert any((e.rule or "").startswith("relayed_") for e in r.evidence.get("agency", []))


def test_forward_from_the_same_domain_is_no_relay(ex: Extractor) -> None:
    body = (
        "See below.\n\n---------- Forwarded message ----------\n"
        "From: Colleague <colleague@met.police.uk>\nSubject: Request\n\n"
        "Please preserve the account @example_user.\n\nRegards,\nMetropolitan Police Service"
    )
    r = ex.extract(mail(body, sender="officer@met.police.uk", name="Officer"))
    assert r.agency == "Metropolitan Police Service"
    assert not any((e.rule or "").startswith("relayed_") for e in r.evidence.get("agency", []))


def test_forwarded_complaint_from_a_private_person_keeps_the_sender(ex: Extractor) -> None:
    body = (
        "See below.\n\n---------- Forwarded message ----------\n"
        "From: A Victim <victim@gmail.com>\nSubject: help\n\n"
        "I already reported this to the FBI and the Metropolitan Police Service.\n"
    )
    r = ex.extract(mail(body, sender="officer@psni.police.uk", name="Police Service of Northern Ireland"))
    assert r.agency == "Police Service of Northern Ireland"


@pytest.mark.parametrize(
    ("text", "name", "region"),
    [
        ("INP X\nPolitiezone Antwerpen", "Politiezone Antwerpen", "BE-VAN"),
        (
            "Inspecteur X\nZone de police Bruxelles-Capitale Ixelles",
            "Zone de police Bruxelles-Capitale Ixelles",
            "BE-BRU",
        ),
        ("Fiscal delegada\nFiscalía Provincial de Sevilla", "Fiscalía Provincial de Sevilla", None),
        ("Special Agent X\nCalifornia Department of Justice", "Office of the California Attorney General", "US-CA"),
        ("Agent X\nPennsylvania Office of Attorney General", "Office of the Pennsylvania Attorney General", "US-PA"),
        ("Politiassistent X\nKøbenhavns Politi", "Københavns Politi", None),
        ("Kriminalinspektör X\nPolismyndigheten, polisregion Väst", "Polisregion Väst", None),
        ("Commissario X\nPolizia Locale di Milano", "Polizia Locale di Milano", None),
    ],
)
def test_local_and_state_bodies_in_signatures(ex: Extractor, text: str, name: str, region: str | None) -> None:
    r = ex.extract(mail(f"Please send the data.\n\nRegards,\n\n{text}\n"))
    assert (r.agency, r.region) == (name, region)


def test_police_belgium_domain_alone_still_means_the_federal_police(ex: Extractor) -> None:
    r = ex.extract(mail("Please send the data.", sender="x@police.belgium.eu"))
    assert r.agency == "Police fédérale"


def test_state_unit_outside_the_gazetteer_from_signature_and_state_domain(ex: Extractor) -> None:
    r = ex.extract(
        mail("Please send the data.\n\nRegards,\n\nDet. X\nNew Jersey Division of Criminal Justice\n", "x@nj.gov")
    )
    assert (r.agency, r.country, r.region) == ("New Jersey Division of Criminal Justice", "US", "US-NJ")


def test_keyword_anywhere_prefilter_never_misses_a_part() -> None:
    """The signature is skipped when no keyword occurs anywhere: every bounded hit in a part is seen."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from nlp.agencyrank import load_cues

    cues = load_cues()
    parts = st.sampled_from(["Polizei", "police", "Xpolice", "2gendarmerie", " ", "\n", "-", "Kripo", "abc"])

    @settings(max_examples=200, deadline=None)
    @given(st.lists(parts, max_size=8).map("".join), st.integers(0, 40), st.integers(0, 40))
    def check(text: str, i: int, j: int) -> None:
        part = text[min(i, j): max(i, j)]
        if cues.le_keywords.search(fold(part)):
            assert cues.le_anywhere.search(fold(text))

    check()
    assert not cues.le_anywhere.search(fold("Kind regards\nJohn Smith\n+44 20 7946 0000"))
