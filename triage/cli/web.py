"""``triage serve``: the staff review UI."""

from __future__ import annotations

import argparse

from triage.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the staff review UI (TRIAGE_WEB_HOST/TRIAGE_WEB_PORT)")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from triage.web.serve import serve  # uvicorn and FastAPI load only for this command

    serve(settings)
    return 0
