"""Sender-risk signals for reviewers: loudest first, with a title, and the live blocklist.

The extractor stores ``ticket.signals`` at filing time; a sender blocked later must still show
as blocked, so the blocklist is looked up when a page is drawn (one indexed query per page).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from store.blocklist import blocked_reason, candidates
from store.models import SenderBlock

TITLES = Path(__file__).parent / "data" / "signals.json"
RANK = {"high": 0, "warning": 1, "info": 2}
BLOCKED_CODES = ("blocked_sender", "sender_blocked")


@cache
def titles() -> dict[str, str]:
    data: dict[str, str] = json.loads(TITLES.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def _view(signal: dict[str, Any]) -> dict[str, Any]:
    code = str(signal.get("code") or "signal")
    severity = signal.get("severity") if signal.get("severity") in RANK else "warning"
    return {
        "code": code,
        "title": titles().get(code, code.replace("_", " ").capitalize()),
        "message": str(signal.get("message") or ""),
        "severity": severity,
    }


def signal_views(signals: Iterable[Any], blocked: str | None = None) -> list[dict[str, Any]]:
    """Displayable signals, most severe first; ``blocked`` (a reason) is added when not stored."""
    views = [_view(s) for s in signals if isinstance(s, dict)]
    if blocked and not any(v["code"] in BLOCKED_CODES for v in views):
        views.insert(0, {"code": "blocked_sender", "title": titles()["blocked_sender"], "message": blocked,
                         "severity": "high"})  # fmt: skip
    return sorted(views, key=lambda v: RANK[v["severity"]])


def top_signal(signals: Iterable[Any]) -> str | None:
    """The most severe non-informational signal as one line, for the queue row."""
    views = [v for v in signal_views(signals) if v["severity"] != "info"]
    if not views:
        return None
    top = views[0]
    return f"{top['title']}: {top['message']}" if top["message"] else str(top["title"])


def ticket_block(session: Session, address: str | None) -> str | None:
    """Why the ticket's sender is blocked now, or None."""
    return blocked_reason(session, address) if address else None


def blocked_senders(session: Session, addresses: Iterable[str | None]) -> dict[str, str]:
    """Address -> the blocklist pattern covering it, for a page of tickets in one query."""
    keys = {a.lower(): candidates(a) for a in addresses if a}
    wanted = {k for cands in keys.values() for k in cands}
    if not wanted:
        return {}
    found = set(session.exec(select(SenderBlock.pattern).where(col(SenderBlock.pattern).in_(wanted))))
    out: dict[str, str] = {}
    for address, cands in keys.items():
        hit = next((c for c in cands if c in found), None)
        if hit:
            out[address] = hit
    return out
