"""The `text` component: HTML to text, body/signature/quote/forward split, attachments, cap."""

from __future__ import annotations

import email.message
import io
import subprocess
import sys

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp.attachtext import read_attachments
from nlp.components.text import Component as TextComponent
from nlp.components.text import html_only_tail
from nlp.htmltext import html_to_text
from nlp.registry import Doc
from nlp.textsplit import split_body
from nlp.types import Attachment, Extraction, MessageInput, NlpConfig
from tests.nlp.helpers import fixture_input


def prepare(msg: MessageInput, **cfg: int) -> Doc:
    doc = Doc(msg=msg, result=Extraction())
    TextComponent(NlpConfig(**cfg), {})(doc)  # type: ignore[arg-type]
    return doc


def test_html_keeps_cells_apart_and_skips_script_and_style() -> None:
    text = html_to_text(
        "<html><head><style>p{x:1}</style><script>var a=1;</script></head><body>"
        "<table><tr><td>Name</td><td>Unit</td></tr></table><p>Hello&nbsp;there</p></body></html>"
    )
    assert "Name | Unit" in text
    assert "var a" not in text and "x:1" not in text
    assert "Hello\xa0there" in text or "Hello there" in text


def test_html_blockquote_becomes_quoted_lines() -> None:
    assert "> quoted words" in html_to_text("<p>new</p><blockquote><p>quoted words</p></blockquote>")


@pytest.mark.parametrize(
    "header",
    [
        "On Mon, 2 Mar 2026 at 10:00, Jane Doe <jane@example.org> wrote:",
        "Le lun. 2 mars 2026 à 10:00, Jean Dupont <jean@example.org> a écrit :",
        "Am 02.03.2026 um 10:00 schrieb Max Muster <max@example.org>:",
        "-----Original Message-----",
    ],
)
def test_quote_headers_start_the_quote(header: str) -> None:
    parts = split_body(f"Any update on this?\n\nRegards,\nSam\n\n{header}\nold text here\n")
    assert parts.body == "Any update on this?"
    assert parts.signature.startswith("Regards")
    assert parts.quote.startswith(header) and "old text here" in parts.quote
    assert parts.forward == ""


def test_outlook_header_block_in_a_forward_is_forward() -> None:
    text = (
        "Please see the question below.\n\nThanks,\nAna\n\n"
        "De : X <x@example.org>\nEnvoyé : lundi\nÀ : Y\nObjet : Dossier\n\nBonjour"
    )
    parts = split_body(text, subject="TR: Dossier")
    assert parts.forward.startswith("De : X") and parts.quote == ""


def test_signature_keeps_legal_footer() -> None:
    parts = split_body(
        "We request the data.\n\nKind regards,\nDC Example\nSome Police\n\n"
        "This email is confidential and intended only for the addressee."
    )
    assert parts.body == "We request the data."
    assert "Some Police" in parts.signature and "confidential" in parts.signature


def test_see_below_forward_is_promoted_to_body() -> None:
    doc = prepare(fixture_input("forwarded_see_below.eml"))
    assert "Bestandsdaten" in doc.texts["body"]  # request readers find the forwarded request
    assert doc.cache["promoted"] == ["forward"]
    assert "Weitergeleitete Nachricht" in doc.texts["forward"]


def test_attached_email_and_docx_and_file_names() -> None:
    inner = email.message.EmailMessage()
    inner["From"] = "procura@example.it"
    inner["Subject"] = "Decreto"
    inner.set_content("Si chiede la conservazione dei dati dell'account @esempio.")
    document = docx.Document()
    document.add_paragraph("Order No. 77/2026: produce subscriber records")
    buf = io.BytesIO()
    document.save(buf)
    atts = (
        Attachment("postacert.eml", "message/rfc822", inner.as_bytes()),
        Attachment(
            "Order_77-2026.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            buf.getvalue(),
        ),
        Attachment("broken.pdf", "application/pdf", b"%PDF-1.4 not really"),
    )
    doc = prepare(MessageInput(subject="PEC", text="Messaggio di posta certificata", attachments=atts))
    assert "@esempio" in doc.texts["forward"]
    assert "@esempio" in doc.texts["body"]  # thin wrapper body: the original is promoted
    assert "Order_77-2026.docx" in doc.texts["attachment"] and "broken.pdf" in doc.texts["attachment"]
    assert "produce subscriber records" in doc.texts["attachment"]
    assert doc.cache["attachment_errors"]  # the broken PDF is noted, not raised


def test_reader_survives_garbage() -> None:
    out = read_attachments((Attachment("x.docx", "application/octet-stream", b"\x00\x01garbage"),))
    assert out.names == ["x.docx"] and out.errors


def test_total_text_is_capped() -> None:
    doc = prepare(MessageInput(subject="s", text="word " * 1000), max_text_chars=300)
    assert sum(len(t) for t in doc.texts.values()) <= 300
    assert doc.result.truncated


def test_html_only_message() -> None:
    doc = prepare(fixture_input("html_table_signature.eml"))
    assert "@sample_account" in doc.texts["body"]
    assert "Victoria Police" in doc.texts["signature"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(st.none(), st.text(max_size=400)),
    html=st.one_of(st.none(), st.text(alphabet=st.sampled_from(list("<>/=\"' abcdptrblockquote&;#x\n")), max_size=300)),
    subject=st.text(max_size=80),
)
def test_text_component_never_raises(text: str | None, html: str | None, subject: str) -> None:
    doc = prepare(MessageInput(subject=subject, text=text, html=html))
    assert all(isinstance(v, str) and v for v in doc.texts.values())


def test_signature_only_in_the_html_alternative_is_kept() -> None:
    plain = "Hello,\n\nPlease tell us the status of our warrant.\n\nThank you,"
    html = (
        "<p>Hello,</p><p>Please tell us the status of our warrant.</p><p>Thank you,</p>"
        "<table><tr><td>Special Agent</td><td>A. Example</td></tr>"
        "<tr><td>Unit</td><td>eCrime Unit, California Department of Justice</td></tr></table>"
    )
    doc = Doc(msg=MessageInput(subject="Status", text=plain, html=html), result=Extraction())
    TextComponent(NlpConfig(), {})(doc)
    assert "California Department of Justice" in doc.texts["signature"] + doc.texts["body"]


def test_html_alternative_with_nothing_more_adds_nothing() -> None:
    assert html_only_tail("Hello,\nThanks,", "Hello,\nThanks,") == ""
    assert html_only_tail("Hello", "Completely different newsletter") == ""


def test_building_the_component_loads_the_document_readers() -> None:
    """pypdf and python-docx are imported when the extractor is built, not in the first mail with a document."""
    code = ("import sys\nfrom nlp.components.text import Component\nfrom nlp.types import NlpConfig\n"
            "assert 'pypdf' not in sys.modules and 'docx' not in sys.modules\nComponent(NlpConfig(), {})\n"
            "assert 'pypdf' in sys.modules and 'docx' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
