"""Each crash point of the crash table, made deterministic: stop after a step, restart, check the result."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from store.db import make_engine
from tests.triage.daemon_helpers import inbound, mail, outbox, raws, server_settings, tickets
from triage.daemon import Daemon
from triage.mailbox.maildir import MaildirSource
from triage.pipeline import archive_fetched, process_raw
from triage.settings import Settings


def _box(tmp_path: Path, count: int) -> Path:
    box = tmp_path / "box"
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True)
    for i in range(count):
        (box / "new" / f"{i:03d}.eml").write_bytes(mail(subject=f"Request {i}", sender=f"o{i}@police{i}.example"))
    return box


def _daemon(settings: Settings, tmp_path: Path, box: Path) -> Daemon:
    s = server_settings(settings, None, None, outbox_dir=tmp_path / "out")
    return Daemon(s, make_engine(s.database_url), source=MaildirSource(box, name="box"))


def _check_exactly_once(engine: Engine, box: Path, count: int) -> None:
    assert len(raws(engine)) == count and all(r.state == "done" for r in raws(engine))
    assert len(tickets(engine)) == count and len(inbound(engine)) == count
    assert len([o for o in outbox(engine) if o.kind == "ack" and o.status == "sent"]) == count
    assert not list((box / "new").iterdir())


def test_crash_between_archive_and_filing(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    box = _box(tmp_path, 2)
    first = _daemon(settings, tmp_path, box)
    first.source.open()
    item = next(iter(first.source.fetch_batches(0, 10)))[0]
    archive_fetched(first.ctx, item)  # ... and the process dies here
    assert [r.state for r in raws(engine)] == ["archived"] and tickets(engine) == []
    assert _daemon(settings, tmp_path, box).run(once=True) == 0
    _check_exactly_once(engine, box, 2)


def test_crash_between_filing_and_marking(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    box = _box(tmp_path, 2)
    first = _daemon(settings, tmp_path, box)
    first.source.open()
    item = next(iter(first.source.fetch_batches(0, 10)))[0]
    process_raw(first.ctx, archive_fetched(first.ctx, item), item.raw)  # ... dies before the move
    assert [r.state for r in raws(engine)] == ["filed"] and len(tickets(engine)) == 1
    assert _daemon(settings, tmp_path, box).run(once=True) == 0
    _check_exactly_once(engine, box, 2)


def test_archived_message_gone_from_the_source_is_still_filed(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    box = _box(tmp_path, 1)
    first = _daemon(settings, tmp_path, box)
    first.source.open()
    item = next(iter(first.source.fetch_batches(0, 10)))[0]
    archive_fetched(first.ctx, item)
    Path(item.key).unlink()  # someone deleted it from the mailbox before we filed it
    assert _daemon(settings, tmp_path, box).run(once=True) == 0
    [ticket] = tickets(engine)
    assert ticket.subject == "Request 0" and raws(engine)[0].state == "filed"
