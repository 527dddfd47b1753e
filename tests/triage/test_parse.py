"""parse_bytes on ordinary and broken messages: fields, threading ids, bodies, storable strings."""

from __future__ import annotations

import email
import email.policy
import random
from datetime import UTC, datetime
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import mailparser
import pytest
from hypothesis import given
from hypothesis import strategies as st

from triage.parse import ParsedMail, _body_view, decode_value, parse_bytes, parse_date, storable

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TORTURE = FIXTURES.parents[2] / "shared" / "corpus" / "mime-torture"  # beside the repository, when present


def load(name: str) -> bytes:
    return (FIXTURES / "parse" / name).read_bytes()


def assert_storable(pm: ParsedMail) -> None:
    """Every string a database will store is NUL-free valid UTF-8."""
    strings = [pm.subject, pm.from_address, pm.from_name, pm.text or "", pm.html or "", pm.content_type]
    strings += [s for kv in pm.headers for s in kv] + pm.to + pm.cc + pm.reply_to + pm.errors
    strings += [a.filename or "" for a in pm.attachments] + [a.content_type for a in pm.attachments]
    for s in strings:
        assert "\x00" not in s
        s.encode("utf-8")  # raises on lone surrogates


def test_multipart_request_fields() -> None:
    pm = parse_bytes(load("multipart_request.eml"))
    assert pm.errors == []
    assert pm.from_address == "lea.martin@police.example"
    assert pm.from_name == "Inspecteur Léa Martin"
    assert pm.subject == "Réquisition urgent for account"
    assert pm.reply_to == ["desk@police.example"]
    assert pm.cc == ["other@platform.example"]
    assert pm.message_id == "<req-1@police.example>"
    assert pm.in_reply_to == ["<ack-9@platform.example>"]
    assert pm.references == ["<first@police.example>", "<ack-9@platform.example>"]
    assert pm.date == datetime(2026, 11, 29, 19, 55, tzinfo=UTC)
    assert pm.received_at == datetime(2026, 11, 29, 19, 59, 58, tzinfo=UTC)
    assert pm.text is not None and "préservation du compte @target_user" in pm.text
    assert pm.html is not None and pm.html.startswith("<p>")
    [att] = pm.attachments
    assert (att.filename, att.content_type) == ("requisition.pdf", "application/pdf")
    assert att.data.startswith(b"%PDF-1.4")
    assert pm.content_type == "multipart/mixed"
    assert_storable(pm)


def test_to_input_carries_recipients_and_bodies() -> None:
    msg = parse_bytes(load("multipart_request.eml")).to_input()
    assert msg.to == ("lawenforcement@platform.example", "other@platform.example")
    assert msg.header("message-id") == ["<req-1@police.example>"]
    assert msg.text and "@target_user" in msg.text
    assert len(msg.attachments) == 1


def test_minimal_and_garbage_still_parse() -> None:
    pm = parse_bytes(load("minimal.eml"))
    assert (pm.subject, pm.from_address, pm.message_id, pm.date) == ("no headers worth the name", "", None, None)
    assert pm.text == "just a body\r\n"
    junk = parse_bytes(load("garbage.eml"))
    assert junk.headers == []
    assert junk.text and "no colon here" in junk.text
    assert any("NUL" in e for e in junk.errors)
    assert_storable(junk)


@pytest.mark.parametrize(
    "raw", [b"", b"\r\n", b"\x00", b"From:", b"--\r\n--", b"Content-Type: multipart/mixed\r\n\r\n"]
)
def test_degenerate_inputs(raw: bytes) -> None:
    pm = parse_bytes(raw)
    assert isinstance(pm, ParsedMail)
    assert_storable(pm)


def test_raw_8bit_headers_are_read_as_utf8_then_cp1252() -> None:
    pm = parse_bytes((FIXTURES / "nasty" / "raw_8bit_headers.eml").read_bytes())
    assert pm.subject == "Réquisition judiciaire"
    assert pm.first("X-Agence") == "Gendarmerie nationale — brigade numérique"
    assert pm.first("X-Latin1") == "café"
    assert_storable(pm)


