"""The same pipeline on PostgreSQL: file, thread, acknowledge (as .eml files), run twice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from store.db import make_engine
from tests.triage.daemon_helpers import inbound, outbox, raws, server_settings, tickets
from triage.cli.demo import SAMPLE_MAILDIR
from triage.daemon import Daemon
from triage.mailbox.maildir import MaildirSource
from triage.settings import Settings


@pytest.mark.postgres
def test_sample_inbox_on_postgres(settings: Settings, pg_url: str, tmp_path: Path) -> None:
    box = tmp_path / "box"
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True)
    for src in sorted((SAMPLE_MAILDIR / "new").iterdir()):
        shutil.copyfile(src, box / "new" / src.name)
    s = server_settings(settings, None, None, database_url=pg_url, outbox_dir=tmp_path / "out")
    engine = make_engine(pg_url)
    try:
        for _ in range(2):  # the second run finds nothing new
            assert Daemon(s, engine, source=MaildirSource(box, name="sample")).run(once=True) == 0
        assert len(raws(engine)) == 12 and len(inbound(engine)) == 12
        assert len(tickets(engine)) == 11
        sent = [o for o in outbox(engine) if o.kind == "ack" and o.status == "sent"]
        assert len(sent) == len(list((tmp_path / "out").glob("*.eml"))) > 0
        assert all(t.received_at.tzinfo is not None for t in tickets(engine))
    finally:
        engine.dispose()
