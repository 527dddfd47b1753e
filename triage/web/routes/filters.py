"""Turn query parameters into a QueueFilter (shared by the queue page and the API)."""

from __future__ import annotations

from dataclasses import dataclass

from store.queries import QueueFilter

MAX_ID = 2**31 - 1  # the database's integer ids; a larger number would overflow PostgreSQL's column


def _clean(value: str | None, limit: int = 200) -> str | None:
    """Trimmed and bounded; NUL dropped, which PostgreSQL refuses in text (it would be a 500)."""
    value = (value or "").replace("\x00", "").strip()
    return value[:limit] or None


def parse_id(value: str) -> int | None:
    """A decimal row id in the database's range, or None; '²' passes ``isdigit`` but is no number."""
    if not (value.isascii() and value.isdigit()) or len(value) > 10:
        return None
    number = int(value)
    return number if number <= MAX_ID else None


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
    elif assignee:
        assignee_id = parse_id(assignee)
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


@dataclass
class FilterParams:
    """The queue's filters as query parameters, declared once for the page and the API (``Depends()``)."""

    status: str | None = None
    request_type: str | None = None
    country: str | None = None
    agency: str | None = None
    verified: str | None = None
    assignee: str | None = None
    q: str | None = None

    def to_filter(self, me: int | None, human_only: bool = False) -> QueueFilter:
        return build_filter(
            status=self.status, request_type=self.request_type, country=self.country, agency=self.agency,
            verified=self.verified, assignee=self.assignee, q=self.q, me=me, human_only=human_only,
        )
