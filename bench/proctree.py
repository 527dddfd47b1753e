"""A command's process tree watched from /proc: peak resident memory of the whole tree, CPU per process.

The daemon runs extraction in a child process, so the memory it takes is the sum over the tree,
not the largest process (which is what getrusage(RUSAGE_CHILDREN) reports). CPU seconds per
process say which side of the pipeline (filing in the daemon, NLP in the worker) bounds the rate.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
FULL_SCAN_EVERY = 10  # samples between two scans of all of /proc (to find new child processes)


@dataclass
class TreeRun:
    """What one run of a command cost: wall seconds, peak RSS of the tree (MB), CPU seconds per process."""

    returncode: int
    seconds: float
    peak_rss_mb: float
    root_cpu: float = 0.0
    children_cpu: float = 0.0
    peak_rss_by_role: dict[str, float] = field(default_factory=dict)
    started_at: float = 0.0  # epoch seconds, to place the command's own log lines
    ended_at: float = 0.0
    stderr: str = ""


def _stat(pid: int) -> tuple[int, float, int] | None:
    """(parent pid, CPU seconds, RSS bytes) of one process, or None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK, int(fields[21]) * PAGE


def _tree(root: int, known: set[int] | None = None) -> dict[int, tuple[float, int]]:
    """Every live process under ``root`` (itself included): CPU seconds and RSS bytes.

    With ``known`` (the members found by an earlier full scan), only those are read: a full scan
    of /proc costs ~5 ms, CPU the measured run would otherwise lose on a small machine.
    """
    stats = {}
    for name in (map(str, known) if known is not None else os.listdir("/proc")):
        if name.isdigit() and (s := _stat(int(name))) is not None:
            stats[int(name)] = s
    members, grew = {root}, True
    while grew:
        grew = False
        for pid, (ppid, _, _) in stats.items():
            if ppid in members and pid not in members:
                members.add(pid)
                grew = True
    return {pid: (stats[pid][1], stats[pid][2]) for pid in members if pid in stats}


def run_tree(cmd: list[str], env: dict[str, str], cwd: Path, interval: float = 0.1) -> TreeRun:
    """Run ``cmd`` to completion, sampling its tree every ``interval`` seconds."""
    t0, epoch0 = time.perf_counter(), time.time()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    cpu: dict[int, float] = {}
    peak, peak_root, peak_children = 0, 0, 0
    errors: list[bytes] = []
    reader = threading.Thread(target=lambda: errors.append(proc.stderr.read() if proc.stderr else b""), daemon=True)
    reader.start()  # drained while it runs: a full pipe would block the command
    samples = 0
    members: set[int] | None = None
    while proc.poll() is None:
        tree = _tree(proc.pid, None if samples % FULL_SCAN_EVERY == 0 else members)  # new children: next full scan
        members, samples = set(tree), samples + 1
        for pid, (seconds, _) in tree.items():
            cpu[pid] = seconds
        peak = max(peak, sum(rss for _, rss in tree.values()))
        peak_root = max(peak_root, tree.get(proc.pid, (0.0, 0))[1])
        peak_children = max(peak_children, sum(rss for pid, (_, rss) in tree.items() if pid != proc.pid))
        time.sleep(interval)
    ended = time.time()
    reader.join()
    err = b"".join(errors).decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} exited {proc.returncode}: {err[-2000:]}")
    mb = 1024 * 1024
    return TreeRun(
        returncode=proc.returncode, seconds=time.perf_counter() - t0, peak_rss_mb=round(peak / mb, 1),
        root_cpu=round(cpu.get(proc.pid, 0.0), 2),
        children_cpu=round(sum(v for pid, v in cpu.items() if pid != proc.pid), 2),
        peak_rss_by_role={"daemon": round(peak_root / mb, 1), "workers": round(peak_children / mb, 1)},
        started_at=epoch0, ended_at=ended, stderr=err,
    )
