"""Jinja2 environment and page rendering: autoescaping on, helpers for dates and countries."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pycountry
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from store.models import utcnow
from triage.web.completeness import missing_line
from triage.web.rawmail import safe_filename
from triage.web.signals import top_signal

TEMPLATES = Path(__file__).parent / "templates"


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def absolute(dt: datetime | date | None) -> str:
    if dt is None:
        return ""
    if isinstance(dt, datetime):
        return _aware(dt).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return dt.isoformat()


def iso(dt: datetime | None) -> str:
    """Machine-readable UTC time for the page script (empty when unknown)."""
    return _aware(dt).astimezone(UTC).isoformat() if dt is not None else ""


def _span(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 3600:
        return f"{max(1, int(seconds // 60))} min"
    if seconds < 2 * 86400:
        hours, rest = divmod(int(seconds), 3600)
        return f"{hours} h {rest // 60:02d} min" if hours < 10 else f"{hours} h"
    return f"{int(seconds // 86400)} days"


def relative(dt: datetime | None, now: datetime | None = None) -> str:
    """'5 min ago' / 'in 3 h 10 min': a reviewer reads urgency faster than a timestamp."""
    if dt is None:
        return ""
    delta = (_aware(dt) - (now or utcnow())).total_seconds()
    return f"in {_span(delta)}" if delta > 0 else f"{_span(delta)} ago"


def countdown(due: datetime | None, now: datetime | None = None) -> dict[str, Any] | None:
    """Time left to ``due`` with a severity class: overdue, soon (< 24 h) or ok."""
    if due is None:
        return None
    left = (_aware(due) - (now or utcnow())).total_seconds()
    if left < 0:
        return {"text": f"overdue {_span(left)}", "cls": "overdue"}
    return {"text": f"{_span(left)} left", "cls": "soon" if left < 86400 else "ok"}


def country_name(code: str | None) -> str:
    if not code:
        return ""
    if code == "EU":
        return "European Union"
    found = pycountry.countries.get(alpha_2=code)
    return str(found.name) if found else code


def humanize(value: str | None) -> str:
    return (value or "").replace("_", " ")


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    env = templates.env
    env.autoescape = True
    env.filters.update(
        absolute=absolute,
        relative=relative,
        iso=iso,
        country_name=country_name,
        humanize=humanize,
        safe_filename=safe_filename,
        missing_line=missing_line,
        top_signal=top_signal,
    )
    env.globals.update(countdown=countdown)
    return templates


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status_code)
