from pathlib import Path

import pytest

from store.archive import Archive, ArchiveError, sha256_hex


def test_put_get_roundtrip_and_idempotent(tmp_path: Path) -> None:
    arc = Archive(tmp_path)
    raw = b"Subject: x\r\n\r\nbody \xff\xfe"
    sha = arc.put(raw)
    assert sha == sha256_hex(raw)
    assert arc.put(raw) == sha
    assert arc.get(sha) == raw
    assert arc.path_for(sha).parent.parent.name == sha[:2]
    assert not list(arc.path_for(sha).parent.glob(".tmp-*"))


def test_corruption_and_absence_are_detected(tmp_path: Path) -> None:
    arc = Archive(tmp_path)
    sha = arc.put(b"original")
    arc.path_for(sha).write_bytes(b"tampered")
    with pytest.raises(ArchiveError, match="corrupt"):
        arc.get(sha)
    with pytest.raises(ArchiveError, match="missing"):
        arc.get("0" * 64)
    with pytest.raises(ArchiveError):
        arc.get("../../etc/passwd")
