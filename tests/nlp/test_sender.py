"""The `sender` component: verification from our own MTA's results, domain risks, signals."""

from __future__ import annotations

import pytest

from nlp.authority import is_authority, is_freemail, lookalike_of, tld_swap_of
from nlp.extractor import Extractor
from nlp.gazetteer import load_agencies
from nlp.registry import Doc
from nlp.types import Extraction, MessageInput
from tests.nlp.helpers import fixture_input, part1_extractor

PASS = "mx1.platform.example; spf=pass smtp.mailfrom={d}; dkim=pass header.d={d}; dmarc=pass header.from={d}"


@pytest.fixture(scope="module")
def ex() -> Extractor:
    return part1_extractor()


@pytest.fixture(scope="module")
def curated() -> set[str]:
    return {d for a in load_agencies() for d in a.domains}


def mail(
    sender: str,
    auth: str | None = None,
    body: str = "Please preserve the data.\n\nRegards,\nX",
    reply_to: tuple[str, ...] = (),
) -> MessageInput:
    domain = sender.split("@")[1]
    headers = (("Authentication-Results", (auth or PASS).format(d=domain)),)
    return MessageInput(subject="Request", from_address=sender, text=body, headers=headers, reply_to=reply_to)


def codes(r: Extraction) -> list[str]:
    return [s.code for s in r.signals]


def test_official_domain_with_aligned_pass_is_verified(ex: Extractor) -> None:
    r = ex.extract(mail("a.b@met.police.uk"))
    assert r.sender_verified is True
    assert codes(r) == ["authority_domain"]


def test_only_the_topmost_trusted_header_counts(ex: Extractor) -> None:
    r = ex.extract(fixture_input("forged_header.eml"))  # a forged 'pass' sits below our 'fail'
    assert r.sender_verified is False
    assert "auth_fail" in codes(r)


def test_header_from_someone_else_is_ignored(ex: Extractor) -> None:
    r = ex.extract(
        mail("x@fbi.gov", auth="mx.attacker.example; spf=pass smtp.mailfrom=fbi.gov; dmarc=pass header.from=fbi.gov")
    )
    assert r.sender_verified is False
    assert "auth_missing" in codes(r)


def test_unaligned_pass_does_not_verify(ex: Extractor) -> None:
    auth = (
        "mx1.platform.example; spf=pass smtp.mailfrom=bulkmailer.example;"
        " dkim=pass header.d=bulkmailer.example; dmarc=none"
    )
    r = ex.extract(mail("x@politie.nl", auth=auth))
    assert r.sender_verified is False
    assert "auth_unaligned" in codes(r)


def test_freemail_pass_never_verifies(ex: Extractor) -> None:
    r = ex.extract(mail("station.cyber@gmail.com"))
    assert r.sender_verified is False
    assert "freemail" in codes(r)


def test_lookalike_with_urgency_and_reply_to(ex: Extractor) -> None:
    r = ex.extract(fixture_input("lookalike_urgent.eml"))
    assert r.sender_verified is False
    assert {"lookalike_domain", "reply_to_mismatch", "urgency_unverified"} <= set(codes(r))
    look = next(s for s in r.signals if s.code == "lookalike_domain")
    assert look.detail["imitates"] == "politie.nl" and look.severity == "high"


def test_body_asking_replies_to_freemail_is_a_diversion(ex: Extractor) -> None:
    body = "Urgent. Reply only to our secure mailbox ops.team@gmail.com, not the switchboard.\n\nRegards,\nX"
    r = ex.extract(mail("x@met.police.uk", body=body))
    assert r.sender_verified is False
    assert "contact_mismatch" in codes(r)


def test_target_email_in_body_is_not_a_diversion(ex: Extractor) -> None:
    body = "The suspect used the address k.target@protonmail.com on the account.\n\nRegards,\nX"
    assert ex.extract(mail("x@rcmp-grc.gc.ca", body=body)).sender_verified is True


@pytest.mark.parametrize(
    ("domain", "target"),
    [
        ("met-police-uk.com", "met.police.uk"),
        ("po1itie.nl", "politie.nl"),
        ("fbi-gov.us", "fbi.gov"),
        ("aaaapolitie.nl", "politie.nl"),
    ],
)
def test_lookalikes(curated: set[str], domain: str, target: str) -> None:
    assert lookalike_of(domain, curated) == target


