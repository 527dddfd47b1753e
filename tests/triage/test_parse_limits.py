"""Every nasty message parses within the limits, quickly, and says which limit it hit."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest

from triage.mime_limits import ParseLimits
from triage.parse import parse_bytes
from triage.settings import Settings

NASTY = Path(__file__).resolve().parents[1] / "fixtures" / "nasty"
sys.path.insert(0, str(NASTY))
import make_nasty  # noqa: E402

ENTRIES = make_nasty.entries()


@pytest.fixture(scope="module")
def nasty_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nasty")


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_nasty_message_parses_within_limits(entry: dict[str, Any], nasty_dir: Path) -> None:
    raw = make_nasty.load(entry, nasty_dir)
    started = time.monotonic()
    pm = parse_bytes(raw)
    elapsed = time.monotonic() - started
    assert elapsed < 10, f"{entry['name']} took {elapsed:.1f}s"
    for expected in entry["expect"]:
        assert any(expected in e for e in pm.errors), (expected, pm.errors)
    if not entry["expect"]:
        assert pm.limit_errors == []
    limits = ParseLimits()
    assert len(pm.headers) <= limits.max_headers
    assert all(len(v) <= limits.max_header_chars for _, v in pm.headers)
    assert len(pm.attachments) <= limits.max_attachments
    assert sum(len(a.data) for a in pm.attachments) <= limits.max_attachment_bytes
    assert len(pm.text or "") <= limits.max_body_chars and len(pm.html or "") <= limits.max_body_chars
    msg = pm.to_input()
    assert len(msg.text or "") <= limits.max_text_chars and len(msg.html or "") <= limits.max_html_chars
    assert pm.subject


def test_headers_survive_every_limit(nasty_dir: Path) -> None:
    for entry in ENTRIES:
        pm = parse_bytes(make_nasty.load(entry, nasty_dir))
        assert pm.from_address == "officer@police.example", entry["name"]
        assert pm.message_id and pm.message_id.endswith("@nasty.example>"), entry["name"]
        assert pm.date is not None, entry["name"]


def test_zip_bomb_stays_compressed() -> None:
    pm = parse_bytes((NASTY / "zip_bomb.eml").read_bytes())
    [att] = pm.attachments
    assert att.filename == "evidence.zip"
    assert att.data.startswith(b"PK\x03\x04")
    assert len(att.data) < 1024 * 1024  # would be 256 MiB decompressed


def test_oversized_message_reads_headers_only(nasty_dir: Path) -> None:
    entry = next(e for e in ENTRIES if e["name"] == "attachment_100mb")
    pm = parse_bytes(make_nasty.load(entry, nasty_dir))
    assert pm.subject == "big attachment"
    assert pm.text is None and pm.attachments == []


def test_too_deep_for_the_parser_keeps_headers() -> None:
    pm = parse_bytes((NASTY / "deep_nesting_5000.eml").read_bytes())
    assert pm.subject == "deep nesting 5000"
    assert pm.limit_errors


def test_parts_within_depth_limit_are_read() -> None:
    raw = make_nasty.deep_multipart(10)
    pm = parse_bytes(raw)
    assert pm.errors == []
    assert pm.text and "MPS-2026-0042" in pm.text


def test_custom_limits_apply() -> None:
    raw = make_nasty.many_attachments(5)
    limits = ParseLimits(max_attachments=2, max_text_chars=20)
    pm = parse_bytes(raw, limits)
    assert len(pm.attachments) == 2
    assert any("5 attachments, over 2" in e for e in pm.errors)
    assert any("extraction reads the first 20" in e for e in pm.errors)
    assert pm.text and len(pm.text) > 20
    assert len(pm.to_input().text or "") == 20


def test_attachment_byte_limit_skips_without_decoding() -> None:
    raw = make_nasty.attachment_message("one big", "a.bin", "application/octet-stream", bytes(300_000))
    pm = parse_bytes(raw, ParseLimits(max_attachment_bytes=100_000))
    assert pm.attachments == []
    assert any("attachments total about" in e for e in pm.errors)
    assert pm.text and "MPS-2026-0042" in pm.text


def test_message_size_limit_from_settings(settings: Settings) -> None:
    small = settings.model_copy(update={"max_message_bytes": 100, "max_mime_depth": 3})
    limits = ParseLimits.from_settings(small)
    assert (limits.max_message_bytes, limits.max_depth) == (100, 3)
    assert limits.max_text_chars == settings.max_text_chars
    pm = parse_bytes((NASTY / "invalid_base64.eml").read_bytes(), limits)
    assert pm.subject == "invalid base64" and pm.text is None
    assert any("over 100; only headers" in e for e in pm.errors)
