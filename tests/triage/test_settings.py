"""Settings: one clear line for a bad value, *_FILE for every secret, secrets never shown."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from triage.cli.config import effective, markdown_table
from triage.logsetup import JsonFormatter
from triage.settings import SECRET_FIELDS, Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
SECRET_VALUE = "s3cr3t-value-that-must-not-leak"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key in list(os.environ):
        if key.startswith("TRIAGE_"):
            monkeypatch.delenv(key)
    return monkeypatch


def _secret_fields() -> list[str]:
    return [n for n, f in Settings.model_fields.items() if f.annotation is SecretStr]


def test_every_secretstr_field_is_a_declared_secret() -> None:
    assert set(_secret_fields()) == set(SECRET_FIELDS)


@pytest.mark.parametrize("name", SECRET_FIELDS)
def test_file_variant_works_for_every_secret(name: str, clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    f = tmp_path / name
    f.write_text(SECRET_VALUE + "\n")
    clean_env.setenv(f"TRIAGE_{name.upper()}_FILE", str(f))
    assert getattr(load_settings(), name).get_secret_value() == SECRET_VALUE


def test_file_wins_over_plain_env(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The image sets plain defaults (its SQLite URL); a mounted secret file must override them."""
    (tmp_path / "pw").write_text("from-file")
    clean_env.setenv("TRIAGE_IMAP_PASSWORD_FILE", str(tmp_path / "pw"))
    clean_env.setenv("TRIAGE_IMAP_PASSWORD", "from-env")
    assert load_settings().imap_password.get_secret_value() == "from-file"


def test_database_url_from_file_is_never_shown(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"postgresql+psycopg://triage:{SECRET_VALUE}@db:5432/triage"
    (tmp_path / "url").write_text(url + "\n")
    clean_env.setenv("TRIAGE_DATABASE_URL", "sqlite:////data/triage.db")
    clean_env.setenv("TRIAGE_DATABASE_URL_FILE", str(tmp_path / "url"))
    settings = load_settings()
    assert settings.database_url == url
    assert SECRET_VALUE not in repr(settings) and SECRET_VALUE not in "\n".join(effective(settings))
    assert "TRIAGE_DATABASE_URL=postgresql+psycopg://triage:***@db:5432/triage" in effective(settings)


def test_missing_secret_file_is_one_clear_error(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("TRIAGE_SMTP_PASSWORD_FILE", str(tmp_path / "absent"))
    with pytest.raises(SettingsError, match="cannot read configuration"):
        load_settings()


@pytest.mark.parametrize(
    ("var", "value"),
    [("TRIAGE_IMAP_PORT", "abc"), ("TRIAGE_POLL_SECONDS", "-1"), ("TRIAGE_DATABASE_URL", "mysql://x")],
)
def test_bad_setting_names_it(clean_env: pytest.MonkeyPatch, var: str, value: str) -> None:
    clean_env.setenv(var, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value).startswith(f"invalid setting {var}: ")
    assert "\n" not in str(info.value)


def test_cli_bad_setting_is_one_line_and_exit_2() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    env["TRIAGE_IMAP_PORT"] = "abc"
    done = subprocess.run(
        [sys.executable, "-m", "triage", "healthcheck"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("triage: invalid setting TRIAGE_IMAP_PORT: ")


def _loaded_with_secrets(clean_env: pytest.MonkeyPatch) -> Settings:
    for name in SECRET_FIELDS:
        clean_env.setenv(f"TRIAGE_{name.upper()}", SECRET_VALUE)
    return load_settings()


def test_secrets_never_in_repr_dump_or_config(clean_env: pytest.MonkeyPatch) -> None:
    settings = _loaded_with_secrets(clean_env)
    for shown in (repr(settings), str(settings), settings.model_dump_json(), "\n".join(effective(settings))):
        assert SECRET_VALUE not in shown
    assert "TRIAGE_IMAP_PASSWORD=********" in effective(settings)
    assert SECRET_VALUE not in markdown_table()


def test_secrets_never_in_logs(clean_env: pytest.MonkeyPatch) -> None:
    settings = _loaded_with_secrets(clean_env)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("test.settings.leak")
    logger.addHandler(handler)
    try:
        logger.warning("starting with %s", settings)
        logger.warning("password %s", settings.imap_password, extra={"mailbox": settings.smtp_password})
    finally:
        logger.removeHandler(handler)
    assert SECRET_VALUE not in stream.getvalue() and "**********" in stream.getvalue()


def test_markdown_table_covers_every_setting() -> None:
    table = markdown_table()
    for name, field in Settings.model_fields.items():
        assert f"`TRIAGE_{name.upper()}`" in table
        assert field.description, f"{name} has no description"
    assert "`TRIAGE_IMAP_PASSWORD` (or `TRIAGE_IMAP_PASSWORD_FILE`)" in table


def test_docs_table_is_current() -> None:
    doc = ROOT / "docs" / "operations.md"
    if not doc.exists():
        pytest.skip("docs/operations.md not written yet")
    assert markdown_table() in doc.read_text(), "regenerate with: triage config --update-doc docs/operations.md"
