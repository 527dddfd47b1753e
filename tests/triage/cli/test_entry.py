"""The ``triage`` entry point leaves fast (no heap teardown) without losing output or the exit status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "corpus" / "heldin"


def _triage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # without PYTHONUNBUFFERED, as in production: stdout to a pipe is then block-buffered
    base = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_") and k != "PYTHONUNBUFFERED"}
    return subprocess.run([sys.executable, "-m", "triage", *args], env=base | {"TRIAGE_USE_SPACY": "false"} | env,
                          capture_output=True, text=True, timeout=300)


def test_every_line_written_to_a_pipe_arrives_before_the_fast_exit() -> None:
    """stdout to a pipe is block-buffered: an exit without flushing would cut the output."""
    emls = sorted(str(p) for p in FIXTURES.glob("*.eml"))
    assert len(emls) >= 5
    done = _triage("extract", "--json", *emls)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert len(lines) == len(emls)
    assert all("request_type" in json.loads(line) for line in lines)


def test_a_command_s_exit_status_passes_through() -> None:
    done = _triage("run", "--once", TRIAGE_BATCH_SIZE="-1")  # invalid settings: status 2, message on stderr
    assert done.returncode == 2
    assert done.stderr.startswith("triage: ")


def test_under_a_profiler_the_exit_is_the_usual_one_and_its_report_is_written(tmp_path: Path) -> None:
    """pyinstrument writes its report after the program ends: a fast exit would lose it."""
    report = tmp_path / "profile.txt"
    base = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    done = subprocess.run([sys.executable, "-m", "pyinstrument", "-r", "text", "-o", str(report), "-m", "triage",
                           "config"], env=base, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert report.exists() and "triage/cli" in report.read_text()  # the profiler saw the command run
