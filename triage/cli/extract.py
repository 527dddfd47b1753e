"""``triage extract FILE.eml ... [--json]``: run the extractor on message files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from nlp.extractor import Extractor
from triage.extraction import build_extractor, extract_parsed
from triage.parse import parse_bytes
from triage.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("extract", help="extract fields from .eml files")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--json", action="store_true", help="one JSON object per line (corpus schema)")
    p.set_defaults(func=cmd_extract)


def cmd_extract(args: argparse.Namespace, settings: Settings) -> int:
    extractor: Extractor = build_extractor(settings)
    status = 0
    for path in args.files:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            print(f"triage: cannot read {path}: {exc.strerror}", file=sys.stderr)
            status = 1
            continue
        result = extract_parsed(extractor, parse_bytes(raw)).to_json()
        result = {"file": str(path), **result}
        if args.json:
            print(json.dumps(result, ensure_ascii=False, default=str))
        else:
            print(f"== {path}")
            for key in ("language", "agency", "country", "region", "request_type", "emergency", "deadline",
                        "case_reference", "legal_basis", "targets", "sender_verified"):
                print(f"  {key:16} {result[key]}")
    return status
