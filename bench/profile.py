"""Where the daemon's time goes: `triage run --once` on a generated backlog under pyinstrument.

Dovecot and an SMTP sink on loopback as in the backlog benchmark; the daemon process is sampled
(its extraction worker is another process: `python -m bench.extract_components` profiles NLP).
Writes the call tree, cut to the calls over ``--min-share`` of the run, to bench/results/.

    python -m bench.profile [--n 500] [--min-share 0.01]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

from bench.corpus import generate
from bench.servers import ROOT, bench_env, fresh_workdir, triage_cmd
from bench.stages import fill
from tests.servers.dovecot import DovecotServer
from tests.servers.smtp import SmtpServer

RESULTS = Path(__file__).resolve().parent / "results"
LINE = re.compile(r"[├└]─ (\d+\.\d+) ")


def trimmed(tree: str, min_seconds: float) -> str:
    """The call tree without the calls that took less than ``min_seconds``."""
    kept = []
    for line in tree.splitlines():
        m = LINE.search(line)
        if m is None or float(m.group(1)) >= min_seconds:
            kept.append(line)
    return "\n".join(kept) + "\n"


def profile(n: int, min_share: float) -> Path:
    imap, smtp = DovecotServer(), SmtpServer()
    imap.start()
    smtp.start()
    work = fresh_workdir()
    raw_out = work / "profile.txt"
    try:
        fill(imap, generate(n))
        env = bench_env(imap, smtp, work)
        subprocess.run(triage_cmd("db", "upgrade"), env=env, check=True, capture_output=True, cwd=ROOT)
        cmd = [sys.executable, "-m", "pyinstrument", "-r", "text", "-o", str(raw_out), "-m", "triage", "run", "--once"]
        subprocess.run(cmd, env=env, check=True, capture_output=True, cwd=ROOT)
        tree = raw_out.read_text()
        total = max((float(m.group(1)) for m in LINE.finditer(tree)), default=0.0)
        out = RESULTS / "profile_daemon.txt"
        RESULTS.mkdir(parents=True, exist_ok=True)
        out.write_text(f"# triage run --once, {n} messages, calls over {min_share:.0%} of {total:.1f} s\n"
                       + trimmed(tree, total * min_share))
        return out
    finally:
        smtp.stop()
        imap.cleanup()
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--min-share", type=float, default=0.01)
    args = ap.parse_args()
    print(profile(args.n, args.min_share))
    return 0


if __name__ == "__main__":
    sys.exit(main())