def test_storable() -> None:
    assert storable("a\x00b") == "a\ufffdb"
    assert storable("ok é") == "ok é"
    assert storable("caf\udce9") == "café"
    assert storable("\ud800x").encode("utf-8")


def test_decode_value_survives_bad_encoded_words() -> None:
    assert decode_value("=?utf-8?q?caf=C3=A9?=") == "café"
    assert decode_value("=?no-such-charset?B?AAAA?=")  # returned as is, no exception
    assert isinstance(decode_value("=?utf-8?B?!!!?="), str)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Sun, 29 Nov 2026 20:55:00 +0100", datetime(2026, 11, 29, 19, 55, tzinfo=UTC)),
        ("29 Nov 2026 20:55:00", datetime(2026, 11, 29, 20, 55, tzinfo=UTC)),
        ("not a date", None),
        ("Sun, 99 Nov 99999 99:99:99 +9999", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date_is_aware_utc_or_none(value: str | None, expected: datetime | None) -> None:
    got = parse_date(value)
    assert got == expected
    assert got is None or got.tzinfo is not None


@pytest.mark.parametrize("header", ["From", "To", "Reply-To"])
def test_pathological_address_header_keeps_the_rest(header: str) -> None:
    """The address parser recurses on nested comments: the header is dropped, not the message."""
    raw = f"{header}: {'(' * 60000}\r\nSubject: still here\r\n\r\nbody text\r\n".encode()
    pm = parse_bytes(raw)
    assert pm.subject == "still here"
    assert pm.text == "body text\r\n"
    assert "unreadable address header: RecursionError" in pm.errors


def test_encoded_display_name_with_a_comma_keeps_the_address() -> None:
    raw = (b"From: =?utf-8?q?Albers=2C_Jan_=28StA_K=C3=B6ln=29?= <jan.albers@sta.example.de>\n"
           b"To: \"Desk, Legal\" <legal@platform.example>, other@platform.example\n"
           b"Subject: x\n\nbody\n")
    pm = parse_bytes(raw)
    assert pm.from_address == "jan.albers@sta.example.de"
    assert pm.from_name == "Albers, Jan (StA Köln)"
    assert pm.to == ["legal@platform.example", "other@platform.example"]


def _mailparser_bodies(msg: Any) -> Any:
    random.seed(7)  # mail-parser names unnamed attachments at random
    try:
        mp = mailparser.MailParser(msg)
    except Exception as exc:
        return type(exc).__name__
    return mp.text_plain, mp.text_html, mp.text_not_managed, mp.attachments


def _mime_samples() -> list[Path]:
    paths = [p for p in FIXTURES.rglob("*.eml") if p.stat().st_size < 1_000_000]
    if TORTURE.is_dir():
        paths += [p for p in TORTURE.rglob("*") if p.is_file() and p.suffix != ".md"]
    return sorted(paths)


def test_mailparser_reads_bodies_from_the_mime_headers_alone() -> None:
    """_body_view drops every header but the top-level MIME ones: mail-parser must find the same bodies."""
    compared = 0
    for path in _mime_samples():
        try:
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.compat32)
        except RecursionError:
            continue
        assert _mailparser_bodies(_body_view(msg)) == _mailparser_bodies(msg), path.name
        compared += 1
    assert compared > 30


@given(st.text(alphabet=st.sampled_from("ab =?\"(),:;\t\r\n\x00é€\u2028\udce9"), max_size=40))
def test_decode_value_without_encoded_words_is_the_value(value: str) -> None:
    """The shortcut for values without ``=?`` gives what RFC 2047 decoding would."""
    raw = storable(value)
    if "=?" not in raw:
        assert decode_value(value) == str(make_header(decode_header(raw)))
