"""Our faster authres parse gives exactly authres's results; the pre-check never changes an outcome."""

from __future__ import annotations

from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from typing import Any

import authres
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp.authresults import parse_header, read_auth
from nlp.types import MessageInput

FIXTURES = Path(__file__).parent.parent / "fixtures"
TRUSTED = "mx1.platform.example"


def _fixture_values() -> list[str]:
    values = (FIXTURES / "nlp" / "authres_values.txt").read_text(encoding="utf-8").splitlines()
    for eml in sorted(FIXTURES.rglob("*.eml")):
        msg = MessageInput(headers=tuple(_headers(eml.read_bytes())))
        values.extend(msg.header("Authentication-Results"))
    return [v for v in values if v]


def _headers(raw: bytes) -> list[tuple[str, str]]:
    parsed = BytesHeaderParser(policy=compat32).parsebytes(raw)
    return [(k, str(v)) for k, v in parsed.items()]


def _outcome(parse: Any, value: str) -> tuple[Any, ...]:
    """Everything read_auth could use of a parse, or the error raised."""
    try:
        h = parse(value)
    except Exception as exc:
        return ("error", type(exc).__name__)
    results = [(str(r.method), r.version, str(r.result), r.reason,
                [(p.type, p.name, p.value) for p in r.properties]) for r in h.results]
    return (h.authserv_id, h.version, results)


VALUES = _fixture_values()
PIECES = ["mx1.platform.example", "MX1.platform.EXAMPLE", "evil.example", ";", " ", "\t", "\r\n ", "\n", "=", ".",
          "/", "@", "(", ")", '"', "\\", "spf", "dkim", "dmarc", "none", "reason", "pass", "fail", "smtp",
          "header", "mailfrom", "d", "from", "a.example", "1", "é", "\u212a", "\u017f", "NONE", "Reason", "SMTP"]


def test_fixture_values_parse_as_authres_does() -> None:
    assert len(VALUES) > 40
    for value in VALUES:
        assert _outcome(parse_header, value) == _outcome(authres.AuthenticationResultsHeader.parse_value, value), value


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
def test_any_text_parses_as_authres_does(value: str) -> None:
    assert _outcome(parse_header, value) == _outcome(authres.AuthenticationResultsHeader.parse_value, value)


def _reference_read(values: list[str]) -> tuple[Any, ...]:
    """read_auth as it was: every header parsed by authres, ids compared after parsing."""
    ignored = 0
    for value in values:
        try:
            header = authres.AuthenticationResultsHeader.parse_value(value)
        except Exception:
            ignored += 1
            continue
        if str(header.authserv_id).lower() != TRUSTED:
            ignored += 1
            continue
        return (True, _outcome(authres.AuthenticationResultsHeader.parse_value, value), ignored)
    return (False, None, ignored)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from([*VALUES, "other.example; spf=pass smtp.mailfrom=a.example", "garbage ("]),
                max_size=4))
def test_read_auth_finds_the_same_header_and_ignored_count(values: list[str]) -> None:
    auth = read_auth(MessageInput(headers=tuple(("Authentication-Results", v) for v in values)), TRUSTED)
    found, _, ignored = _reference_read(values)
    assert (auth.found, auth.ignored) == (found, ignored)
