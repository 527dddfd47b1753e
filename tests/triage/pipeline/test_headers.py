"""The archive step's targeted header scan gives what the full header parse gives, whatever the bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.pipeline.headers import header_block, header_pairs, headers_named

TESTS = Path(__file__).resolve().parents[2]
TORTURE = TESTS.parent.parent / "shared" / "corpus" / "mime-torture"  # beside the repository, when present
NAMES = frozenset({"message-id", "received"})


def full(block: bytes, names: frozenset[str] = NAMES) -> list[tuple[str, str]]:
    return [(k, v) for k, v in header_pairs(block) if k.lower() in names]


def corpus() -> list[Path]:
    paths = sorted((TESTS / "fixtures").rglob("*.eml"))
    if TORTURE.is_dir():
        paths += sorted(p for p in TORTURE.rglob("*") if p.is_file() and p.suffix != ".md")
    return paths


def test_same_headers_as_the_full_parse_on_every_stored_message() -> None:
    paths = corpus()
    assert len(paths) > 100
    for path in paths:
        raw = path.read_bytes()
        for block in (header_block(raw), raw[:4096]):  # cut at the empty line, or in a body without one
            assert headers_named(block, NAMES) == full(block), path
        subject = frozenset({"subject", "from", "content-type"})
        assert headers_named(header_block(raw), subject) == full(header_block(raw), subject), path


def test_folding_envelope_lines_and_malformed_lines_as_the_email_package_reads_them() -> None:
    block = (
        b"From sender@example Mon Nov 30 10:00:00 2026\r\n"
        b"  continuation before any header\r\n"
        b"Received: from a by b;\r\n\tMon, 30 Nov 2026 10:00:00 +0000\r\n"
        b": no name\r\n\tits continuation\r\n"
        b"Message-ID: =?utf-8?q?=3Cencoded=40x=3E?=\r\n"
        b"MESSAGE-id: <second@x>\r\n"
        b"Subject: caf\xc3\xa9\r\n"
        b"From not-a-header\r\n"
        b"received: lone\rcr\n"
        b"Bad Name: body starts here\r\n"
        b"Message-ID: <in-the-body@x>\r\n\r\n"
    )
    got = headers_named(block, NAMES)
    assert got == full(block)
    assert [k for k, _ in got] == ["Received", "Message-ID", "MESSAGE-id", "received"]
    assert got[0][1] == "from a by b;\r\n\tMon, 30 Nov 2026 10:00:00 +0000"


FRAGMENTS = [
    b"Message-ID: <a@b>", b"Message-Id:<c@d> <e@f>", b"Received: from x; Mon, 30 Nov 2026 10:00:00 +0000",
    b"Received: by y", b"received:", b"From ", b"From: a@b", b"Subject: caf\xc3\xa9", b"X-A: =?utf-8?q?=C3=A9?=",
    b"=?iso-8859-1?b?4w==?=", b"\r\n", b"\n", b"\r", b" ", b"\t", b":", b"Bad Name", b"\x00", b"\xff", b"<", b">",
    b";",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40))
def test_same_headers_as_the_full_parse_on_generated_blocks(parts: list[bytes]) -> None:
    block = b"".join(parts)
    assert headers_named(block, NAMES) == full(block)


@pytest.mark.parametrize("block", [b"", b"\r\n", b"Message-ID: <only@x>", b"\xff\xfe: x\r\n"])
def test_edge_blocks(block: bytes) -> None:
    assert headers_named(block, NAMES) == full(block)
