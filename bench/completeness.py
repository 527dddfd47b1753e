"""Completeness over a corpus: per request type, how many requests are complete, what is missing.

Runs ``triage extract --json`` (the production extractor) over the messages and applies
``triage.completeness.check`` to each result. With no arguments it reads the shared dev
corpus; ``-`` reads ``triage extract --json`` lines from standard input instead.

    python -m bench.completeness [FILES... | -]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from nlp.types import Extraction
from triage.completeness import check

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "corpus" / "dev"


def extraction_from_json(row: dict[str, Any]) -> Extraction:
    """The fields the completeness check reads, rebuilt from one ``triage extract --json`` line."""

    def when(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    return Extraction(
        request_type=row.get("request_type"),
        agency=row.get("agency"),
        country=row.get("country"),
        case_reference=row.get("case_reference"),
        legal_basis=list(row.get("legal_basis") or []),
        targets=list(row.get("targets") or []),
        deadline=when(row.get("deadline")),
        statutory_deadline=when(row.get("statutory_deadline")),
        elements=dict(row.get("elements") or {}),
    )


def extract_lines(files: list[Path]) -> list[dict[str, Any]]:
    out = subprocess.run([sys.executable, "-m", "triage", "extract", "--json", *map(str, files)],
                         check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def summarize(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{request_type: {"n", "complete", "missing": Counter}}``."""
    table: dict[str, dict[str, Any]] = defaultdict(lambda: {"n": 0, "complete": 0, "missing": Counter()})
    for row in rows:
        result = check(extraction_from_json(row))
        entry = table[str(result["request_type"])]
        entry["n"] += 1
        entry["complete"] += int(result["complete"])
        entry["missing"].update(result["missing"])
    return dict(table)


def report(table: dict[str, dict[str, Any]]) -> str:
    lines = [f"{'request type':22} {'n':>3} {'complete':>8}  most often missing"]
    for rtype, e in sorted(table.items(), key=lambda kv: -kv[1]["n"]):
        missing = ", ".join(f"{k} {v}" for k, v in e["missing"].most_common()) or "-"
        lines.append(f"{rtype:22} {e['n']:>3} {e['complete']:>8}  {missing}")
    total = sum(e["n"] for e in table.values())
    lines.append(f"{'all':22} {total:>3} {sum(e['complete'] for e in table.values()):>8}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    if args.files == [Path("-")]:
        rows = [json.loads(line) for line in sys.stdin if line.strip()]
    else:
        files = args.files or sorted(DEV.glob("*.eml"))
        if not files:
            print(f"no messages (the shared dev corpus is not at {DEV.name})", file=sys.stderr)
            return 1
        rows = extract_lines(files)
    print(report(summarize(rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
