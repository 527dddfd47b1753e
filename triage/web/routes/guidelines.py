"""The public guidance page for authorities: ``/guidelines`` and ``/guidelines/<lang>``, no login.

Built only from the guidance data files, the completeness table and settings; it never reads
the database, so it cannot show internal data. The sample acknowledgment is rendered from the
real template with a made-up reference.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from store.models import utcnow
from triage.completeness import required_elements
from triage.guidance.ack import completeness_note, emergency_text
from triage.guidance.content import accepted_languages, fill, guide, language_name, languages, site_values
from triage.replies.compose import render_ack
from triage.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(tags=["guidelines"])
SAMPLE_MISSING = ("legal_basis", "date_range")
SAMPLE_TYPE = "data_disclosure"


def sample_reference(now: datetime) -> str:
    return f"LE-{now.year}-000123"


def negotiate(accept_language: str) -> str:
    """The first guidance language in an Accept-Language header (weights in order), else English."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, i, tag.strip().lower().split("-")[0]))
    for _, _, code in sorted(ranked):
        if code in languages():
            return code
    return "en"


def sample_ack(settings: Settings, lang: str, reference: str, now: datetime) -> str:
    """An acknowledgment as an authority would receive it, with a sample missing-elements note."""
    required = list(required_elements()[SAMPLE_TYPE])
    note = completeness_note(
        settings, lang=lang, reference=reference, request_type=SAMPLE_TYPE,
        completeness={"required": required, "missing": list(SAMPLE_MISSING)}, emergency=False, sender_verified=True,
    )
    return render_ack(settings, reference, now, lang, guidance=note)[1]


def page_context(settings: Settings, lang: str) -> dict[str, Any]:
    g = guide(lang)
    now = utcnow()
    reference = sample_reference(now)
    values = site_values(settings) | {"sample_reference": reference}
    page = {k: fill(v, values) for k, v in g["page"].items() if v and _configured(k, settings)}
    types = [
        {"name": g["request_types"][t], "contains": [g["contains"][e] for e in elements]}
        for t, elements in required_elements().items()
        if t in g["request_types"] and elements
    ]
    return {
        "lang": g["code"],
        "page": page,
        "address": values["address"],
        "types": types,
        "emergency": emergency_text(settings, g["code"]),
        "accepted": [language_name(c) for c in accepted_languages(settings)],
        "sample": sample_ack(settings, g["code"], reference, now),
        "others": [{"code": c, "name": language_name(c)} for c in languages() if c != g["code"]],
    }


def _configured(key: str, settings: Settings) -> bool:
    """Lines that name a site value are shown only when the site set that value."""
    return {"other_users": bool(settings.support_url), "other_press": bool(settings.press_address)}.get(key, True)


def _render(request: Request, lang: str) -> Response:
    settings: Settings = request.app.state.settings
    templates = request.app.state.templates
    response: Response = templates.TemplateResponse(request, "guidelines.html", page_context(settings, lang))
    return response


@router.get("/guidelines", response_class=HTMLResponse, include_in_schema=False)
def guidelines(request: Request) -> Response:
    return _render(request, negotiate(request.headers.get("accept-language", "")))


@router.get("/guidelines/{lang}", response_class=HTMLResponse, include_in_schema=False)
def guidelines_in(request: Request, lang: str) -> Response:
    if lang not in languages():
        raise HTTPException(status_code=404, detail="no guidelines in this language")
    return _render(request, lang)
