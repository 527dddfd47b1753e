"""``triage config``: the effective settings (secrets masked), or ``--markdown`` for the docs table.

The table is generated from the Settings class so the Operations documentation cannot drift
from the code: environment variable, default and description of every field.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from sqlalchemy.engine import make_url

from triage.settings import FILE_FIELDS, SECRET_FIELDS, Settings

MASK = "********"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="show the effective settings, or the settings table (--markdown)")
    p.add_argument("--markdown", action="store_true", help="print the settings reference as a Markdown table")
    p.add_argument("--update-doc", type=Path, metavar="MD", help="rewrite the table between the markers in MD")
    p.set_defaults(func=cmd_config)


def _show(value: Any) -> str:
    if isinstance(value, SecretStr):
        return MASK if value.get_secret_value() else ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, default=str)
    return "" if value is None else str(value)


def _default(name: str, field: FieldInfo) -> str:
    if name in SECRET_FIELDS:
        return "(secret)"
    if field.default_factory is not None:
        return _show(field.default_factory())  # type: ignore[call-arg]
    return "" if field.default is PydanticUndefined else _show(field.default)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table() -> str:
    """One row per setting, in declaration order."""
    rows = ["| Environment variable | Default | Description |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        env = f"`TRIAGE_{name.upper()}`"
        if name in FILE_FIELDS:
            env += f" (or `TRIAGE_{name.upper()}_FILE`)"
        default = _default(name, field)
        shown = f"`{_cell(default)}`" if default else "(empty)"
        rows.append(f"| {env} | {shown} | {_cell(field.description or '')} |")
    return "\n".join(rows)


def _masked_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # unparsable: show nothing rather than a password
        return MASK


def effective(settings: Settings) -> list[str]:
    """``TRIAGE_NAME=value`` lines, secrets masked, for support tickets and debugging."""
    lines = []
    for name in Settings.model_fields:
        value = getattr(settings, name)
        shown = _masked_url(value) if name == "database_url" else _show(value)
        lines.append(f"TRIAGE_{name.upper()}={shown}")
    return lines


START, END = "<!-- settings-table:start -->", "<!-- settings-table:end -->"


def update_doc(path: Path) -> bool:
    """Replace the table between the markers; False when the markers are missing."""
    text = path.read_text(encoding="utf-8")
    if START not in text or END not in text:
        return False
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    path.write_text(f"{head}{START}\n{markdown_table()}\n{END}{tail}", encoding="utf-8")
    return True


def cmd_config(args: argparse.Namespace, settings: Settings) -> int:
    if args.update_doc:
        if not update_doc(args.update_doc):
            print(f"triage: no {START} ... {END} markers in {args.update_doc}", file=sys.stderr)
            return 1
        print(f"settings table written to {args.update_doc}")
        return 0
    print(markdown_table() if args.markdown else "\n".join(effective(settings)))
    return 0