@pytest.mark.parametrize(
    "domain", ["politie.nl", "tdo.politie.nl", "cbzc.policja.gov.pl", "dps.texas.gov", "interieur.gouv.fr", "orange.fr"]
)
def test_real_domains_are_not_lookalikes(curated: set[str], domain: str) -> None:
    assert lookalike_of(domain, curated) is None


def test_authority_and_freemail_rules(curated: set[str]) -> None:
    assert is_authority("sheriff.example-county.gov", curated)
    assert is_authority("lka.polizei.bwl.de", curated)
    assert not is_authority("gmail.com", curated) and is_freemail("gmail.com")
    assert not is_authority("newsdesk-example.org", curated)


def test_finalize_clears_verification_for_ordinary_people(ex: Extractor) -> None:
    from nlp.components.finalize import Component as Finalize

    doc = Doc(msg=MessageInput(), result=Extraction(sender_verified=False, request_type="not_law_enforcement"))
    Finalize(ex.config, {})(doc)
    assert doc.result.sender_verified is None
    official = Doc(
        msg=MessageInput(),
        result=Extraction(sender_verified=True, request_type="not_law_enforcement"),
        cache={"sender_official": True},
    )
    Finalize(ex.config, {})(official)
    assert official.result.sender_verified is True


@pytest.mark.parametrize(
    "header",
    [
        "",
        ";;;",
        "mx1.platform.example",
        "mx1.platform.example; spf=",
        "mx1.platform.example; dkim=pass header.d=",
        "\x00\xff garbage",
    ],
)
def test_malformed_authentication_results_never_raise(ex: Extractor, header: str) -> None:
    msg = MessageInput(
        subject="x", from_address="x@politie.nl", text="Hallo", headers=(("Authentication-Results", header),)
    )
    r = ex.extract(msg)
    assert r.errors == [] and r.sender_verified is False


def test_missing_sender_address(ex: Extractor) -> None:
    r = ex.extract(MessageInput(subject="x", from_address="", text="Hello there"))
    assert r.errors == [] and r.sender_verified is False


def test_finalize_drops_weak_agency_guess_for_ordinary_people(ex: Extractor) -> None:
    from nlp.components.finalize import Component as Finalize

    result = Extraction(agency="Acme Police Department Supply Co", country="US", request_type="not_law_enforcement")
    doc = Doc(msg=MessageInput(), result=result, cache={"agency_weak": True})
    Finalize(ex.config, {})(doc)
    assert (doc.result.agency, doc.result.country) == (None, None)


@pytest.mark.parametrize("domain", ["co.marion.or.us", "ci.salem.or.us", "state.mn.us", "county.ramsey.mn.us"])
def test_us_locality_domains_are_authority_domains(domain: str, curated: set[str]) -> None:
    assert is_authority(domain, curated)


def test_school_and_private_us_domains_are_not_authority_domains(curated: set[str]) -> None:
    assert not is_authority("k12.or.us", curated)
    assert not is_authority("marion-county-news.us", curated)


def test_right_name_under_the_wrong_tld_is_a_lookalike(ex: Extractor) -> None:
    r = ex.extract(mail("gdt@guardiacivil.eu"))  # passes its own authentication
    assert r.sender_verified is False
    look = next(s for s in r.signals if s.code == "lookalike_domain")
    assert look.detail["imitates"].startswith("guardiacivil.")


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("guardiacivil.eu", "guardiacivil.es"),
        ("sta.justiz.hamburg.de", None),  # same registered domain as a curated one
        ("policia.gov.co", None),  # a government suffix is never a swap
        ("guardiacivil.es", None),
    ],
)
def test_tld_swap(domain: str, expected: str | None) -> None:
    curated = {"guardiacivil.es", "polizei.hamburg.de", "policia.es"}
    assert tld_swap_of(domain, curated) == expected


@pytest.mark.parametrize("domain", ["met.police.uk.co", "metpolice-uk.org", "guardiacivil.eu"])
def test_authority_naming_pattern_is_not_enough_for_a_copy(ex: Extractor, domain: str) -> None:
    r = ex.extract(mail(f"officer@{domain}"))  # each passes its own authentication
    assert r.sender_verified is False
    assert "lookalike_domain" in codes(r)


@pytest.mark.parametrize(
    "domain", ["politie.be", "lacountysheriff.org", "police.ohio.gov", "ocpd.co.okaloosa.fl.us", "justice.be.ch"]
)
def test_genuine_pattern_and_suffix_domains_stay_verified(ex: Extractor, domain: str) -> None:
    assert ex.extract(mail(f"officer@{domain}")).sender_verified is True
