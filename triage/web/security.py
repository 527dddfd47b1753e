"""Request and response hardening: NUL bytes refused; CSP without inline script, no sniffing, no framing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Request, Response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; frame-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    response = await call_next(request)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if not request.url.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


async def refuse_nul(request: Request) -> None:
    """PostgreSQL cannot store or compare text holding NUL: refuse it up front, not as a 500 later.

    The JSON API is left out: it cleans its filters and refuses NUL in corrections itself, and an
    anonymous caller must get its 401 first.
    """
    if request.url.path.startswith("/api/"):
        return
    values = [item for pair in request.query_params.multi_items() for item in pair]
    if request.headers.get("content-type", "").startswith(FORMS):
        form = await request.form()
        values += [item for key, value in form.multi_items() if isinstance(value, str) for item in (key, value)]
    if any("\x00" in value for value in values):
        raise HTTPException(status_code=400, detail="NUL character in the request")
