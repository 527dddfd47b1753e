"""Figures for transparency reporting (DSA Art. 15): tickets per week, median handling times.

Computed in Python from a narrow column selection (a few thousand rows per quarter), and laid
out as SVG bar geometry so the chart is plain server-rendered markup, no script.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, col, select

from store.models import Ticket, utcnow

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#6b7280")
TOP = 8


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def week_start(dt: datetime) -> date:
    d = _aware(dt).astimezone(UTC).date()
    return d - timedelta(days=d.weekday())


@dataclass
class Weekly:
    weeks: list[date]
    keys: list[str]
    counts: dict[date, Counter[str]] = field(default_factory=dict)

    def rows(self) -> list[tuple[str, str, int]]:
        return [(w.isoformat(), k, self.counts[w][k]) for w in self.weeks for k in self.keys if self.counts[w][k]]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    color: str
    title: str


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar]
    labels: list[tuple[float, str]]
    legend: list[tuple[str, str]]
    ymax: int


def weekly(session: Session, by: str, weeks: int = 12, now: datetime | None = None) -> Weekly:
    """Ticket counts per ISO week (Monday) and ``by`` (request_type or country), last ``weeks`` weeks."""
    column = col(Ticket.request_type) if by == "request_type" else col(Ticket.country)
    first = week_start(now or utcnow()) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    rows = session.exec(select(Ticket.received_at, column).where(col(Ticket.received_at) >= since))
    counts: dict[date, Counter[str]] = defaultdict(Counter)
    totals: Counter[str] = Counter()
    for received, key in rows:
        name = str(key) if key else "unknown"
        counts[week_start(received)][name] += 1
        totals[name] += 1
    keys = [k for k, _ in totals.most_common(TOP)]
    if len(totals) > TOP:
        for c in counts.values():
            c["other"] = sum(n for k, n in c.items() if k not in keys and k != "other")
        keys.append("other")
    all_weeks = [first + timedelta(weeks=i) for i in range(weeks)]
    return Weekly(all_weeks, keys, {w: counts.get(w, Counter()) for w in all_weeks})


def chart(data: Weekly, width: int = 760, height: int = 260) -> Chart:
    """Stacked bars, one per week."""
    left, bottom, top = 36, 24, 10
    plot_h = height - bottom - top
    ymax = max([sum(data.counts[w].get(k, 0) for k in data.keys) for w in data.weeks] + [1])
    step = (width - left) / max(1, len(data.weeks))
    colors = {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(data.keys)}
    bars: list[Bar] = []
    labels: list[tuple[float, str]] = []
    for i, w in enumerate(data.weeks):
        x = left + i * step + step * 0.15
        y = float(top + plot_h)
        for k in data.keys:
            n = data.counts[w].get(k, 0)
            if not n:
                continue
            h = plot_h * n / ymax
            y -= h
            bars.append(Bar(round(x, 1), round(y, 1), round(step * 0.7, 1), round(h, 1), colors[k], f"{w}: {k} {n}"))
        labels.append((round(x + step * 0.35, 1), w.strftime("%d %b")))
    return Chart(width, height, bars, labels, [(k, colors[k]) for k in data.keys], ymax)


@dataclass(frozen=True)
class Median:
    name: str
    hours: float | None
    count: int


def medians(session: Session, since: datetime | None = None) -> list[Median]:
    """Median hours from receipt to acknowledgment and to closing, over tickets received since ``since``."""
    stmt = select(Ticket.received_at, Ticket.acknowledged_at, Ticket.closed_at)
    if since is not None:
        stmt = stmt.where(col(Ticket.received_at) >= since)
    ack: list[float] = []
    close: list[float] = []
    for received, acked, closed in session.exec(stmt):
        if acked is not None:
            ack.append((_aware(acked) - _aware(received)).total_seconds() / 3600)
        if closed is not None:
            close.append((_aware(closed) - _aware(received)).total_seconds() / 3600)

    def med(values: list[float]) -> float | None:
        return round(statistics.median(values), 2) if values else None

    return [Median("time to acknowledge", med(ack), len(ack)), Median("time to close", med(close), len(close))]
