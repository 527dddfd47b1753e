"""The `jurisdiction` component: country and (sub-national only) region of the authority."""

from __future__ import annotations

import pytest

from nlp.extractor import Extractor
from nlp.places import law_country, phone_countries, places_in
from nlp.types import MessageInput
from tests.nlp.helpers import part1_extractor


@pytest.fixture(scope="module")
def ex() -> Extractor:
    return part1_extractor()


def mail(body: str, sender: str = "someone@example.org") -> MessageInput:
    return MessageInput(subject="Request", from_address=sender, text=body)


@pytest.mark.parametrize(
    ("signature", "country", "region"),
    [
        ("Landeskriminalamt Baden-Württemberg", "DE", "DE-BW"),
        ("New York City Police Department", "US", "US-NY"),
        ("Federal Bureau of Investigation", "US", None),
        ("Europol", "EU", None),
        ("Mossos d'Esquadra", "ES", "ES-CT"),
        ("Police Scotland", "GB", "GB-SCT"),
        ("Procura della Repubblica presso il Tribunale di Napoli", "IT", None),
    ],
)
def test_from_agency(ex: Extractor, signature: str, country: str, region: str | None) -> None:
    r = ex.extract(mail(f"We request the data of @x.\n\nRegards,\nA. Officer\n{signature}\n"))
    assert (r.country, r.region) == (country, region)


def test_from_authority_domain_when_agency_unknown(ex: Extractor) -> None:
    r = ex.extract(
        mail("Merci de conserver les données.\n\nCordialement,\nX", sender="x@unknown-unit.interieur.gouv.fr")
    )
    assert r.country == "FR"


def test_regional_domain(ex: Extractor) -> None:
    r = ex.extract(mail("Please preserve.\n\nThanks,\nX", sender="x@someunit.police.qld.gov.au"))
    assert (r.country, r.region) == ("AU", "AU-QLD")


def test_private_sender_has_no_jurisdiction(ex: Extractor) -> None:
    r = ex.extract(mail("Mein Konto wurde gehackt.\n\nGrüße\nMax", sender="max@web.de"))
    assert (r.country, r.region) == (None, None)


def test_places_laws_and_phones() -> None:
    found = places_in("Pittsburgh, PA 15203\nMadrid, España")
    assert [(p.country, p.region) for p in found] == [("US", "US-PA"), ("ES", None)]
    assert law_country("gem. § 100j StPO")[0] == "DE"  # type: ignore[index]
    assert law_country("art. 60-1 CPP")[0] == "FR"  # type: ignore[index]
    assert law_country("ai sensi dell'art. 132 D.Lgs. 196/2003")[0] == "IT"  # type: ignore[index]
    assert law_country("nothing legal here") is None
    assert [p.country for p in phone_countries("Tel: +44 7700 900618")] == ["GB"]


def test_unknown_local_agency_region_from_signature_address(ex: Extractor) -> None:
    body = (
        "We request subscriber records for @x.\n\nSincerely,\nDet. P. Example\nMaple Grove Police Department\n"
        "12800 Arbor Lakes Pkwy, Maple Grove, MN 55369\n"
    )
    r = ex.extract(mail(body, sender="p.example@maplegrovemn.gov"))
    assert (r.country, r.region) == ("US", "US-MN")


def test_swiss_cantonal_domain_gives_the_canton(ex: Extractor) -> None:
    msg = MessageInput(subject="Editionsverfügung", from_address="x@justice.be.ch", text="Bitte um Herausgabe.")
    r = ex.extract(msg)
    assert (r.country, r.region) == ("CH", "CH-BE")
