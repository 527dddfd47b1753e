"""Who a mail comes from: system senders, our own addresses, the envelope return path.

The system-address patterns are data (``data/system_addresses.json``): list robots, daemons,
no-reply and bounce aliases, which must never get an automatic reply (checklist rules 8, 11).
"""

from __future__ import annotations

import json
import re
from email.utils import parseaddr
from functools import cache
from pathlib import Path

from triage.parse import ParsedMail
from triage.settings import Settings

DATA = Path(__file__).resolve().parent / "data"


@cache
def _patterns() -> tuple[str, ...]:
    data = json.loads((DATA / "system_addresses.json").read_text(encoding="utf-8"))
    return tuple(data["local_parts"])


def local_part(address: str) -> str:
    return address.rsplit("@", 1)[0].lower() if "@" in address else address.lower()


def is_system_address(address: str) -> bool:
    """MAILER-DAEMON, postmaster, list robots, no-reply and bounce aliases (``data/system_addresses.json``)."""
    local = local_part(address).strip()
    return any(re.fullmatch(p, local) for p in _patterns())


def base_address(address: str) -> str:
    """Address without a ``+detail`` tag, lowercased."""
    local, _, domain = address.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}" if local else address.strip().lower()


def is_own_address(settings: Settings, address: str) -> bool:
    ours = {base_address(a) for a in settings.ours()}
    return bool(address) and base_address(address) in ours


def return_path(parsed: ParsedMail) -> str | None:
    """The top-most Return-Path as written by our MTA ('' for the null path), None when absent."""
    value = parsed.first("Return-Path")
    if value is None:
        return None
    inner = value.strip()
    if inner in ("<>", ""):
        return ""
    return parseaddr(inner)[1].lower()
