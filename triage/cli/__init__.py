"""The ``triage`` command: one module per command group, each with a ``register`` function.

A command module adds its sub-parser and sets ``func(args, settings) -> int``; settings are
loaded once here and passed down.
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import os
import sys
from collections.abc import Sequence

from triage import __version__
from triage.logsetup import setup_logging
from triage.settings import SettingsError, load_settings

COMMAND_MODULES = (
    "triage.cli.extract",
    "triage.cli.db",
    "triage.cli.run",
    "triage.cli.tickets",
    "triage.cli.demo",
    "triage.cli.health",
    "triage.cli.config",
    "triage.cli.retention",
    "triage.cli.web",
    "triage.cli.users",
    "triage.cli.export",
    "triage.cli.blocklist",
    "triage.cli.audit",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="triage", description="le-triage: the law-enforcement mailbox daemon")
    parser.add_argument("--version", action="version", version=f"triage {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"triage: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings)
    return int(args.func(args, settings) or 0)


def entry() -> None:
    """The installed ``triage`` command and ``python -m triage``: ``main``, then a fast exit.

    When a command returns, it has closed its connections and files and joined its threads;
    what is left is the interpreter tearing the heap down object by object, which cost 0.3-0.5 s
    at the end of every ``triage run --once``. The exit handlers still run and output is flushed.
    Under a tracer or profiler (coverage, a debugger, pyinstrument), which reports after the
    program's own end, the exit is the usual one. A command that raises, or argparse's own exits
    (``--help``, usage errors), leave the usual way too.
    """
    status = main()
    if sys.gettrace() is not None or sys.getprofile() is not None:
        sys.exit(status)
    atexit._run_exitfuncs()  # logging's shutdown among them: every handler flushed and closed
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # the reader went away (``| head``): what Python reports as exit status 120
        status = status or 120
    os._exit(status)


if __name__ == "__main__":
    entry()
