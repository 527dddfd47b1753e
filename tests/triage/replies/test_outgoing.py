"""Outgoing messages written directly: a standard parser reads back every header and the body as given."""

from __future__ import annotations

import email
import email.policy
from email import base64mime, quoprimime
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.replies.compose import build_message
from triage.replies.outgoing import base64_length, compose, encode_body, header_line
from triage.settings import Settings

# header text: any printable character and spaces (line breaks are refused, see below)
TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=300)


def _read(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _lines_ok(raw: bytes) -> None:
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\n" not in head.replace(b"\r\n", b"")  # CRLF only
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


@settings(max_examples=300, deadline=None)
@given(subject=TEXT)
def test_any_subject_reads_back_unchanged(subject: str) -> None:
    msg = compose([("Subject", subject)], "body\n")
    _lines_ok(msg.raw)
    # parsers drop the blanks before a plain value; inside an encoded word (non-ASCII text) they are kept
    assert str(_read(msg.raw)["Subject"]) in (subject, subject.lstrip(" \t"))
    assert msg.get("subject") == subject


@settings(max_examples=200, deadline=None)
@given(body=st.text(st.characters(blacklist_categories=["Cs"]), max_size=3000))
def test_any_body_reads_back_as_its_lines(body: str) -> None:
    msg = compose([("Subject", "x")], body)
    _lines_ok(msg.raw)
    part = _read(msg.raw)
    content = part.get_content().replace("\r\n", "\n")  # the wire form's CRLF, as a reader keeps it
    expected = b"\n".join(body.encode().splitlines()).decode() + "\n"
    assert content == expected == msg.text
    assert part["Content-Transfer-Encoding"] in ("7bit", "8bit", "quoted-printable", "base64")


@pytest.mark.parametrize(("body", "cte"), [
    ("Hello\nLE-2026-000001\n", "7bit"),
    ("a bien reçu votre message\n", "8bit"),
    ("x" * 100 + "\n", "quoted-printable"),
    (("ż" * 100 + "\n") * 12, "base64"),
])
def test_transfer_encoding_as_set_content_chooses(body: str, cte: str) -> None:
    assert compose([], body).get("Content-Transfer-Encoding") == cte


def test_ascii_words_stay_readable_next_to_encoded_ones() -> None:
    line = header_line("Subject", "Re: Demande de données [LE-2026-000001]")
    assert line.startswith("Subject: Re: Demande de =?utf-8?")
    assert line.endswith(" [LE-2026-000001]")


def test_a_crafted_encoded_word_is_shown_as_written() -> None:
    raw = compose([("Subject", "Re: =?utf-8?q?hi?= [LE-2026-000001]")], "x\n").raw
    assert str(_read(raw)["Subject"]) == "Re: =?utf-8?q?hi?= [LE-2026-000001]"


@pytest.mark.parametrize("value", ["a\r\nBcc: victim@example.org", "a\nb", "a\rb"])
def test_line_breaks_in_a_header_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        header_line("Subject", value)


@pytest.mark.parametrize("organisation", ["Platform", "Plateforme Réseau", 'Plat, "X" (EU)', "Komenda Główna Policji"])
def test_from_display_name_reads_back(plain_settings: Settings, organisation: str) -> None:
    s = plain_settings.model_copy(update={"organisation": organisation})
    msg = build_message(s, to="a@police.example", subject="Re: x", body="b\n", message_id="<le.a.b@platform.example>",
                        auto_submitted="auto-replied", in_reply_to="<x@y>", references=["<a@b>", "<x@y>"])
    _lines_ok(msg.raw)
    read = _read(msg.raw)
    assert read["From"].addresses[0].display_name == f"{organisation} Law Enforcement Response"
    assert read["From"].addresses[0].addr_spec == s.from_address
    assert read["To"] == "a@police.example" and read["In-Reply-To"] == "<x@y>"
    assert read["References"] == "<a@b> <x@y>" and read["Message-ID"] == "<le.a.b@platform.example>"
    assert [k for k, _ in msg.headers] == list(read.keys())


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000), st.integers(min_value=4, max_value=200), st.sampled_from(["\r\n", "\n"]))
def test_base64_length_is_the_encoded_length(data: bytes, maxlinelen: int, eol: str) -> None:
    assert base64_length(len(data), maxlinelen, eol) == len(base64mime.body_encode(data, maxlinelen, eol=eol))


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=600), st.integers(min_value=79, max_value=200))
def test_a_long_line_body_takes_the_shorter_encoding(text: str, width: int) -> None:
    """Quoted-printable or base64, whichever is shorter, as when both were encoded to compare them."""
    body = "x" * width + " " + text
    cte, _, wire = encode_body(body)
    plain = b"\r\n".join(body.encode("utf-8").splitlines()) + b"\r\n"
    qp = quoprimime.body_encode(plain.decode("latin-1"), 76, eol="\r\n")
    b64 = base64mime.body_encode(plain, 76, eol="\r\n")
    assert cte == ("base64" if len(qp) > len(b64) else "quoted-printable")
    assert wire == (b64.encode("ascii") if cte == "base64" else (qp if qp.endswith("\r\n") else qp + "\r\n").encode())
