"""``triage blocklist`` end to end through the CLI entry point."""

from __future__ import annotations

import json

import pytest

from triage.cli import main


@pytest.fixture
def env_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("TRIAGE_DATABASE_URL", db_url)
    monkeypatch.setenv("TRIAGE_LOG_FORMAT", "text")
    return db_url


def test_add_list_check_remove(env_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["blocklist", "add", "Hijacked@Police.Example", "--reason", "compromised", "--by", "alice"]) == 0
    assert main(["blocklist", "add", "po1ice.example"]) == 0
    capsys.readouterr()
    assert main(["blocklist", "list", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["pattern"], r["reason"], r["by"]) for r in rows] == [
        ("hijacked@police.example", "compromised", "alice"),
        ("po1ice.example", "", "cli"),
    ]
    assert main(["blocklist", "check", "x@mail.po1ice.example"]) == 1
    assert "po1ice.example is on the blocklist" in capsys.readouterr().out
    assert main(["blocklist", "check", "x@police.example"]) == 0
    assert main(["blocklist", "remove", "po1ice.example"]) == 0
    assert main(["blocklist", "remove", "po1ice.example"]) == 1
    assert main(["blocklist", "check", "x@mail.po1ice.example"]) == 0


def test_bad_pattern_exits_2(env_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["blocklist", "add", "not a pattern"]) == 2
    assert "not an address or domain" in capsys.readouterr().err
