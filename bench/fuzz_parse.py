"""Coverage-guided fuzzing of parse (and optionally extraction) with atheris (libFuzzer).

Hypothesis (``tests/triage/test_fuzz.py``) explores message shapes we thought of; this explores
the branches of the parsers themselves. Seeds are the project's fixtures. Any exception or
broken invariant is a crash: libFuzzer writes the input as ``crash-*`` to reproduce it.

    python -m bench.fuzz_parse -max_total_time=120                 # parse only
    python -m bench.fuzz_parse --extract -max_total_time=120       # parse + extraction
    python -m bench.fuzz_parse -runs=1 crash-0123abcd              # replay one input
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import atheris

with atheris.instrument_imports():
    import mailparser  # noqa: F401  (instrumented for coverage)

    from triage import mime_limits, parse  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
SEED_DIRS = (ROOT / "tests" / "fixtures" / "parse", ROOT / "tests" / "fixtures" / "nasty")


def check(pm: parse.ParsedMail) -> None:
    """The invariants of every parse: storable strings, aware dates, limits honoured."""
    strings = [pm.subject, pm.from_address, pm.from_name, pm.text or "", pm.html or ""]
    strings += [s for kv in pm.headers for s in kv] + pm.errors
    for s in strings:
        if "\x00" in s:
            raise AssertionError("NUL in a parsed string")
        s.encode("utf-8")
    if any(e.startswith(("unreadable headers", "body unreadable")) for e in pm.errors):
        raise AssertionError(f"exception inside parse_bytes: {pm.errors}")
    if pm.date is not None and pm.date.tzinfo is None:
        raise AssertionError("naive date")
    if len(pm.headers) > pm.limits.max_headers or len(pm.attachments) > pm.limits.max_attachments:
        raise AssertionError("limit not honoured")


def make_target(extract: bool) -> Callable[[bytes], None]:
    extractor = None
    if extract:
        from nlp.extractor import Extractor
        from nlp.types import NlpConfig

        extractor = Extractor(NlpConfig(use_spacy=False))

    def target(data: bytes) -> None:
        pm = parse.parse_bytes(data)
        check(pm)
        if extractor is not None:
            from triage.extraction import extract_parsed

            result = extract_parsed(extractor, pm)
            if any(e.startswith("extraction failed") for e in result.errors):
                raise AssertionError(result.errors)

    return target


def seed_corpus() -> Path:
    """A scratch corpus directory holding the small fixtures (libFuzzer adds what it finds)."""
    corpus = Path(tempfile.mkdtemp(prefix="fuzz-parse-"))
    for d in SEED_DIRS:
        for p in d.glob("*.eml"):
            if p.stat().st_size < 64 * 1024:
                shutil.copy(p, corpus / p.name)
    return corpus


def main() -> None:
    argv = [a for a in sys.argv if a != "--extract"]
    extract = len(argv) != len(sys.argv)
    if not any(not a.startswith("-") for a in argv[1:]):
        argv.append(str(seed_corpus()))
    if not any(a.startswith("-max_len") for a in argv):
        argv.append("-max_len=65536")
    atheris.Setup(argv, make_target(extract))
    atheris.Fuzz()


if __name__ == "__main__":
    main()
