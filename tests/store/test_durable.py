"""Durability barriers: one syncfs per batch, per-path fsync where it is missing, the SQLite WAL synced."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from store import archive as archive_mod
from store import durable
from store.archive import Archive


def test_syncfs_is_available_on_linux(tmp_path: Path) -> None:
    assert durable.syncfs(tmp_path) is True


def test_without_syncfs_every_path_is_fsynced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[Path] = []
    monkeypatch.setattr(durable, "_syncfs_call", lambda: None)
    monkeypatch.setattr(durable, "fsync_path", synced.append)
    files = [tmp_path / "a", tmp_path / "b"]
    durable.barrier(tmp_path, files)
    assert synced == files


def test_archive_bytes_are_on_disk_before_their_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_replace = archive_mod.os.replace

    def barrier(anchor: Path, paths: object) -> None:
        names = [p.name for p in paths]  # type: ignore[attr-defined]
        events.append("barrier:" + ("tmp" if all(n.startswith(".tmp-") for n in names) else "dirs"))

    def replace(src: str, dst: str) -> None:
        events.append("rename")
        real_replace(src, dst)

    monkeypatch.setattr(archive_mod, "barrier", barrier)
    monkeypatch.setattr(archive_mod.os, "replace", replace)
    Archive(tmp_path).put_many([b"one", b"two", b"three"])
    assert events == ["barrier:tmp", "rename", "rename", "rename", "barrier:dirs"]


def test_sqlite_wal_is_fsynced_and_other_databases_are_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[Path] = []
    monkeypatch.setattr(durable, "fsync_path", synced.append)
    db = tmp_path / "t.db"
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(text("PRAGMA journal_mode=WAL"))
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    durable.sync_database(engine)
    assert synced == [Path(f"{db}-wal")]
    durable.sync_database(create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    assert synced == [Path(f"{db}-wal")]
    engine.dispose()
