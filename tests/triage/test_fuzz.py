"""Property-based fuzzing of parse and extraction: random, generated and mutated messages.

Whatever the bytes, ``parse_bytes`` returns a ParsedMail whose strings a database accepts and
whose sizes honour the limits, and extraction on it returns an Extraction that serialises.
The default profile is quick; ``HYPOTHESIS_PROFILE=fuzz`` (``make fuzz``) runs many examples
and also mutates the shared MIME torture corpus when it is present.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp.extractor import Extractor
from nlp.types import Extraction, NlpConfig
from triage.extraction import extract_parsed
from triage.parse import ParsedMail, parse_bytes

TESTS = Path(__file__).resolve().parents[1]
TORTURE = TESTS.parent.parent / "shared" / "corpus" / "mime-torture"
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "quick")
SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]
settings.register_profile("quick", max_examples=40, deadline=None, suppress_health_check=SUPPRESS)
settings.register_profile("fuzz", max_examples=3000, deadline=None, suppress_health_check=SUPPRESS)
FUZZ = settings(settings.get_profile(PROFILE if PROFILE in ("quick", "fuzz") else "quick"))


def torture_files() -> list[Path]:
    return sorted(p for p in TORTURE.rglob("*") if p.is_file() and p.suffix != ".md") if TORTURE.is_dir() else []


def seed_messages() -> list[bytes]:
    """Project fixtures (small ones), plus the shared torture corpus in the fuzz profile."""
    paths = sorted((TESTS / "fixtures" / "parse").glob("*.eml"))
    paths += [p for p in sorted((TESTS / "fixtures" / "nasty").glob("*.eml")) if p.stat().st_size < 100_000]
    if PROFILE == "fuzz":
        paths += torture_files()
    return [p.read_bytes() for p in paths]


SEEDS = seed_messages()


@pytest.fixture(scope="module")
def extractor() -> Iterator[Extractor]:
    yield Extractor(NlpConfig(use_spacy=False))


def check(pm: ParsedMail, extractor: Extractor) -> None:
    """The invariants every input must meet, parsed and extracted."""
    assert isinstance(pm, ParsedMail)
    crashes = [e for e in pm.errors if e.startswith(("unreadable headers", "body unreadable"))]
    assert not crashes, crashes  # an exception caught inside parse_bytes is still a bug to fix
    strings = [pm.subject, pm.from_address, pm.from_name, pm.text or "", pm.html or "", pm.content_type]
    strings += [s for kv in pm.headers for s in kv] + pm.to + pm.cc + pm.reply_to + pm.errors
    strings += [a.filename or "" for a in pm.attachments]
    for s in strings:
        assert "\x00" not in s
        s.encode("utf-8")
    assert pm.date is None or pm.date.tzinfo is not None
    assert len(pm.headers) <= pm.limits.max_headers
    assert len(pm.attachments) <= pm.limits.max_attachments
    result = extract_parsed(extractor, pm)
    assert isinstance(result, Extraction)
    assert not any(e.startswith("extraction failed") for e in result.errors), result.errors
    json.dumps(result.to_json(), default=str).encode("utf-8")


# --- generated messages: a random MIME tree with hostile parameters
header_name = st.sampled_from(
    [
        "From",
        "To",
        "Cc",
        "Reply-To",
        "Subject",
        "Date",
        "Message-ID",
        "In-Reply-To",
        "References",
        "Received",
        "Authentication-Results",
        "Content-Type",
        "Content-Transfer-Encoding",
        "X-Other",
    ]
)
header_value = st.one_of(
    st.text(max_size=80),
    st.binary(max_size=80).map(lambda b: b.decode("latin-1")),
    st.sampled_from(
        [
            "=?utf-8?b?w6k=?=",
            "=?bogus?q?x?=",
            "<a@b>",
            "a@b, <c@d>",
            "((((",
            '"\\',
            "Mon, 32 Foo 99999",
            "(" * 3000,
            "=?utf-8?q?=00?=",
        ]
    ),
)
ctype = st.sampled_from(
    [
        "text/plain",
        "text/html",
        "application/pdf",
        "message/rfc822",
        "application/zip",
        "text/plain; charset=x-bad",
        "text/plain; charset=utf-16",
        'image/png; name="a\x00.png"',
        'text/html; charset="utf-7"',
    ]
)
cte = st.sampled_from(["", "base64", "quoted-printable", "7bit", "8bit", "x-uuencode", "binary", "BASE64 "])


@st.composite
def mime_part(draw: st.DrawFn, depth: int = 0) -> bytes:
    if depth < 4 and draw(st.booleans()):
        boundary = draw(st.sampled_from(["b", "bb", "=_x", "", "--", "b" * 80]))
        children = draw(st.lists(st.deferred(lambda: mime_part(depth + 1)), max_size=4))
        body = b"".join(b"--" + boundary.encode() + b"\r\n" + c + b"\r\n" for c in children)
        closing = b"--" + boundary.encode() + b"--\r\n" if draw(st.booleans()) else b""
        return f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'.encode() + body + closing
    head = f"Content-Type: {draw(ctype)}\r\nContent-Transfer-Encoding: {draw(cte)}\r\n"
    if draw(st.booleans()):
        head += f'Content-Disposition: attachment; filename="{draw(st.text(max_size=20))}"\r\n'
    return head.encode("utf-8", "surrogateescape") + b"\r\n" + draw(st.binary(max_size=300))


@st.composite
def message(draw: st.DrawFn) -> bytes:
    headers = draw(st.lists(st.tuples(header_name, header_value), max_size=12))
    block = "".join(f"{k}: {v}\r\n" for k, v in headers).encode("utf-8", "surrogateescape")
    return block + b"MIME-Version: 1.0\r\n" + draw(mime_part())


# --- mutations of real messages
@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "boundary", "dup_header", "splice"]))
        n = len(data)
        at = draw(st.integers(0, max(n - 1, 0)))
        if op == "flip" and n:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "truncate":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(
                st.sampled_from([b"\x00", b"\r\n\r\n", b"--", b"=?", b"\xff\xfe", b"\r\n ", b"boundary="])
            )
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif op == "boundary":
            data = bytearray(bytes(data).replace(b"--", draw(st.sampled_from([b"-", b"---", b"--\x00", b""])), 3))
        elif op == "dup_header":
            line_end = data.find(b"\n", at)
            line_start = data.rfind(b"\n", 0, at) + 1
            if line_end > line_start:
                line = bytes(data[line_start : line_end + 1])
                data[line_start:line_start] = line * draw(st.integers(1, 50))
        elif op == "splice":
            other = draw(st.sampled_from(SEEDS))
            data[at:] = other[draw(st.integers(0, max(len(other) - 1, 0))) :]
    return bytes(data)


@FUZZ
@given(raw=st.binary(max_size=4096))
def test_random_bytes(raw: bytes, extractor: Extractor) -> None:
    check(parse_bytes(raw), extractor)


@FUZZ
@given(raw=message())
def test_generated_mime(raw: bytes, extractor: Extractor) -> None:
    check(parse_bytes(raw), extractor)


@FUZZ
@given(raw=mutated())
def test_mutated_fixtures(raw: bytes, extractor: Extractor) -> None:
    check(parse_bytes(raw), extractor)


@pytest.mark.skipif(not torture_files(), reason="shared MIME torture corpus absent")
def test_shared_torture_corpus(extractor: Extractor) -> None:
    for path in torture_files():
        pm = parse_bytes(path.read_bytes())
        check(pm, extractor)
        assert pm.headers or pm.text or pm.errors, path.name
