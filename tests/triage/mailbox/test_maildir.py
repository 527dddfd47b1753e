from pathlib import Path

from triage.mailbox.maildir import MaildirSource


def test_maildir_reads_new_and_cur_then_moves_to_processed(tmp_path: Path) -> None:
    for sub in ("new", "cur", "tmp"):
        (tmp_path / sub).mkdir()
    (tmp_path / "new" / "1.a").write_bytes(b"Subject: one\n\nx")
    (tmp_path / "cur" / "2.b:2,S").write_bytes(b"Subject: two\n\ny")
    src = MaildirSource(tmp_path)
    assert src.open() is None
    items = [i for b in src.fetch_batches(0, 1) for i in b]
    assert sorted(i.raw.split(b"\n")[0] for i in items) == [b"Subject: one", b"Subject: two"]
    for item in items:
        src.mark_processed(item)
        src.mark_processed(item)  # twice is harmless
    assert not list((tmp_path / "new").iterdir()) and not list((tmp_path / "cur").iterdir())
    assert sorted(p.name for p in (tmp_path / ".Processed" / "cur").iterdir()) == ["1.a:2,S", "2.b:2,S"]
    assert list(src.fetch_batches(0, 10)) == []
