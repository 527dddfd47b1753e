"""PDF reading: the no-EOF-marker shortcut must give exactly what pypdf gives."""

from __future__ import annotations

import email
import email.policy
import io
import logging
import random
from pathlib import Path

from pypdf import PdfReader

from nlp.attachtext import _no_eof_marker, pdf_text

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"


def _fixture_pdfs() -> list[bytes]:
    blobs: list[bytes] = []
    for path in sorted(FIXTURES.rglob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        blobs += [p.get_payload(decode=True) for p in msg.walk() if p.get_content_type() == "application/pdf"]
    return blobs


def _outcome(read: object, data: bytes) -> tuple[str, str]:
    try:
        return "text", read(data)  # type: ignore[operator]
    except Exception as exc:
        return "error", type(exc).__name__


def _plain_pypdf(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join((page.extract_text() or "") for page in reader.pages[:20]).strip()


def test_shortcut_agrees_with_pypdf() -> None:
    logging.disable(logging.WARNING)
    rng = random.Random(3)
    real = _fixture_pdfs()
    noise = [rng.randbytes(rng.randint(1, 3000)) for _ in range(30)]
    tails = [b + t for b in real[:3] + noise[:3] for t in (b"%", b"\n%%EO \n", b"%%E\r\n", b"%%EOF", b" x")]
    try:
        for data in real + noise + tails + [b"", b"\n\n", b"%PDF-1.4 not really"]:
            assert _outcome(pdf_text, data) == _outcome(_plain_pypdf, data), data[-40:]
    finally:
        logging.disable(logging.NOTSET)
    assert real and not any(map(_no_eof_marker, real))  # well-formed files always go to pypdf
    assert sum(map(_no_eof_marker, noise)) > 20  # the shortcut is taken on random bytes
