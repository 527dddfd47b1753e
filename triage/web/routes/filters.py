"""Turn query parameters into a QueueFilter (shared by the queue page and the API)."""

from __future__ import annotations

from store.queries import QueueFilter


def _clean(value: str | None, limit: int = 200) -> str | None:
    value = (value or "").strip()
    return value[:limit] or None


def build_filter(
    *,
    status: str | None,
    request_type: str | None,
    country: str | None,
    agency: str | None,
    verified: str | None,
    assignee: str | None,
    q: str | None,
    me: int | None,
    human_only: bool = False,
) -> QueueFilter:
    """``assignee`` is a user id, 'me' or 'none'; anything unknown is ignored rather than refused."""
    assignee_id: int | None = None
    unassigned = False
    if assignee == "me":
        assignee_id = me
    elif assignee == "none":
        unassigned = True
    elif assignee and assignee.isdigit():
        assignee_id = int(assignee)
    return QueueFilter(
        status=_clean(status, 30),
        request_type=_clean(request_type, 40),
        country=_clean(country, 2),
        agency=_clean(agency),
        verified=verified if verified in ("yes", "no", "unknown") else None,
        assignee_id=assignee_id,
        unassigned=unassigned,
        q=_clean(q),
        human_only=human_only,
    )
