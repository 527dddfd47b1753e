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


def test_put_many_stores_a_batch_in_order(tmp_path: Path) -> None:
    arc = Archive(tmp_path)
    raws = [b"one", b"two", b"one", b"three"]  # the same bytes twice in one batch
    shas = arc.put_many(raws)
    assert shas == [sha256_hex(r) for r in raws]
    assert [arc.get(s) for s in shas] == raws
    assert not list(tmp_path.rglob(".tmp-*"))
    arc.path_for(shas[1]).unlink()  # a file lost after a crash is written again by the next batch
    assert arc.put_many([b"two"]) == [shas[1]] and arc.get(shas[1]) == b"two"


def test_put_many_leaves_no_temporary_file_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    arc = Archive(tmp_path)
    calls: list[str] = []
    real_replace = __import__("os").replace

    def failing_replace(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr("store.archive.os.replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        arc.put_many([b"a", b"b", b"c"])
    assert not list(tmp_path.rglob(".tmp-*"))
    assert arc.exists(sha256_hex(b"a")) and not arc.exists(sha256_hex(b"b"))
