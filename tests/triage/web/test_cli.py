"""``triage user add`` and ``triage export-corrections`` end to end through the CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, select

from store.corrections import apply_correction
from store.models import Ticket, User
from store.users import authenticate
from triage.cli import main


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path) -> None:
    monkeypatch.setenv("TRIAGE_DATABASE_URL", db_url)
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRIAGE_LOG_FORMAT", "text")


def test_user_add_from_file(env: None, tmp_path: Path, engine) -> None:  # type: ignore[no-untyped-def]
    pw = tmp_path / "pw"
    pw.write_text("a-long-enough-password\n")
    assert main(["user", "add", "olga", "--role", "admin", "--password-file", str(pw)]) == 0
    assert main(["user", "add", "olga", "--password-file", str(pw)]) == 1  # duplicate
    short = tmp_path / "short"
    short.write_text("abc\n")
    assert main(["user", "add", "pat", "--password-file", str(short)]) == 1
    with Session(engine) as s:
        user = s.exec(select(User).where(User.name == "olga")).one()
        assert user.role == "admin" and user.password_hash.startswith("$argon2")
        assert authenticate(s, "olga", "a-long-enough-password") is not None
        assert s.exec(select(User).where(User.name == "pat")).first() is None


def test_export_corrections(env: None, tmp_path: Path, engine, seeded: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        t = s.get(Ticket, seeded["unverified_de"])
        assert t is not None
        apply_correction(s, t, "agency", "Landeskriminalamt Bayern", "rita")
        apply_correction(s, t, "country", "de", "rita")  # unchanged value: not a correction
        s.commit()
    out = tmp_path / "export"
    assert main(["export-corrections", "--out", str(out)]) == 0
    labels = [json.loads(line) for line in (out / "labels.jsonl").read_text().splitlines()]
    assert len(labels) == 1
    label = labels[0]
    assert label["agency"] == "Landeskriminalamt Bayern" and label["country"] == "DE" and label["region"] == "DE-BY"
    assert label["request_type"] == "data_disclosure" and label["sender_verified"] is False
    assert label["legal_basis"] == ["§ 100j StPO"] and label["notes"] == "reviewer corrected: agency"
    schema_keys = {"file", "language", "agency", "agency_aliases", "country", "region", "request_type", "emergency",
                   "deadline", "case_reference", "legal_basis", "targets", "sender_verified", "notes"}  # fmt: skip
    assert set(label) == schema_keys
    eml = (out / label["file"]).read_bytes()
    assert b"Auskunftsersuchen" in eml and b"Message-ID:" in eml
