"""The shared MIME torture corpus through the whole daemon: every message filed, none stops it.

Real malformed mail from other parsers' test suites (beside the repository, never committed).
The daemon parses and classifies in its own process, so this is where a hostile message would
stop it; extraction runs in the worker as in production.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.triage.daemon_helpers import maildir_with, raws
from triage.daemon import Daemon
from triage.settings import Settings

TORTURE = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "mime-torture"


def _corpus() -> list[bytes]:
    if not TORTURE.is_dir():
        return []
    return [p.read_bytes() for p in sorted(TORTURE.rglob("*")) if p.is_file() and p.suffix != ".md"]


@pytest.mark.skipif(not _corpus(), reason="shared MIME torture corpus absent")
def test_every_torture_message_is_filed_and_the_daemon_goes_on(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    corpus = _corpus()
    distinct = {hashlib.sha256(raw).hexdigest() for raw in corpus}
    box = maildir_with(tmp_path, corpus)
    s = settings.model_copy(update={"source": f"maildir:{box}", "use_spacy": False, "extract_workers": 1})
    daemon = Daemon(s, engine)
    assert daemon.run(once=True) == 0
    rows = raws(engine)
    assert {row.sha256 for row in rows} == distinct  # every message archived once (copies are one message)
    assert all(row.state == "done" and row.ticket_id is not None for row in rows), [
        (row.sha256[:12], row.state, row.error) for row in rows if row.state != "done" or row.ticket_id is None]
    assert not list((box / "new").iterdir())  # all marked processed: none left for the next run
